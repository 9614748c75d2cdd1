"""Session set-up for every test under ``tests/airflow``: a private Airflow home and metadata DB.

Why here and at import time: Airflow reads its configuration when ``airflow`` is first imported,
so AIRFLOW_HOME and friends must be in ``os.environ`` before any test module (or fixture) imports
it. pytest imports this conftest before the test modules of this directory. The DB is migrated
once per session (about 2.5 s) and many DAG runs share it, because the first task of a process
pays about 3 s of start-up and later ones do not.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Tests import the helpers as ``from harness import run_dag`` whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))

_HOME = Path(tempfile.mkdtemp(prefix="asm-airflow-home-"))
_DAGS = _HOME / "dags"
_DAGS.mkdir()

_ENV = {
    "AIRFLOW_HOME": str(_HOME),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    # An empty DAGs folder: test DAGs are built in the test and serialized by harness.run_dag;
    # dag.test() re-parses the whole folder on every call, so keep it empty and fast.
    "AIRFLOW__CORE__DAGS_FOLDER": str(_DAGS),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
    "AIRFLOW__CORE__ALLOW_TEST_CONNECTION": "True",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    "AIRFLOW__SENSORS__DEFAULT_TIMEOUT": "600",
    "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "False",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "False",
}
for _key, _value in _ENV.items():
    os.environ[_key] = _value

# starlette warns inside Airflow's in-process execution API; with -W error it breaks dag.test().
try:  # the class exists in recent starlette only
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.filterwarnings("ignore", category=StarletteDeprecationWarning)
    _STARLETTE_FILTER = "ignore::starlette.exceptions.StarletteDeprecationWarning"
except ImportError:  # pragma: no cover - depends on the starlette version
    _STARLETTE_FILTER = ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the starlette filter even under ``-W error`` (item marks outrank command-line -W)."""
    if not _STARLETTE_FILTER:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings(_STARLETTE_FILTER))


@pytest.fixture(scope="session", autouse=True)
def airflow_db() -> Iterator[Path]:
    """Migrate the session's SQLite metadata DB once; yield AIRFLOW_HOME; remove it at the end."""
    from airflow.utils.db import initdb

    initdb()
    yield _HOME
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture
def asm_endpoint(asm_emulator: Any) -> dict[str, Any]:
    """The emulator's endpoint dict (host, subscription_id, client_pem, ca_cert, admin_url, ...)."""
    return dict(asm_emulator.endpoint)


@pytest.fixture
def asm_conn_id(asm_endpoint: dict[str, Any]) -> Iterator[str]:
    """Define ``asm_default`` (AIRFLOW_CONN_ASM_DEFAULT) pointing at the emulator; yield its id.

    Function scoped so a test that changes the connection cannot leak into the next one.
    """
    from harness import asm_connection_json, conn_env

    with conn_env("asm_default", asm_connection_json(asm_endpoint)) as conn_id:
        yield conn_id


@pytest.fixture
def make_hook(asm_endpoint: dict[str, Any]) -> Iterator[Any]:
    """``make_hook(**extra)`` -> hook on connection ``asm_hook_test`` with the emulator defaults
    overridden (``harness.asm_connection_json``: a value of None removes the extra)."""
    from harness import asm_connection_json, conn_env

    from airflow_sm_provider.hooks.service_management import ServiceManagementHook

    opened: list[tuple[Any, Any]] = []

    def factory(**extra: Any) -> ServiceManagementHook:
        cm = conn_env("asm_hook_test", asm_connection_json(asm_endpoint, **extra))
        cm.__enter__()
        hook = ServiceManagementHook(asm_conn_id="asm_hook_test")
        opened.append((hook, cm))
        return hook

    yield factory
    for hook, cm in opened:
        hook.close()
        cm.__exit__(None, None, None)


@pytest.fixture(scope="session")
def hitl_api() -> Iterator[Any]:
    """Airflow's core API app (simple auth manager, every user an admin) as a test client: how the
    tests answer approval requests (``hitl.answering``), as the "Required Actions" view would."""
    from airflow.configuration import conf
    from fastapi.testclient import TestClient

    conf.set("core", "simple_auth_manager_all_admins", "True")
    from airflow.api_fastapi.app import create_app

    with TestClient(create_app(apps="core")) as api:
        yield api

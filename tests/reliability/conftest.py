"""Set-up for the reliability tests (issue 7): Airflow home, emulator helpers, request counters.

Airflow reads its configuration when ``airflow`` is first imported, so the environment must be
in place before any test module imports it. When the whole suite runs, ``tests/airflow/conftest.py``
has already done that (its temp ``AIRFLOW_HOME`` is reused here: Airflow is configured once per
process); when only ``tests/reliability`` runs, this module prepares an equivalent home.

Request counting: a fault rule with ``count: 0`` never fires but its ``matched`` counter counts
every request it matches, so "no request reached the emulator" and "one create was sent" are
read from the emulator's own admin API, independent of our client.
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

HERE = Path(__file__).resolve().parent
AIRFLOW_TESTS = HERE.parent / "airflow"
# ``harness`` (run_dag, task_states, ...) and the example-DAG helpers live in tests/airflow.
for _p in (str(HERE), str(AIRFLOW_TESTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

_existing = os.environ.get("AIRFLOW_HOME", "")
if Path(_existing).name.startswith("asm-airflow-home-") and Path(_existing).is_dir():
    HOME = Path(_existing)  # tests/airflow/conftest.py configured this process first
    OWN_HOME = False
else:
    HOME = Path(tempfile.mkdtemp(prefix="asm-airflow-home-rel-"))
    OWN_HOME = True
    (HOME / "dags").mkdir()
    for _key, _value in {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(HOME / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__SENSORS__DEFAULT_TIMEOUT": "600",
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "False",
    }.items():
        os.environ[_key] = _value

try:  # see tests/airflow/conftest.py: starlette warns inside Airflow's in-process API
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.filterwarnings("ignore", category=StarletteDeprecationWarning)
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(scope="session")
def airflow_home() -> Iterator[Path]:
    """A migrated metadata DB in the session's temp AIRFLOW_HOME (migrated once; cheap if done)."""
    from airflow.utils.db import initdb

    initdb()
    yield HOME
    if OWN_HOME:
        shutil.rmtree(HOME, ignore_errors=True)


def db_session() -> Any:
    """A session on this process's Airflow metadata DB (``settings.Session`` is Optional in types)."""
    from airflow import settings

    factory = settings.Session
    assert factory is not None, "Airflow ORM not configured"
    return factory()


# --- emulator helpers --------------------------------------------------------------------------
COUNT_ALL: dict[str, Any] = {"action": "slow", "delay": 0, "count": 0}


def count_rule(emulator: Any, **criteria: Any) -> int:
    """Add a never-firing rule FIRST in the list (it only counts); return its id.

    Rules are checked in order and the first that fires decides; a ``count: 0`` rule never fires,
    so it sees every matching request even when other fault rules follow.
    """
    faults = emulator.faults
    existing = faults.list()
    faults.clear()
    added = emulator.add_faults({**COUNT_ALL, **criteria})
    if existing:
        emulator.add_faults(*[_plain(r) for r in existing])
    return int(added[0]["id"])


def _plain(rule: dict[str, Any]) -> dict[str, Any]:
    keep = {"action", "method", "path", "operation", "after", "count", "rate", "retry_after", "delay"}
    keep |= {"error_code", "message"}
    return {k: v for k, v in rule.items() if k in keep and v is not None}


def matched(emulator: Any, rule_id: int) -> int:
    """How many requests the rule ``rule_id`` matched so far."""
    for rule in emulator.faults.list():
        if int(rule["id"]) == rule_id:
            return int(rule["matched"])
    raise KeyError(rule_id)


def admin_get(endpoint: dict[str, Any], what: str = "state") -> Any:
    """``GET {admin_url}{what}`` (works for a subprocess emulator too)."""
    from airflow_sm_provider.emulator.sessions import admin_call

    return admin_call(endpoint, "GET", what, timeout=10)


def admin_post(endpoint: dict[str, Any], what: str, body: Any) -> Any:
    from airflow_sm_provider.emulator.sessions import admin_call

    return admin_call(endpoint, "POST", what, body, timeout=10)


def client_for(endpoint: dict[str, Any], **kwargs: Any) -> Any:
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.compat import endpoint_kwargs

    return ServiceManagementClient(**endpoint_kwargs(endpoint), **kwargs)

"""DAG files are parsed often: importing an operator or sensor module, or parsing an example DAG
file, must not load the client's transport, XML or crypto stack, nor Airflow core's trigger module
(issue 6, goal: under 50 ms over airflow.sdk). Checked by what gets imported, not by timing, so the
test cannot flake on a loaded machine."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import airflow_sm_provider.operators
import airflow_sm_provider.sensors

ROOT = Path(__file__).resolve().parents[1]
HEAVY = [
    "airflow_sm_provider.client.transport",
    "airflow_sm_provider.client.service",
    "airflow_sm_provider.client.aio",
    "airflow_sm_provider.client.models",
    "airflow_sm_provider.hooks.service_management",
    "airflow_sm_provider.triggers.base",
    "airflow.triggers.base",  # Airflow core, ~40 ms: only trigger modules need it
    "airflow_sm_provider.ui",  # the UI plugin and its FastAPI app: api-server only (links stay cheap)
    "fastapi",
    "lxml",
    "lxml.etree",
    "requests",
    "urllib3",
    "OpenSSL",
]  # not httpx, cryptography or tenacity: `import airflow.sdk` loads those itself
MODULES = [
    f"{pkg.__name__}.{m.name}"
    for pkg in (airflow_sm_provider.operators, airflow_sm_provider.sensors)
    for m in pkgutil.iter_modules(pkg.__path__)
]


DAG_FILES = sorted(str(p) for p in (ROOT / "example_dags").glob("*.py") if not p.name.startswith("_"))


def _loaded_after_import(modules: list[str], dag_files: tuple[str, ...] = ()) -> list[str]:
    """Heavy modules present after importing all ``modules`` (and executing ``dag_files`` the way
    the DAG processor does, by path) in one fresh interpreter."""
    code = (
        "import sys, json, importlib, importlib.util\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"for i, path in enumerate({list(dag_files)!r}):\n"
        "    spec = importlib.util.spec_from_file_location(f'dag_{i}', path)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_there_are_modules_to_check() -> None:
    assert any(m.endswith(".deployment") for m in MODULES)


def test_there_are_dag_files_to_check() -> None:
    assert any(p.endswith("blue_green_release.py") for p in DAG_FILES)


def test_operator_and_sensor_modules_import_no_heavy_client_modules() -> None:
    assert _loaded_after_import(MODULES) == []


def test_each_sensor_module_alone_imports_no_trigger_machinery() -> None:
    sensors = [m for m in MODULES if ".sensors." in m]
    assert sensors
    for module in sensors:
        assert _loaded_after_import([module]) == [], module


def test_parsing_the_example_dags_imports_no_heavy_modules() -> None:
    """Parsing builds every operator and sensor, so their construction-time checks run too."""
    assert _loaded_after_import([], tuple(DAG_FILES)) == []


def test_star_import_still_exports_the_old_sdk_names() -> None:
    namespace: dict[str, object] = {}
    exec("from airflow_sm_provider.client import *", namespace)
    for name in ("ServiceManagementService", "LinuxConfigurationSet", "OSVirtualHardDisk", "AsmError"):
        assert name in namespace

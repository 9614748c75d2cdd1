"""DAG files are parsed often: importing an operator module must not load the client's transport,
XML or crypto stack (issue 6, goal: under 50 ms over airflow.sdk). Checked by what gets imported,
not by timing, so the test cannot flake on a loaded machine."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import airflow_sm_provider.operators
import airflow_sm_provider.sensors

HEAVY = [
    "airflow_sm_provider.client.transport",
    "airflow_sm_provider.client.service",
    "lxml.etree",
    "OpenSSL",
]
MODULES = [
    f"{pkg.__name__}.{m.name}"
    for pkg in (airflow_sm_provider.operators, airflow_sm_provider.sensors)
    for m in pkgutil.iter_modules(pkg.__path__)
]


def _loaded_after_import(modules: list[str]) -> list[str]:
    """Heavy modules present after importing all ``modules`` in one fresh interpreter."""
    code = (
        "import sys, json, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_there_are_modules_to_check() -> None:
    assert any(m.endswith(".deployment") for m in MODULES)


def test_operator_and_sensor_modules_import_no_heavy_client_modules() -> None:
    assert _loaded_after_import(MODULES) == []


def test_star_import_still_exports_the_old_sdk_names() -> None:
    namespace: dict[str, object] = {}
    exec("from airflow_sm_provider.client import *", namespace)
    for name in ("ServiceManagementService", "LinuxConfigurationSet", "OSVirtualHardDisk", "AsmError"):
        assert name in namespace

"""Provider discovery: the dict is valid, Airflow's CLI sees the provider and its connection type."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import airflow
import jsonschema
from packaging.utils import canonicalize_name

from airflow_sm_provider.get_provider_info import OPERATOR_MODULES, get_provider_info

AIRFLOW_BIN = Path(sys.executable).with_name("airflow")


def test_valid_against_installed_schema() -> None:
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_package_name_is_the_canonical_distribution_name() -> None:
    dist = distribution("airflow-sm-provider")
    assert get_provider_info()["package-name"] == canonicalize_name(dist.metadata["Name"])


def test_every_listed_module_imports_and_hook_matches_conn_type() -> None:
    info = get_provider_info()
    modules = [
        m
        for key in ("hooks", "sensors", "triggers", "operators")
        for g in info.get(key, [])
        for m in g["python-modules"]
    ]
    for name in modules:
        importlib.import_module(name)
    (ct,) = info["connection-types"]
    module, _, cls = ct["hook-class-name"].rpartition(".")
    hook = getattr(importlib.import_module(module), cls)
    assert hook.conn_type == ct["connection-type"] == "azure_service_management"
    assert hook.hook_name == ct["hook-name"]
    assert hook.conn_name_attr == "asm_conn_id"
    assert hook.default_conn_name == "asm_default"


def test_every_operator_module_is_listed() -> None:
    """A new operators/<name>.py defining an operator must be added to OPERATOR_MODULES."""
    import re

    here = Path(str(importlib.import_module("airflow_sm_provider.operators").__file__)).parent
    defining = {
        p.stem
        for p in here.glob("*.py")
        if not p.stem.startswith("_")
        and p.stem != "base"
        and re.search(r"^class \w+Operator\(", p.read_text(), re.M)
    }
    assert defining <= set(OPERATOR_MODULES), defining - set(OPERATOR_MODULES)


def test_operator_list_tracks_the_modules_present() -> None:
    info = get_provider_info()
    listed = {m for g in info.get("operators", []) for m in g["python-modules"]}
    here = Path(str(importlib.import_module("airflow_sm_provider.operators").__file__)).parent
    present = {f"airflow_sm_provider.operators.{m}" for m in OPERATOR_MODULES if (here / f"{m}.py").exists()}
    assert listed == present


def test_connection_form_metadata() -> None:
    (ct,) = get_provider_info()["connection-types"]
    fields = ct["conn-fields"]
    assert fields["certificate_private_key"]["schema"]["format"] == "password"
    assert {
        "subscription_id",
        "certificate_path",
        "ca_bundle",
        "verify",
        "x_ms_version",
        "timeout",
        "max_retries",
        "requests_per_second",
    } <= set(fields)
    behaviour = ct["ui-field-behaviour"]
    assert set(behaviour["hidden-fields"]) == {"schema", "port", "login"}
    assert "password" in behaviour["relabeling"]


def test_providers_manager_registers_form_and_behaviour() -> None:
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    pm = ProvidersManager()
    assert "airflow-sm-provider" in pm.providers
    hook = ProvidersManagerTaskRuntime().hooks["azure_service_management"]
    assert hook is not None and hook.connection_testable
    widgets = pm.connection_form_widgets
    key = "extra__azure_service_management__certificate_private_key"
    assert key in widgets and widgets[key].is_sensitive
    behaviour = pm.field_behaviours["azure_service_management"]
    assert "login" in behaviour["hidden_fields"]


def test_no_legacy_python_connection_form() -> None:
    """Airflow >= 3.2 (required) reads the form from get_provider_info; the FAB/wtforms form is gone."""
    from airflow_sm_provider.hooks import service_management
    from airflow_sm_provider.hooks.service_management import ServiceManagementHook

    assert "get_connection_form_widgets" not in vars(ServiceManagementHook)
    assert "get_ui_field_behaviour" not in vars(ServiceManagementHook)
    source = Path(service_management.__file__).read_text()
    assert "wtforms" not in source and "flask" not in source


def _airflow_cli(*args: str) -> str:
    proc = subprocess.run(
        [str(AIRFLOW_BIN), *args], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_cli_lists_provider_and_hook() -> None:
    assert "airflow-sm-provider" in _airflow_cli("providers", "list", "--output", "json")
    hooks = _airflow_cli("providers", "hooks", "--output", "json")
    assert "azure_service_management" in hooks
    assert "ServiceManagementHook" in hooks

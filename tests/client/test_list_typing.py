"""mypy sees each old list wrapper class with exactly its attribute, top-level and nested.

Why: ported scripts read ``sms.list_hosted_services().hosted_services`` and
``deployment.role_instance_list.role_instances``; typed code must get real checking of both: the
right attribute accepted (and typed as the list, items the model), a misspelt one an error. The
snippet below marks each line mypy must flag with ``# E`` and each ``reveal_type`` with the type
it must reveal (``# T: ...``); every other line must pass. Run through ``mypy.api`` with the
project's own mypy config, a cache under ``tmp_path`` (no state shared with other runs).
"""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]
M = "airflow_sm_provider.client"

SNIPPET = f"""
from collections.abc import Iterable
from airflow_sm_provider.client import (
    AsyncServiceManagementClient,
    ConfigurationSet,
    ConfigurationSetInputEndpoint,
    DataVirtualHardDisk,
    DataVirtualHardDisks,
    HostedService,
    HostedServices,
    Role,
    ServiceManagementClient,
)


def top_level(sms: ServiceManagementClient) -> None:
    services = sms.list_hosted_services()
    reveal_type(services)  # T: {M}._list_types.HostedServices
    reveal_type(services.hosted_services)  # T: {M}._list_types.HostedServices
    services.hosted_servics  # E
    services.roles  # E
    for s in services:
        reveal_type(s)  # T: {M}.models_compute.HostedService
        s.service_name.upper()
        s.service_nam  # E
    for s in services.hosted_services:
        s.service_name.upper()
    services.hosted_services = [HostedService()]
    services.hosted_services = None
    services.hosted_services = "text"  # E
    names: list[str] = [s.service_name for s in sms.list_hosted_services()]
    as_list: list[HostedService] = services
    sms.list_os_images().images
    sms.list_os_images().os_images  # E
    sms.list_role_sizes().role_sizes


def nested(sms: ServiceManagementClient) -> None:
    dep = sms.get_deployment_by_slot("svc", "production")
    reveal_type(dep.role_instance_list)  # T: {M}._list_types.RoleInstanceList
    for ri in dep.role_instance_list.role_instances:
        reveal_type(ri)  # T: {M}.models_compute.RoleInstance
        ri.instance_endpoints.instance_endpoints
        ri.instance_endpoints.endpoints  # E
    dep.role_instance_list.role_instance  # E
    dep.role_list.roles[0].role_name.upper()
    dep.role_list.role_list  # E
    dep.input_endpoint_list.input_endpoints
    dep.virtual_ips.virtual_ips
    role = dep.role_list[0]
    role.data_virtual_hard_disks.data_virtual_hard_disks.append(DataVirtualHardDisk())
    role.configuration_sets.configuration_sets
    net = ConfigurationSet()
    net.input_endpoints.input_endpoints.append(ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22"))
    net.input_endpoints.input_endpoint  # E
    for site in sms.list_virtual_network_sites().virtual_network_sites:
        site.subnets.subnets
        site.subnets.subnet  # E
    svc = sms.get_hosted_service_properties("svc", True)
    svc.deployments.deployments[0].role_list.roles


def built_the_old_way() -> Role:
    disks = DataVirtualHardDisks()
    disks.data_virtual_hard_disks.append(DataVirtualHardDisk())
    disks.data_virtual_hard_disk  # E
    role = Role()
    role.data_virtual_hard_disks = disks
    return role


async def aio(sms: AsyncServiceManagementClient) -> None:
    services = await sms.list_hosted_services()
    reveal_type(services)  # T: {M}._list_types.HostedServices
    services.hosted_services[0].service_name.upper()
    services.hosted_servics  # E
    dep = await sms.get_deployment_by_name("svc", "dep")
    dep.role_instance_list.role_instances
    dep.role_instance_list.role_instancez  # E


def takes(items: Iterable[HostedService]) -> HostedServices:
    return HostedServices(items)
"""


def _expected(snippet: str) -> tuple[set[int], dict[int, str]]:
    errors, reveals = set(), {}
    for number, line in enumerate(snippet.splitlines(), 1):
        if line.endswith("# E"):
            errors.add(number)
        elif "# T: " in line:
            reveals[number] = line.rpartition("# T: ")[2]
    return errors, reveals


def test_mypy_checks_the_old_wrapper_attributes_of_top_level_and_nested_lists(tmp_path: Path) -> None:
    snippet = tmp_path / "ported_typed.py"
    snippet.write_text(SNIPPET, encoding="utf-8")
    out, err, _ = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--show-error-codes",
            "--no-error-summary",
            str(snippet),
        ]
    )
    found_errors: set[int] = set()
    found_reveals: dict[int, str] = {}
    other: list[str] = []
    for line in out.splitlines():
        m = re.match(r".*ported_typed\.py:(\d+): (error|note): (.*)$", line)
        if m is None:
            other.append(line)
            continue
        number, kind, text = int(m[1]), m[2], m[3]
        if kind == "error":
            found_errors.add(number)
        elif text.startswith("Revealed type is "):
            found_reveals[number] = text.removeprefix("Revealed type is ").strip('"')
    errors, reveals = _expected(SNIPPET)
    lines = SNIPPET.splitlines()
    report = out + err
    assert not other, report
    assert sorted(found_errors - errors) == [], [lines[n - 1] for n in sorted(found_errors - errors)]
    assert sorted(errors - found_errors) == [], [lines[n - 1] for n in sorted(errors - found_errors)]
    assert found_reveals == reveals, report


def test_the_typed_declarations_are_the_run_time_classes_and_attributes() -> None:
    """``_list_types`` (for mypy only, never imported) declares exactly the classes ``models_lists``
    exports, each with its run-time class's attribute and no other member."""
    import ast

    from airflow_sm_provider.client import models_lists

    tree = ast.parse((ROOT / "airflow_sm_provider" / "client" / "_list_types.py").read_text())
    declared: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            declared[node.name] = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
    assert set(declared) == set(models_lists.LIST_TYPES)
    for name, members in declared.items():
        assert members == {models_lists.LIST_TYPES[name].alias}, name


def test_a_list_fields_annotation_resolves_to_its_run_time_class() -> None:
    """Every list-of-models field is annotated with its wrapper class's name (``RoleInstanceList``),
    which mypy imports from ``_list_types``; at run time ``typing.get_type_hints`` must still
    resolve it, to the very class the field holds (parsed or built in Python)."""
    import importlib
    import pkgutil
    import typing

    import airflow_sm_provider.client as client
    from airflow_sm_provider.client.xmlmap import LIST, empty, list_type_of, spec_of

    checked = 0
    for info in pkgutil.walk_packages(client.__path__, client.__name__ + "."):
        for model in vars(importlib.import_module(info.name)).values():
            if not (isinstance(model, type) and model.__module__ == info.name and "__xml__" in vars(model)):
                continue
            hints = typing.get_type_hints(model)
            for f in spec_of(model).fields:
                if f.kind != LIST or f.model is None or "__view_of__" in vars(model):
                    continue
                assert hints[f.attr] is list_type_of(f.model) is type(getattr(empty(model), f.attr)), (
                    model,
                    f.attr,
                )
                checked += 1
    assert checked >= 28


_OWN_NAME_MODULE = """
from __future__ import annotations
from airflow_sm_provider.client.xmlmodel import xml_model

@xml_model
class Images:
    name: str = ""

@xml_model
class Holder:
    image: Images | None = None
    roles: RoleList = None
"""


def test_a_module_that_defines_a_list_class_name_itself_keeps_its_meaning() -> None:
    """The wrapper class names resolve only where the model's module does not define the name as
    something else: here ``Images`` is the module's own model, ``RoleList`` the list class."""
    import sys
    import types
    import typing

    import airflow_sm_provider.client.models  # the real models (RoleList's Role) first
    from airflow_sm_provider.client import RoleList
    from airflow_sm_provider.client.xmlmap import LIST, MODEL, spec_of

    module = types.ModuleType("list_typing_probe")
    sys.modules[module.__name__] = module
    try:
        exec(compile(_OWN_NAME_MODULE, "list_typing_probe.py", "exec"), vars(module))
        holder, images = module.Holder, module.Images
        kinds = {f.attr: (f.kind, f.model) for f in spec_of(holder).fields}
        assert kinds == {"image": (MODEL, images), "roles": (LIST, airflow_sm_provider.client.models.Role)}
        assert typing.get_type_hints(holder) == {"image": images | None, "roles": RoleList}
    finally:
        del sys.modules[module.__name__]

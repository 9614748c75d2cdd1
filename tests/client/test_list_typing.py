"""mypy sees each old list wrapper class with exactly its attribute, top-level and nested.

Why: ported scripts read ``sms.list_hosted_services().hosted_services`` and
``deployment.role_instance_list.role_instances``; typed code must get real checking of both: the
right attribute accepted (and typed as the list, items the model), a misspelt one an error. The
snippet below marks each line mypy must flag with ``# E`` and each ``reveal_type`` with the type
it must reveal (``# T: ...``); every other line must pass. Run through ``mypy.api`` with the
project's own mypy config, a cache under ``tmp_path`` (no state shared with other runs).
"""

from __future__ import annotations

from pathlib import Path

from mypy_snippet import ROOT, check_snippet

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


def built_the_new_way(disk: DataVirtualHardDisk, ep: ConfigurationSetInputEndpoint) -> Role:
    role = Role(data_virtual_hard_disks=[disk])
    reveal_type(role.data_virtual_hard_disks)  # T: {M}._list_types.DataVirtualHardDisks
    role.data_virtual_hard_disks.data_virtual_hard_disks.append(disk)
    role.data_virtual_hard_disks.data_virtual_hard_disk  # E
    net = ConfigurationSet(input_endpoints=[ep])
    net.input_endpoints.input_endpoints.append(ep)
    net = ConfigurationSet(input_endpoints=(e for e in [ep]))
    ConfigurationSet(input_endpoints=[disk])  # E
    ConfigurationSet(input_endpoints="ep")  # E
    role.data_virtual_hard_disks = [disk]
    role.data_virtual_hard_disks = None
    role.data_virtual_hard_disks = [ep]  # E
    role.configuration_sets = [net]
    return Role(role_name="vm", configuration_sets=[net], data_virtual_hard_disks=(disk,))


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


def test_mypy_checks_the_old_wrapper_attributes_of_top_level_and_nested_lists(tmp_path: Path) -> None:
    check_snippet(SNIPPET, tmp_path, "ported_typed")


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
    """Every list-of-models field is annotated ``ListOf[W, Item]`` with its wrapper class's name
    (``ListOf[RoleInstanceList, RoleInstance]``), which mypy imports from ``_list_types``; at run
    time ``typing.get_type_hints`` must still resolve it, ``W`` to the very class the field holds
    (parsed, built in Python, or given a plain list), ``Item`` to the field's model."""
    import importlib
    import pkgutil
    import typing

    import airflow_sm_provider.client as client
    from airflow_sm_provider.client.xmlmap import LIST, empty, list_type_of, spec_of
    from airflow_sm_provider.client.xmlmodel import ListOf

    checked = 0
    for info in pkgutil.walk_packages(client.__path__, client.__name__ + "."):
        for model in vars(importlib.import_module(info.name)).values():
            if not (isinstance(model, type) and model.__module__ == info.name and "__xml__" in vars(model)):
                continue
            hints = typing.get_type_hints(model)
            for f in spec_of(model).fields:
                if f.kind != LIST or f.model is None or "__view_of__" in vars(model):
                    continue
                assert typing.get_origin(hints[f.attr]) is ListOf, (model, f.attr)
                wrapper, item = typing.get_args(hints[f.attr])
                built = model(**{f.attr: []})
                assert item in (f.model, typing.Any), (model, f.attr)
                assert wrapper is list_type_of(f.model) is type(getattr(empty(model), f.attr)), (
                    model,
                    f.attr,
                )
                assert type(getattr(built, f.attr)) is wrapper, (model, f.attr)
                checked += 1
    assert checked >= 28


_OWN_NAME_MODULE = """
from __future__ import annotations
from airflow_sm_provider.client.models import Role
from airflow_sm_provider.client.xmlmodel import ListOf, xml_model

@xml_model
class Images:
    name: str = ""

@xml_model
class Holder:
    image: Images | None = None
    roles: ListOf[RoleList, Role] = None
"""


def test_a_module_that_defines_a_list_class_name_itself_keeps_its_meaning() -> None:
    """The wrapper class names resolve only where the model's module does not define the name as
    something else: here ``Images`` is the module's own model, ``RoleList`` the list class."""
    import sys
    import types
    import typing

    import airflow_sm_provider.client.models  # the real models (RoleList's Role) first
    from airflow_sm_provider.client import Role, RoleList
    from airflow_sm_provider.client.xmlmap import LIST, MODEL, spec_of
    from airflow_sm_provider.client.xmlmodel import ListOf

    module = types.ModuleType("list_typing_probe")
    sys.modules[module.__name__] = module
    try:
        exec(compile(_OWN_NAME_MODULE, "list_typing_probe.py", "exec"), vars(module))
        holder, images = module.Holder, module.Images
        kinds = {f.attr: (f.kind, f.model) for f in spec_of(holder).fields}
        assert kinds == {"image": (MODEL, images), "roles": (LIST, airflow_sm_provider.client.models.Role)}
        assert typing.get_type_hints(holder) == {"image": images | None, "roles": ListOf[RoleList, Role]}
        assert type(holder().roles) is RoleList
    finally:
        del sys.modules[module.__name__]


def test_a_list_given_to_a_model_is_its_old_wrapper_class_at_run_time() -> None:
    """What mypy promises is what runs: a plain list (or any iterable, or None) given to a model's
    constructor, to ``dataclasses.replace`` or assigned to the field is held as the field's wrapper
    class, so ``Role(data_virtual_hard_disks=[d]).data_virtual_hard_disks.data_virtual_hard_disks``
    works as it does on a parsed role. A wrapper instance is kept as it is (the old idiom fills
    ``disks`` after assigning it); text is refused, as the wrapper attribute's setter refuses it."""
    import dataclasses
    import pickle

    import pytest

    from airflow_sm_provider.client import (
        ConfigurationSet,
        ConfigurationSetInputEndpoint,
        DataVirtualHardDisk,
        DataVirtualHardDisks,
        Role,
        WindowsConfigurationSet,
    )
    from airflow_sm_provider.client.models_lists import ConfigurationSetInputEndpoints, ConfigurationSets

    disk, ep = DataVirtualHardDisk(lun=1), ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22")
    net = ConfigurationSet(input_endpoints=[ep])
    assert type(net.input_endpoints) is ConfigurationSetInputEndpoints
    assert net.input_endpoints.input_endpoints == [ep]
    role = Role(data_virtual_hard_disks=[disk], configuration_sets=(s for s in [net]))
    assert type(role.data_virtual_hard_disks) is DataVirtualHardDisks
    assert role.data_virtual_hard_disks.data_virtual_hard_disks == [disk]
    assert type(role.configuration_sets) is ConfigurationSets
    assert role.configuration_sets.configuration_sets == [net]

    role.data_virtual_hard_disks = [disk, disk]
    assert type(role.data_virtual_hard_disks) is DataVirtualHardDisks
    assert role.data_virtual_hard_disks.data_virtual_hard_disks == [disk, disk]
    role.data_virtual_hard_disks = None
    assert type(role.data_virtual_hard_disks) is DataVirtualHardDisks
    assert role.data_virtual_hard_disks == []
    assert Role(data_virtual_hard_disks=None) == Role()

    disks = DataVirtualHardDisks()
    role.data_virtual_hard_disks = disks
    disks.data_virtual_hard_disks.append(disk)
    assert role.data_virtual_hard_disks is disks

    replaced = dataclasses.replace(role, data_virtual_hard_disks=[disk])
    assert type(replaced.data_virtual_hard_disks) is DataVirtualHardDisks
    windows = WindowsConfigurationSet(stored_certificate_settings=[])  # a subclass's own list field
    assert windows.stored_certificate_settings.stored_certificate_settings == []

    copied = pickle.loads(pickle.dumps(role))
    assert copied == role
    assert type(copied.data_virtual_hard_disks) is DataVirtualHardDisks

    with pytest.raises(TypeError, match="data_virtual_hard_disks"):
        Role(data_virtual_hard_disks="disk")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input_endpoints"):
        net.input_endpoints = b"ep"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="data_virtual_hard_disks takes a list of models, not dict"):
        Role(data_virtual_hard_disks={"lun": 0})  # type: ignore[arg-type]  # its keys, before


_MISLABELLED_MODULE = """
from __future__ import annotations
from airflow_sm_provider.client import DataVirtualHardDisk, RoleList
from airflow_sm_provider.client.xmlmodel import ListOf, xml_field, xml_model

@xml_model
class Mislabelled:
    disks: ListOf[RoleList, DataVirtualHardDisk] = xml_field(default_factory=list)
"""


def test_a_list_fields_wrapper_must_be_its_items_list_class() -> None:
    """``ListOf[W, Item]`` names ``W`` for mypy only; the model refuses to be made when ``W`` is not
    the list class of ``Item`` (mypy would type the field as a list it never holds)."""
    import sys
    import types

    import pytest

    module = types.ModuleType("list_typing_mislabelled")
    sys.modules[module.__name__] = module
    try:
        with pytest.raises(TypeError, match=r"ListOf\[DataVirtualHardDisks, \.\.\.\], not ListOf\[RoleList"):
            exec(compile(_MISLABELLED_MODULE, "list_typing_mislabelled.py", "exec"), vars(module))
    finally:
        del sys.modules[module.__name__]

"""Every model class of the old SDK an old script builds or checks is ours, by name and constructor.

The promise (issue 11): ``from azure.servicemanagement import *`` -> ``from airflow_sm_provider.client
import *`` is the only change a script needs. The truth is the OLD SDK itself: every class of
``azure.servicemanagement.models`` except the families the provider does not cover (listed below,
each with its reason) must be importable from ``airflow_sm_provider.client`` under the same name (and
be in its ``__all__``), take the old constructor's arguments in the old order with the old defaults,
have every attribute a fresh old instance has, and, for the old list wrappers (``HostedServices``,
``DataVirtualHardDisks``, ...), build an empty real ``list`` answering to the old attribute that the
client accepts where the old method took the wrapper (checked against the emulator).
"""

from __future__ import annotations

import base64
import copy
import inspect
import json
import pickle
from typing import Any

import pytest
from azure.servicemanagement import _common_models as old_common
from azure.servicemanagement import models as old_models
from legacy_wire import old_wrapper

import airflow_sm_provider.client as client
from airflow_sm_provider.client import xmlmap

#: Old classes the provider does not port: family (why) -> class names. Each must exist in the old SDK.
_NOT_PORTED = {
    # sqldatabasemanagementservice.py, servicebusmanagementservice.py, websitemanagementservice.py,
    # schedulermanagementservice.py: not ASM compute/storage (the Scheduler's OperationStatus is
    # Resource.operation_status); metrics are Service Bus / Website (Data and Values: its feed entries)
    "SQL Database": (
        "Servers Server ServerQuota EventLog CreateServerResponse Database FirewallRule ServiceObjective"
    ),
    "Service Bus": (
        "ServiceBusRegion ServiceBusNamespace QueueDescription TopicDescription CountDetails "
        "NotificationHubDescription AuthorizationRules AuthorizationRule RelayDescription"
    ),
    "Website": "WebSpaces WebSpace Sites Site HostNameSslStates HostNameSslState",
    "Scheduler": (
        "CloudServices CloudService Resources Resource IntrinsicSettings Quota MaxRecurrence OperationStatus"
    ),
    "metrics": (
        "MetricProperties MetricValues MetricRollups MetricResponses MetricResponse MetricSample "
        "MetricDefinitions MetricDefinition MetricAvailabilities MetricAvailability Data Values"
    ),
    # ours reads a .publishsettings file itself (compat.get_certificate_from_publish_settings)
    "publishsettings": "PublishData PublishProfile",
    # every write returns an OperationHandle (.request_id, .wait()); docs/migrating.md's table says so
    "replaced by OperationHandle": "AsynchronousOperationResult",
    # an exception, not a model: the alias of OperationFailedError (tests/client/test_errors.py)
    "exception": "AzureAsyncOperationHttpError",
}
OUT_OF_SCOPE = {name: family for family, names in _NOT_PORTED.items() for name in names.split()}

#: Constructor defaults that cannot be the old ones: class -> its parameters defaulting to None.
#: None means "not sent": the old SDK's serializer sent every non-None value, so its '' / False / 4
#: defaults went out as elements nobody set (<LoadBalancedEndpointSetName/>,
#: <IdleTimeoutInMinutes>4</...>); ours send only what the caller set and the service applies the
#: same defaults (docs/migrating.md, "VM bodies carry the SDK's model defaults";
#: tests/client/test_wire_legacy.py VM_BODIES).
_UNSENT_DEFAULTS = {
    "ConfigurationSetInputEndpoint": (
        "load_balanced_endpoint_set_name enable_direct_server_return idle_timeout_in_minutes"
    ),
    "DataVirtualHardDisk": "media_link disk_label disk_name",
    "Listener": "certificate_thumbprint",
    "PublicIP": "name",
    "ResourceExtensionReference": "reference_name publisher name version",
}
DEFAULT_DEVIATIONS = {(cls, param) for cls, params in _UNSENT_DEFAULTS.items() for param in params.split()}


def _old_classes() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(old_models).items()
        if isinstance(value, type) and value.__module__ == old_models.__name__
    }


OLD_CLASSES = _old_classes()
IN_SCOPE = sorted(name for name in OLD_CLASSES if name not in OUT_OF_SCOPE)
OLD_WRAPPERS = {name: w for name in IN_SCOPE if (w := old_wrapper(OLD_CLASSES[name]())) is not None}


def test_the_scope_is_read_from_the_old_sdk() -> None:
    # guards the enumeration: were it empty, every test below would pass
    assert set(OUT_OF_SCOPE) <= set(OLD_CLASSES), sorted(set(OUT_OF_SCOPE) - set(OLD_CLASSES))
    assert len(IN_SCOPE) >= 95 and len(OLD_WRAPPERS) >= 38
    assert {"HostedServices", "DataVirtualHardDisks", "AdditionalUnattendContent", "PublicIP"} <= set(
        IN_SCOPE
    )
    assert OLD_WRAPPERS["RoleInstanceList"] == ("role_instances", old_models.RoleInstance)


STAR: dict[str, Any] = {}
exec("from airflow_sm_provider.client import *", STAR)  # what a ported script gets


@pytest.mark.parametrize("name", IN_SCOPE)
def test_importable_by_the_old_name_and_star_exported(name: str) -> None:
    assert name in client.__all__, f"{name} is not in airflow_sm_provider.client.__all__"
    assert STAR.get(name) is getattr(client, name)


def _params(cls: type) -> list[inspect.Parameter]:
    if issubclass(cls, list):  # an old wrapper's __init__(self): ours is list(iterable=())
        return []
    return list(inspect.signature(cls.__init__).parameters.values())[1:]


@pytest.mark.parametrize("name", IN_SCOPE)
def test_the_constructor_takes_the_old_arguments_in_the_old_order(name: str) -> None:
    """The old parameters come first, same names, kinds and defaults; ours may add keywords after
    them (every one with a default), which no old call can have passed."""
    old, ours = _params(OLD_CLASSES[name]), _params(getattr(client, name))
    assert [p.name for p in ours[: len(old)]] == [p.name for p in old], (old, ours)
    for o, n in zip(old, ours, strict=False):
        assert n.kind == o.kind, (name, o.name)
        if (name, o.name) not in DEFAULT_DEVIATIONS:
            assert n.default == o.default, (
                f"{name}({o.name}=...): old default {o.default!r}, ours {n.default!r}"
            )
        else:
            assert n.default is None, (name, o.name)
    assert all(p.default is not inspect.Parameter.empty for p in ours[len(old) :]), name


@pytest.mark.parametrize("name", IN_SCOPE)
def test_a_default_instance_has_every_old_attribute(name: str) -> None:
    old, ours = OLD_CLASSES[name](), getattr(client, name)()
    for attr, old_value in vars(old).items():
        if attr.startswith("_"):
            continue
        assert hasattr(ours, attr), f"{name}().{attr}"
        wrapped = old_wrapper(old_value)
        value = getattr(ours, attr)
        if wrapped is not None:  # an old wrapper: ours is a list answering to its attribute
            assert isinstance(value, list) and getattr(value, wrapped[0]) is value, f"{name}().{attr}"
            assert type(value) is getattr(client, type(old_value).__name__), f"{name}().{attr}"
        elif isinstance(old_value, old_common.WindowsAzureData) and value is not None:
            # a nested model (None where ours parses an absent element to None: upgrade_status)
            assert isinstance(value, getattr(client, type(old_value).__name__)), f"{name}().{attr}"


@pytest.mark.parametrize("name", sorted(OLD_WRAPPERS))
def test_each_old_wrapper_builds_an_empty_list_under_its_old_attribute(name: str) -> None:
    attr, old_item = OLD_WRAPPERS[name]
    ours = getattr(client, name)
    made = ours()
    assert type(made) is ours and isinstance(made, list) and made == [] and getattr(made, attr) is made
    item = getattr(client, old_item.__name__)()
    getattr(made, attr).append(item)  # the old idiom: disks.data_virtual_hard_disks.append(...)
    assert made == [item] and len(made) == 1 and made[0] is item
    # the same class our models hold and the parser returns for a list of those items
    assert ours is xmlmap.list_type_of(getattr(client, old_item.__name__))
    for again in (pickle.loads(pickle.dumps(made)), copy.deepcopy(made), copy.copy(made)):
        assert type(again) is ours and again == made
    assert json.loads(json.dumps(ours(["x"]))) == ["x"]


def test_the_export_table_is_the_derived_one() -> None:
    # __init__ names exports statically (imports are lazy); models_lists derives the classes
    from airflow_sm_provider.client import models_lists

    exported = {name for name, module in client._EXPORTS.items() if module == "models_lists"}
    assert exported == set(models_lists.LIST_TYPES)
    assert all(issubclass(t, xmlmap.AliasList) for t in models_lists.LIST_TYPES.values())


def _package_models() -> list[type]:
    """Every XML model the client package defines (request bodies' private models included)."""
    import importlib
    import pkgutil

    models: list[type] = []
    for info in pkgutil.walk_packages(client.__path__, client.__name__ + "."):
        module = importlib.import_module(info.name)
        models += [
            v
            for v in vars(module).values()
            if isinstance(v, type) and v.__module__ == info.name and "__xml__" in vars(v)
        ]
    return models


def test_every_list_class_a_model_holds_is_exported_and_its_class_pickles() -> None:
    # DnsServers (a VM deployment body's dns_servers) was made but not exported: its class named
    # itself airflow_sm_provider.client.DnsServers, which did not exist, so it could not pickle
    classes = {
        xmlmap.list_type_of(f.model)
        for model in _package_models()
        for f in xmlmap.spec_of(model).fields
        if f.kind == xmlmap.LIST and f.model is not None and "__view_of__" not in vars(f.model)
    }
    assert len(classes) >= 25 and client.DnsServers in classes
    for cls in classes:
        assert getattr(client, cls.__name__) is cls and cls.__name__ in client.__all__, cls
        assert pickle.loads(pickle.dumps(cls)) is cls


def test_two_old_wrappers_of_input_endpoints_are_one_list() -> None:
    # the old InputEndpoints (a deployment's) and ConfigurationSetInputEndpoints (a network set's)
    # both held .input_endpoints; ours is one class under both names
    assert client.InputEndpoints is client.ConfigurationSetInputEndpoints
    assert type(client.ConfigurationSet().input_endpoints) is client.ConfigurationSetInputEndpoints


def test_domain_join_credentials_are_the_old_model() -> None:
    # ``Credentials`` of import * is the old SDK's DomainJoin credentials; certificates: load_credentials
    dj = client.DomainJoin()
    dj.credentials = client.Credentials()
    dj.credentials.domain, dj.credentials.username = "corp", "admin"
    assert type(client.DomainJoin().credentials) is client.Credentials


def test_unattend_content_built_the_old_way() -> None:
    win = client.WindowsConfigurationSet("win1", "Secret-p4ss")
    win.additional_unattend_content = client.AdditionalUnattendContent()
    p = client.UnattendPass()
    p.pass_name = "oobeSystem"
    comp = client.UnattendComponent()
    comp.component_name = "Microsoft-Windows-Shell-Setup"
    setting = client.ComponentSetting()
    setting.setting_name, setting.content = "AutoLogon", base64.b64encode(b"<AutoLogon/>").decode()
    comp.component_settings.component_settings.append(setting)
    p.components.components.append(comp)
    win.additional_unattend_content.passes.passes.append(p)
    assert win.additional_unattend_content.passes[0].components[0].component_settings[0] is setting
    assert "Secret-p4ss" not in repr(win) and setting.content not in repr(win)


# --- accepted where the old methods took the wrappers, against the emulator over mutual TLS -----------
IMAGE = "OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd"
WINDOWS_IMAGE = "a699494373c04fc0bc8f2bb1389d6106__Windows-Server-2012-R2-201505.01-en.us-127GB.vhd"
VHDS = "https://mystorage.blob.core.windows.net/vhds"


def _windows_with_unattend() -> Any:
    win = client.WindowsConfigurationSet("win1", "Secret-p4ss", admin_username="azureuser")
    p, comp = client.UnattendPass(), client.UnattendComponent()
    p.pass_name, comp.component_name = "oobeSystem", "Microsoft-Windows-Shell-Setup"
    for setting in ("AutoLogon", "FirstLogonCommands"):
        s = client.ComponentSetting()
        s.setting_name, s.content = setting, base64.b64encode(f"<{setting}/>".encode()).decode()
        comp.component_settings.component_settings.append(s)
    p.components.components.append(comp)
    win.additional_unattend_content.passes.passes.append(p)
    return win


def test_the_client_takes_the_wrappers_where_the_old_methods_did(asm_emulator: Any) -> None:
    from airflow_sm_provider.emulator.pytest_plugin import admin_session

    ep = asm_emulator.endpoint
    svc = "oldmodels" + ep["subscription_id"][:8]
    with client.ServiceManagementClient(
        ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"]
    ) as sms:
        sms.create_hosted_service(svc, svc, location="West US").wait(poll_interval=0.05)
        try:
            network = client.ConfigurationSet()
            network.input_endpoints = client.ConfigurationSetInputEndpoints()
            network.input_endpoints.input_endpoints.append(
                client.ConfigurationSetInputEndpoint("rdp", "tcp", "3389", "3389")
            )
            sms.create_virtual_machine_deployment(
                svc,
                svc,
                "production",
                svc,
                "vm1",
                _windows_with_unattend(),
                client.OSVirtualHardDisk(WINDOWS_IMAGE, f"{VHDS}/{svc}-vm1.vhd"),
                network_config=network,
            ).wait(poll_interval=0.05)

            disks = client.DataVirtualHardDisks()
            disks.data_virtual_hard_disks.append(
                client.DataVirtualHardDisk(f"{VHDS}/{svc}-d1.vhd", lun=1, logical_disk_size_in_gb=10)
            )
            refs = client.ResourceExtensionReferences()
            ref = client.ResourceExtensionReference("bginfo", "Microsoft.Compute", "BGInfo", "1.*")
            ref.resource_extension_parameter_values = client.ResourceExtensionParameterValues()
            refs.resource_extension_references.append(ref)
            linux = client.LinuxConfigurationSet("host2", "azureuser", "Secret-p4ss", True)
            sms.add_role(
                svc,
                svc,
                "vm2",
                linux,
                client.OSVirtualHardDisk(IMAGE, f"{VHDS}/{svc}-vm2.vhd"),
                data_virtual_hard_disks=disks,
                resource_extension_references=refs,
                provision_guest_agent=True,
            ).wait(poll_interval=0.05)

            vm1 = sms.get_role(svc, svc, "vm1")
            (net,) = vm1.configuration_sets.configuration_sets
            assert [e.name for e in net.input_endpoints.input_endpoints] == ["rdp"]
            vm2 = sms.get_role(svc, svc, "vm2")
            assert [
                (d.lun, d.logical_disk_size_in_gb)
                for d in vm2.data_virtual_hard_disks.data_virtual_hard_disks
            ] == [(1, 10)]
            got = vm2.resource_extension_references.resource_extension_references
            assert [(r.reference_name, r.name) for r in got] == [("bginfo", "BGInfo")]
            assert type(vm2.data_virtual_hard_disks) is client.DataVirtualHardDisks

            more = client.DataVirtualHardDisks()  # update_role takes the wrapper too
            more.data_virtual_hard_disks.extend(vm2.data_virtual_hard_disks)
            more.data_virtual_hard_disks.append(
                client.DataVirtualHardDisk(f"{VHDS}/{svc}-d2.vhd", lun=2, logical_disk_size_in_gb=20)
            )
            sms.update_role(svc, svc, "vm2", data_virtual_hard_disks=more).wait(poll_interval=0.05)
            again = sms.get_role(svc, svc, "vm2").data_virtual_hard_disks.data_virtual_hard_disks
            assert [(d.lun, d.logical_disk_size_in_gb) for d in again] == [(1, 10), (2, 20)]

            # the unattend content reached the service: the provisioning set is never returned
            # (recorded), so read what the emulator stored -- names only, Content may hold a password
            with admin_session(ep) as admin:
                state = admin.get(ep["admin_url"] + "state", timeout=10).json()
            (dep,) = [d for d in state["resources"]["deployment"] if d["service"] == svc]
            roles = {r["name"]: r for r in dep["roles"]}
            assert roles["vm1"]["unattend"] == [
                {
                    "pass": "oobeSystem",
                    "components": [
                        {
                            "name": "Microsoft-Windows-Shell-Setup",
                            "settings": ["AutoLogon", "FirstLogonCommands"],
                        }
                    ],
                }
            ]
            assert "Secret-p4ss" not in json.dumps(state) and "PEF1dG9Mb2dvbi8+" not in json.dumps(state)
        finally:
            sms.delete_hosted_service(svc, True).wait(poll_interval=0.05)


# --- typed: mypy accepts the old wrapper attribute of a returned list, and checks its items ---------
TYPED_SNIPPET = """
from airflow_sm_provider.client import ServiceManagementClient


def names(sms: ServiceManagementClient) -> list[str]:
    return [s.service_name for s in sms.list_hosted_services().hosted_services]


def sizes(sms: ServiceManagementClient) -> int:
    return sum(i.logical_size_in_gb for i in sms.list_os_images().images)


def wrong(sms: ServiceManagementClient) -> int:
    return sms.list_hosted_services().hosted_services[0].service_name
"""


def test_mypy_accepts_the_old_wrapper_attribute_and_types_its_items(tmp_path: Any) -> None:
    from pathlib import Path

    from mypy import api

    snippet = tmp_path / "ported.py"
    snippet.write_text(TYPED_SNIPPET, encoding="utf-8")
    config = Path(__file__).resolve().parents[2] / "pyproject.toml"
    out, err, _ = api.run(
        ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), str(snippet)]
    )
    errors = [line.partition(" error: ")[2] for line in out.splitlines() if " error: " in line]
    # only the deliberate mistake: the items are HostedService, so .service_name is a str
    assert errors == ['Incompatible return value type (got "str", expected "int")  [return-value]'], out + err


def test_the_old_sdks_unattend_body_is_accepted_too(asm_emulator: Any) -> None:
    """The old SDK wrote each pass without its <UnattendPass> element; the emulator takes the
    request (as it takes unknown elements) and finds no pass in it, since none is in the shape
    ASM and the old SDK's own parser read."""
    from azure.servicemanagement import ServiceManagementService as OldService

    from airflow_sm_provider.emulator.pytest_plugin import admin_session
    from airflow_sm_provider.emulator.sessions import legacy_session

    ep = asm_emulator.endpoint
    svc = "oldunattend" + ep["subscription_id"][:8]
    session = legacy_session(ep)
    old = OldService(ep["subscription_id"], host=ep["host"], request_session=session)
    win = old_models.WindowsConfigurationSet("win1", "Secret-p4ss", admin_username="azureuser")
    p = old_models.UnattendPass()
    p.pass_name = "oobeSystem"
    win.additional_unattend_content.passes.passes.append(p)
    disk = old_models.OSVirtualHardDisk(WINDOWS_IMAGE, f"{VHDS}/{svc}.vhd")
    try:
        old.create_hosted_service(svc, svc, "unattend", "West US")
        result = old.create_virtual_machine_deployment(svc, svc, "production", svc, "vm1", win, disk)
        status = old.wait_for_operation_status(
            result.request_id, timeout=60, sleep_interval=0.05, progress_callback=None, success_callback=None
        )
        assert status.status == "Succeeded"
        with admin_session(ep) as admin:
            state = admin.get(ep["admin_url"] + "state", timeout=10).json()
        (dep,) = [d for d in state["resources"]["deployment"] if d["service"] == svc]
        assert dep["roles"][0]["unattend"] == []
    finally:
        old.delete_hosted_service(svc, True)
        session.close()

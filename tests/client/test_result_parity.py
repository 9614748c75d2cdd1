"""The same emulator state, read by the old SDK 0.20.8 and by us: the same values, of the same types.

``test_parse_legacy.py`` feeds both parsers synthesised XML and compares values as text; this
module reads a real state over mutual TLS (a cloud service with a running two-instance production
deployment and a staging one, a Linux VM with a data disk, a storage account, an affinity group, a
reserved IP, an OS image, a VM image, a service certificate, a succeeded and a failed operation)
with both clients and compares the result trees strictly: for every attribute the OLD object has,
ours has it, with an equal value of a compatible type (text -> ``str``, int -> ``int``, bool ->
``bool``, ``None`` -> ``None``, a list or an old list wrapper -> a ``list`` of the same items).
An old script's ``op.http_status_code == '200'`` or ``if disk.attached_to is None`` must mean the
same with ours. ``ALLOWED`` lists each deliberate difference, with why no old script is broken.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import azure.servicemanagement as old_sdk
import pytest
from legacy_wire import old_client, ours_client, sample_args
from ported import LINUX_IMAGE, ssh_certificate_pfx
from test_parse_legacy import WRAPPERS

import airflow_sm_provider.client as m
from airflow_sm_provider.client import ServiceManagementService
from airflow_sm_provider.client.errors import OperationFailedError
from airflow_sm_provider.client.operations import OPERATIONS
from airflow_sm_provider.client.xmlmap import LIST, MODEL, empty, spec_of
from airflow_sm_provider.emulator import Emulator
from airflow_sm_provider.emulator.sessions import legacy_session
from airflow_sm_provider.protocol import NS

SVC, VM, STORE, GROUP, IP = "paritysvc", "parityvm", "paritystore", "paritygroup", "parityip"
OS_IMAGE, VM_IMAGE = "parityosimage", "parityvmimage"
VHDS = "https://mystorage.blob.core.windows.net/vhds"
PACKAGE = "https://mystorage.blob.core.windows.net/packages/app.cspkg"
CSCFG = (
    f'<ServiceConfiguration serviceName="{SVC}" osFamily="4" osVersion="*" '
    'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
    '<Role name="WebRole1"><Instances count="2"/></Role></ServiceConfiguration>'
)
WINDOW = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")

# --- the deliberate differences -------------------------------------------------------------------
#: Shapes an allowed difference may take (nothing else is let through for that attribute).
FILLED = "the old parser never filled it (old: its default), ours has the service's value"
SAME_TRUTH = "another type, the same truth value (``if x:`` decides alike)"
BLANK_TEXT = "absent: old None, ours ''"
BLANK_MODEL = "absent: old None, ours a model with every field empty"
#: (old SDK class, attribute) -> (shape, why no old script is silently broken by it). Kept in step
#: with docs/migrating.md ("Where behaviour differs from the old SDK").
ALLOWED: dict[tuple[str, str], tuple[str, str]] = {
    ("Operation", "id"): (FILLED, "the old model maps id to <Id>, the service sends <ID>: it was always ''"),
    ("Deployment", "last_modified_time"): (FILLED, "old name mangling looked for <Last-Modified-Time>"),
    ("Deployment", "persistent_vm_downtime_info"): (
        FILLED,
        "the old model expected <PersistentVMDowntimeInfo>",
    ),
    ("AvailabilityResponse", "reason"): (SAME_TRUTH, "old parsed the text to a bool; ours is the text"),
    **{
        (cls, "label"): (BLANK_TEXT, "a required property: the service always sends <Label>")
        for cls in (
            "AffinityGroup",
            "Deployment",
            "HostedServiceProperties",
            "OperatingSystem",
            "OperatingSystemFamily",
            "StorageAccountProperties",
        )
    },
    ("Deployment", "configuration"): (BLANK_TEXT, "always sent with a deployment"),
    ("HostedService", "hosted_service_properties"): (BLANK_MODEL, "always sent with a hosted service"),
    ("Location", "compute_capabilities"): (BLANK_MODEL, "always sent with a location"),
    ("VMImage", "os_disk_configuration"): (BLANK_MODEL, "always sent with a VM image"),
}
#: Every list, of models or of text: absent, the old SDK gave None, ours an empty list (the
#: documented ``AliasList``): both are falsy, and iterating the old None raised TypeError, so an old
#: script that worked tested it first (``if x:``, ``x or []``, ``is not None`` all behave alike).
LIST_REASON = "an absent list is [] (old: None): falsy alike, and the old None could not be iterated"


def _allowed(cls: str, attr: str, old: Any, ours: Any) -> bool:
    if old is None and isinstance(ours, list) and not ours:
        return True  # LIST_REASON
    shape = ALLOWED.get((cls, attr), ("", ""))[0]
    if shape == FILLED:
        return old in ("", None) and ours is not None
    if shape == SAME_TRUTH:
        return bool(old) == bool(ours)
    if shape == BLANK_TEXT:
        return old is None and ours == ""
    if shape == BLANK_MODEL:
        return old is None and ours is not None and ours == empty(type(ours))  # an absent element's
    return False


@dataclass
class World:
    old: Any
    ours: ServiceManagementService
    names: dict[str, str]  # request ids and thumbprints the calls below take
    failure: OperationFailedError  # what waiting on the failed operation raised


def _wait(handle: Any) -> None:
    handle.wait(timeout=60, poll_interval=0.02)


def _build(ours: ServiceManagementService, emulator: Emulator) -> tuple[dict[str, str], OperationFailedError]:
    """The one state every comparison reads (made with our client; reads do not change it)."""
    names: dict[str, str] = {}
    ours.create_affinity_group(GROUP, GROUP, "West US", "parity group")
    _wait(ours.create_storage_account(STORE, "parity store", STORE, affinity_group=GROUP))
    _wait(ours.create_hosted_service(SVC, SVC, "parity service", "West US"))
    pfx, thumb = ssh_certificate_pfx()
    _wait(ours.add_service_certificate(SVC, pfx, "pfx", ""))
    names["thumbprint"] = thumb
    created = ours.create_deployment(SVC, "production", "v1", PACKAGE, "v1", CSCFG, start_deployment=True)
    _wait(created)
    names["succeeded"] = str(created.request_id)
    _wait(ours.create_deployment(SVC, "staging", "v2", PACKAGE, "v2", CSCFG, start_deployment=True))
    _wait(ours.upgrade_deployment(SVC, "v2", "Manual", PACKAGE, CSCFG, "v2b", False))  # an upgrade status
    _wait(ours.walk_upgrade_domain(SVC, "v2", 0))
    _wait(ours.create_reserved_ip_address(IP, "parity ip", "West US"))

    _wait(ours.create_hosted_service(VM, VM, "parity vm", "West US"))
    linux = m.LinuxConfigurationSet("host1", "azureuser", "S3cret-Passw0rd!", True)
    network = m.ConfigurationSet()
    network.input_endpoints.append(m.ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22"))
    network.subnet_names.append("frontend")
    disk = m.OSVirtualHardDisk(LINUX_IMAGE, f"{VHDS}/{VM}-vm1.vhd")
    _wait(
        ours.create_virtual_machine_deployment(
            VM, VM, "production", VM, "vm1", linux, disk, network_config=network, role_size="Small"
        )
    )
    _wait(
        ours.add_data_disk(
            VM, VM, "vm1", 0, "ReadOnly", f"{VHDS}/data0.vhd", "data", logical_disk_size_in_gb=10
        )
    )
    _wait(ours.add_os_image(OS_IMAGE, f"{VHDS}/{OS_IMAGE}.vhd", OS_IMAGE, "Linux"))
    image = m.VMImage(VM_IMAGE, "parity vm image", "a vm image")
    image.os_disk_configuration = m.OSDiskConfiguration()
    image.os_disk_configuration.os_state = "Generalized"
    image.os_disk_configuration.os = "Linux"
    image.os_disk_configuration.host_caching = "ReadWrite"
    image.os_disk_configuration.media_link = f"{VHDS}/{VM_IMAGE}.vhd"
    _wait(ours.create_vm_image(image))

    emulator.add_faults({"action": "fail_operation", "operation": "create_storage_account", "count": 1})
    failing = ours.create_storage_account("parityfails", "fails", "parityfails", location="West US")
    with pytest.raises(OperationFailedError) as failed:
        _wait(failing)
    names["failed"] = str(failing.request_id)
    return names, failed.value


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    emulator = Emulator(tmp_path_factory.mktemp("parity"), speed=1000.0)
    emulator.start()
    session = legacy_session(emulator.endpoint)
    try:
        ep = emulator.endpoint
        old = old_sdk.ServiceManagementService(
            ep["subscription_id"], host=ep["host"], request_session=session
        )
        with ServiceManagementService.from_endpoint(ep) as ours:
            yield World(old, ours, *_build(ours, emulator))
    finally:
        session.close()
        emulator.stop()


#: id -> the call, made the same way on either client (``n`` holds ``World.names``).
CALLS: dict[str, Callable[[Any, dict[str, str]], Any]] = {
    "get_hosted_service_properties": lambda s, n: s.get_hosted_service_properties(SVC),
    "get_hosted_service_properties(embed_detail)": lambda s, n: s.get_hosted_service_properties(SVC, True),
    "get_hosted_service_properties(vm, embed_detail)": lambda s, n: s.get_hosted_service_properties(VM, True),
    "get_deployment_by_slot(production)": lambda s, n: s.get_deployment_by_slot(SVC, "production"),
    "get_deployment_by_slot(staging, upgrading)": lambda s, n: s.get_deployment_by_slot(SVC, "staging"),
    "get_deployment_by_name": lambda s, n: s.get_deployment_by_name(SVC, "v1"),
    "get_deployment_by_name(vm)": lambda s, n: s.get_deployment_by_name(VM, VM),
    "list_hosted_services": lambda s, n: s.list_hosted_services(),
    "check_hosted_service_name_availability(taken)": lambda s, n: s.check_hosted_service_name_availability(
        SVC
    ),
    "check_hosted_service_name_availability(free)": lambda s, n: s.check_hosted_service_name_availability(
        "free1"
    ),
    "get_storage_account_properties": lambda s, n: s.get_storage_account_properties(STORE),
    "get_storage_account_keys": lambda s, n: s.get_storage_account_keys(STORE),
    "list_storage_accounts": lambda s, n: s.list_storage_accounts(),
    "check_storage_account_name_availability(taken)": lambda s, n: s.check_storage_account_name_availability(
        STORE
    ),
    "check_storage_account_name_availability(free)": lambda s, n: s.check_storage_account_name_availability(
        "free1"
    ),
    "list_locations": lambda s, n: s.list_locations(),
    "list_affinity_groups": lambda s, n: s.list_affinity_groups(),
    "get_affinity_group_properties": lambda s, n: s.get_affinity_group_properties(GROUP),
    "get_operation_status(succeeded)": lambda s, n: s.get_operation_status(n["succeeded"]),
    "get_operation_status(failed)": lambda s, n: s.get_operation_status(n["failed"]),
    "list_operating_systems": lambda s, n: s.list_operating_systems(),
    "list_operating_system_families": lambda s, n: s.list_operating_system_families(),
    "get_subscription": lambda s, n: s.get_subscription(),
    "list_subscriptions": lambda s, n: s.list_subscriptions(),
    "list_role_sizes": lambda s, n: s.list_role_sizes(),
    "list_subscription_operations": lambda s, n: s.list_subscription_operations(*WINDOW),
    "list_reserved_ip_addresses": lambda s, n: s.list_reserved_ip_addresses(),
    "get_reserved_ip_address": lambda s, n: s.get_reserved_ip_address(IP),
    "list_disks": lambda s, n: s.list_disks(),
    "get_disk": lambda s, n: s.get_disk(s.get_role(VM, VM, "vm1").os_virtual_hard_disk.disk_name),
    "get_data_disk": lambda s, n: s.get_data_disk(VM, VM, "vm1", 0),
    "list_os_images": lambda s, n: s.list_os_images(),
    "get_os_image": lambda s, n: s.get_os_image(OS_IMAGE),
    "get_os_image_details": lambda s, n: s.get_os_image_details(OS_IMAGE),
    "list_vm_images": lambda s, n: s.list_vm_images(),
    "get_role": lambda s, n: s.get_role(VM, VM, "vm1"),
    "list_service_certificates": lambda s, n: s.list_service_certificates(SVC),
    "get_service_certificate": lambda s, n: s.get_service_certificate(SVC, "sha1", n["thumbprint"]),
    "list_management_certificates": lambda s, n: s.list_management_certificates(),
    "get_management_certificate": lambda s, n: s.get_management_certificate(
        s.list_management_certificates()[0].subscription_certificate_thumbprint
    ),
    "list_virtual_network_sites": lambda s, n: s.list_virtual_network_sites(),
    "list_resource_extensions": lambda s, n: s.list_resource_extensions(),
    "list_resource_extension_versions": lambda s, n: s.list_resource_extension_versions(
        "Microsoft.Compute", "BGInfo"
    ),
}


def _old_list(value: Any) -> list[Any] | None:
    """The items of an old list or list wrapper (``HostedServices``: one list attribute), else None."""
    if isinstance(value, list):
        return value
    fields = (
        [v for k, v in vars(value).items() if not k.startswith("_")] if hasattr(value, "__dict__") else []
    )
    if hasattr(value, "__iter__") and len(fields) == 1 and isinstance(fields[0], list):
        return list(fields[0])
    return None


def _kind(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _same_scalar(old: Any, ours: Any) -> bool:
    if isinstance(old, bool) or isinstance(ours, bool):
        return type(old) is type(ours) and old == ours
    if isinstance(old, str):
        return isinstance(ours, str) and old == ours
    if isinstance(old, (int, float)):
        return isinstance(ours, (int, float)) and old == ours
    return old is None and ours is None


def differences(old: Any, ours: Any, path: str) -> list[str]:
    """Every way ``ours`` differs from ``old``: ``path [OldClass.attr]: old=value (type) ours=...``.

    Strict: ``'200'`` is not ``200``, ``None`` is not ``''``, a ``bool`` only equals a ``bool``; an
    old list wrapper must be a ``list`` of the same items that also answers to the wrapper's
    attribute. ``ALLOWED`` and ``LIST_REASON`` let the deliberate differences through, by shape.
    """
    if old is None or isinstance(old, (str, bool, int, float)):
        return [] if _same_scalar(old, ours) else [f"{path}: old={_kind(old)} ours={_kind(ours)}"]
    if isinstance(old, dict):
        same = isinstance(ours, dict) and old == ours
        return [] if same else [f"{path}: old={_kind(old)} ours={_kind(ours)}"]
    items = _old_list(old)
    if items is not None:
        if not isinstance(ours, list):
            return [f"{path}: old=a list of {len(items)} ours={_kind(ours)}"]
        if len(items) != len(ours):
            return [f"{path}: {len(items)} items in the old SDK, {len(ours)} in ours"]
        out: list[str] = []
        for i, (a, b) in enumerate(zip(items, ours, strict=True)):
            out += differences(a, b, f"{path}[{i}]")
        if not isinstance(old, list):  # the wrapper's attribute (``.hosted_services``) answers on ours
            alias = next(k for k in vars(old) if not k.startswith("_"))
            if getattr(ours, alias, None) is not ours:
                out.append(f"{path}.{alias}: the old wrapper's attribute is missing on ours")
        return out
    if ours is None:
        return [f"{path}: old={type(old).__name__} object, ours=None"]
    out = []
    for attr, value in vars(old).items():
        if attr.startswith("_"):
            continue
        where = f"{path}.{attr} [{type(old).__name__}.{attr}]"
        if not hasattr(ours, attr):
            out.append(f"{where}: missing in ours (old={_kind(value)})")
            continue
        mine = getattr(ours, attr)
        if _allowed(type(old).__name__, attr, value, mine):
            continue
        scalar = value is None or isinstance(value, (str, bool, int, float, dict))
        out += differences(value, mine, where if scalar else f"{path}.{attr}")
    return out


def test_the_allowlist_names_attributes_of_old_models() -> None:
    """Each allowed difference names an attribute the old SDK's class really has."""
    for cls, attr in ALLOWED:
        assert hasattr(getattr(old_sdk, cls)(), attr), (cls, attr)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_same_state_same_results(world: World, call: str) -> None:
    read = CALLS[call]
    old_result = read(world.old, world.names)
    our_result = read(world.ours, world.names)
    found = differences(old_result, our_result, call)
    assert not found, "ours differs from the old SDK:\n" + "\n".join(found)


def test_a_failed_wait_keeps_an_int_http_status(world: World) -> None:
    """``OperationHandle.wait()``'s error has the HTTP status as an ``int`` although the Operation
    holds the old SDK's text, and its message says it."""
    assert "HTTP 500" in str(world.failure)
    assert world.failure.status_code == 500
    assert world.failure.operation.http_status_code == "500"


def test_the_client_reads_its_text_numbers() -> None:
    """Our own uses of the numbers the old SDK keeps as text: the walk's reconcile compares the
    current upgrade domain (``'1'``) with the one asked for (an ``int``)."""
    from airflow_sm_provider.client.operations.deployments import _walked

    dep = m.Deployment(upgrade_status=m.UpgradeStatus("Manual", "Before", "1"))
    assert _walked([dep], {"upgrade_domain": 1}) == "applied"
    assert _walked([dep], {"upgrade_domain": 2}) == "absent"


def test_regenerated_keys_match_a_fresh_read(world: World) -> None:
    """The one write that returns a model: ours is the old SDK's ``StorageService``, and both
    clients' reads of the keys then agree with it."""
    old_keys = world.old.regenerate_storage_account_keys(STORE, "Secondary")
    our_keys = world.ours.regenerate_storage_account_keys(STORE, "Secondary")
    assert (
        differences(world.old.get_storage_account_keys(STORE), our_keys, "regenerate_storage_account_keys")
        == []
    )
    assert old_keys.storage_service_keys.secondary != our_keys.storage_service_keys.secondary
    base64.b64decode(our_keys.storage_service_keys.secondary, validate=True)


def test_the_comparison_sees_a_type_difference() -> None:
    """The comparator is not text-blind: ``'200'`` and ``200`` differ, ``None`` and ``''`` differ
    unless allowed, a wrapper's list and a plain list with the same items do not."""
    old_op, our_op = old_sdk.Operation(), m.Operation()
    old_op.http_status_code, our_op.http_status_code = "200", 200  # type: ignore[assignment]
    old_op.status, our_op.status = None, ""
    assert differences(old_op, our_op, "op") == [
        "op.status [Operation.status]: old=None (NoneType) ours='' (str)",
        "op.http_status_code [Operation.http_status_code]: old='200' (str) ours=200 (int)",
    ]
    wrapper = old_sdk.HostedServices()
    assert differences(wrapper, [], "x") == [
        "x.hosted_services: the old wrapper's attribute is missing on ours"
    ]
    assert differences(wrapper, m.HostedServices(), "x") == []
    wrapper.hosted_services.append(old_sdk.HostedService())
    assert differences(wrapper, m.HostedServices(), "x") == ["x: 1 items in the old SDK, 0 in ours"]


# --- every field absent: what an element without children parses to ------------------------------
def _skeleton(tag: str, cls: type, depth: int = 0) -> str:
    """``<tag>`` with each nested model and one item of each list, recursively, and no text field."""
    parts = []
    for f in spec_of(cls).fields:
        if not f.read or not f.tag or f.model is None or depth > 3 or f.kind not in (MODEL, LIST):
            continue
        if f.kind == MODEL:
            parts.append(_skeleton(f.tag, f.model, depth + 1))
        else:
            parts.append(
                f"<{f.tag}>{_skeleton(f.item or spec_of(f.model).root, f.model, depth + 1)}</{f.tag}>"
            )
    return f"<{tag}>{''.join(parts)}</{tag}>"


def _absent_body(name: str, skeleton: bool) -> bytes:
    op = OPERATIONS[name]
    assert op.result is not None
    root = spec_of(op.result).root
    item = op.item or root
    one = _skeleton(item, op.result) if skeleton else f"<{item}/>"
    if op.many:
        return f'<{WRAPPERS[name]} xmlns="{NS}">{one}</{WRAPPERS[name]}>'.encode()
    return one.replace(f"<{item}", f'<{item} xmlns="{NS}"', 1).encode()


@pytest.mark.parametrize("skeleton", [False, True], ids=["empty", "skeleton"])
@pytest.mark.parametrize("name", sorted(n for n, op in OPERATIONS.items() if op.is_read))
def test_absent_elements_parse_to_the_old_defaults(name: str, skeleton: bool) -> None:
    """The service leaves out what a resource does not have (a user image's ``ShowInGui``, a
    role's ``IdleTimeoutInMinutes``, the keys in Get Storage Account Properties): every field of
    every read model, absent, parses to what the old SDK gave (its ``__init__`` default; ``None``
    for a nested model). ``empty``: the result element has no children; ``skeleton``: it has each
    nested model and one item of each list, none with a text field."""
    body = _absent_body(name, skeleton)
    new_args, old_args = sample_args(OPERATIONS[name])
    old, _ = old_client(body)
    client, transport = ours_client()
    transport.body = body
    found = differences(getattr(old, name)(*old_args), getattr(client, name)(*new_args), name)
    assert not found, "ours differs from the old SDK:\n" + "\n".join(found)

"""Wire proof without a server: every operation sends what the old SDK 0.20.8 sends.

For each entry of the operation table the same call is made on the old client (its ``with_filter``
captures the ``HTTPRequest``) and on ours (a capturing ``transport=``); verb, path, query, body
(canonical XML) and x-ms-version must agree. Where the old SDK was wrong against asm-wire.md, the
difference is listed in ``DEVIATIONS`` with the reason, and asserted as such.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from legacy_wire import (
    SUB,
    canonical_path,
    canonical_xml,
    old_captured,
    old_client,
    ours_captured,
    ours_client,
    sample_args,
)

from airflow_sm_provider.client.errors import InvalidResponseError
from airflow_sm_provider.client.operations import OPERATIONS

#: operation -> why our request differs from the old SDK's (asm-wire.md is the reference).
DEVIATIONS: dict[str, str] = {}
#: Bodies compared after dropping the old SDK's model-default elements (legacy_wire.OLD_DEFAULTS):
#: its VM models default to "" / False / 4 and its serializer writes every non-None value, so it
#: sends e.g. <SSH><PublicKeys/><KeyPairs/></SSH> and <LoadBalancedEndpointSetName/> nobody set.
#: We send only what the caller set; the service applies the same defaults.
VM_BODIES = {
    "add_role",
    "update_role",
    "create_virtual_machine_deployment",
    "capture_role",
    "update_vm_image",
}


def _old_request(name: str, old_args: tuple[Any, ...]) -> Any:
    old, seen = old_client()
    try:
        getattr(old, name)(*old_args)
    except Exception:  # parsing the empty canned answer; the request is what we compare
        if not seen:
            raise
    assert len(seen) == 1, f"the old SDK sent {len(seen)} requests for {name}"
    return old_captured(seen[0])


def _our_request(name: str, new_args: tuple[Any, ...]) -> Any:
    client, transport = ours_client()
    try:
        getattr(client, name)(*new_args)
    except InvalidResponseError:  # parsing the empty canned answer; the request is what we compare
        if not transport.sent:
            raise
    assert len(transport.sent) == 1, f"we sent {len(transport.sent)} requests for {name}"
    return ours_captured(transport.sent[0])


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_request_matches_the_old_sdk(name: str) -> None:
    new_args, old_args = sample_args(OPERATIONS[name])
    old = _old_request(name, old_args)
    new = _our_request(name, new_args)
    assert new.method == old.method
    assert canonical_path(new.path) == canonical_path(old.path), (new.path, old.path)
    assert new.x_ms_version == old.x_ms_version
    drop = name in VM_BODIES
    assert canonical_xml(new.body, drop_defaults=drop) == canonical_xml(old.body, drop_defaults=drop)


def test_list_subscriptions_is_above_the_subscription() -> None:
    new = _our_request("list_subscriptions", ())
    assert new.path == "/subscriptions" and SUB not in new.path


# --- AdditionalUnattendContent (Windows provisioning): the old SDK's serializer, one element apart ---
def _unattend_sets() -> tuple[Any, Any]:
    """The same Windows set with two passes, built the old way on both SDKs' models."""
    from azure.servicemanagement import models as old_models

    from airflow_sm_provider.client import configsets as ours

    made: list[Any] = []
    for m in (ours, old_models):
        win = m.WindowsConfigurationSet("win1", "Secret-p4ss", admin_username="azureuser")
        for pass_name, settings in (("oobeSystem", ["AutoLogon", "FirstLogonCommands"]), ("specialize", [])):
            p, comp = m.UnattendPass(), m.UnattendComponent()
            p.pass_name, comp.component_name = pass_name, "Microsoft-Windows-Shell-Setup"
            for name in settings:
                s = m.ComponentSetting()
                s.setting_name, s.content = (
                    name,
                    base64.b64encode(f"<{name}>x&amp;y</{name}>".encode()).decode(),
                )
                comp.component_settings.component_settings.append(s)
            p.components.components.append(comp)
            win.additional_unattend_content.passes.passes.append(p)
        made.append(win)
    return made[0], made[1]


def _without_unattend_pass(node: Any) -> Any:
    """``node`` with each ``UnattendPass`` element replaced by its children (the old SDK's shape)."""
    if node is None:
        return None
    tag, text, kids = node
    flat: list[Any] = []
    for kid in kids:
        if kid[0] == "UnattendPass":
            flat += [_without_unattend_pass(k) for k in kid[2]]
        else:
            flat.append(_without_unattend_pass(kid))
    return (tag, text, flat)


def _find(node: Any, tag: str) -> Any:
    if node[0] == tag:
        return node
    return next((f for f in (_find(k, tag) for k in node[2]) if f is not None), None)


@pytest.mark.parametrize("name", ["create_virtual_machine_deployment", "add_role"])
def test_additional_unattend_content_is_the_old_sdks_but_each_pass_in_its_element(name: str) -> None:
    """Element for element as the old SDK 0.20.8 writes it (names, order, Content sent as given:
    the base64 of the XML, which the old SDK left to the caller), except one deviation: the old
    serializer wrote a pass's PassName and Components straight into <Passes>, while ASM's schema
    and the old SDK's own parser (Passes = _list_of(UnattendPass)) have each pass in <UnattendPass>."""
    new_win, old_win = _unattend_sets()
    new_args, old_args = sample_args(OPERATIONS[name])
    index = [p.name for p in OPERATIONS[name].params].index("system_config")
    new_args = (*new_args[:index], new_win, *new_args[index + 1 :])
    old_args = (*old_args[:index], old_win, *old_args[index + 1 :])
    new = canonical_xml(_our_request(name, new_args).body, drop_defaults=True)
    old = canonical_xml(_old_request(name, old_args).body, drop_defaults=True)
    assert _without_unattend_pass(new) == old
    passes = _find(new, "Passes")
    assert [k[0] for k in passes[2]] == ["UnattendPass", "UnattendPass"]
    assert [k[0] for k in _find(old, "Passes")[2]] == ["PassName", "Components", "PassName", "Components"]
    setting = _find(new, "ComponentSetting")
    assert setting[2][1] == ("Content", base64.b64encode(b"<AutoLogon>x&amp;y</AutoLogon>").decode(), [])


def test_additional_unattend_content_parses_back_from_a_windows_set() -> None:
    """A response's Windows set (the old parser's shape, <UnattendPass> items) parses into the models."""
    from lxml import etree

    from airflow_sm_provider.client.configsets import WindowsConfigurationSet
    from airflow_sm_provider.client.xmlmap import build_model, parse_element

    sent, _ = _unattend_sets()
    back = parse_element(etree.fromstring(build_model(sent)), WindowsConfigurationSet)
    got = back.additional_unattend_content.passes.passes
    assert [(p.pass_name, [c.component_name for c in p.components.components]) for p in got] == [
        ("oobeSystem", ["Microsoft-Windows-Shell-Setup"]),
        ("specialize", ["Microsoft-Windows-Shell-Setup"]),
    ]
    settings = got[0].components[0].component_settings.component_settings
    assert [(s.setting_name, s.content) for s in settings] == [
        (s.setting_name, s.content)
        for s in sent.additional_unattend_content.passes[0].components[0].component_settings
    ]


# --- every old input wrapper, built and assigned the old way, sends the old SDK's body -------------------
def _vm_inputs_the_old_way(m: Any) -> dict[str, Any]:
    """Arguments of create_virtual_machine_deployment built with ``m``'s classes (the old SDK's
    ``azure.servicemanagement`` or ours), each nested list assigned as a fresh wrapper object."""
    linux = m.LinuxConfigurationSet("host1", "azureuser", "Secret-p4ss", True)
    linux.ssh = m.SSH()
    linux.ssh.public_keys = m.PublicKeys()
    linux.ssh.public_keys.public_keys.append(m.PublicKey("FP1", "/home/azureuser/.ssh/authorized_keys"))
    linux.ssh.key_pairs = m.KeyPairs()
    linux.ssh.key_pairs.key_pairs.append(m.KeyPair("FP2", "/home/azureuser/.ssh/id_rsa"))
    network = m.ConfigurationSet()
    network.input_endpoints = m.ConfigurationSetInputEndpoints()
    network.input_endpoints.input_endpoints.append(m.ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22"))
    network.public_ips = m.PublicIPs()
    network.public_ips.public_ips.append(m.PublicIP("pip1"))
    disks = m.DataVirtualHardDisks()
    disk = m.DataVirtualHardDisk()
    disk.media_link, disk.lun, disk.logical_disk_size_in_gb = (
        "https://acct.blob.core.windows.net/v/d.vhd",
        1,
        10,
    )
    disks.data_virtual_hard_disks.append(disk)
    refs = m.ResourceExtensionReferences()
    ref = m.ResourceExtensionReference("ref1", "Microsoft.Compute", "BGInfo", "1.*")
    ref.resource_extension_parameter_values = m.ResourceExtensionParameterValues()
    value = m.ResourceExtensionParameterValue()
    value.key, value.value, value.type = "k", "v", "Public"
    ref.resource_extension_parameter_values.resource_extension_parameter_values.append(value)
    refs.resource_extension_references.append(ref)
    return {
        "system_config": linux,
        "network_config": network,
        "data_virtual_hard_disks": disks,
        "resource_extension_references": refs,
    }


def _windows_the_old_way(m: Any) -> Any:
    win = m.WindowsConfigurationSet("win1", "Secret-p4ss", admin_username="azureuser")
    win.stored_certificate_settings = m.StoredCertificateSettings()
    win.stored_certificate_settings.stored_certificate_settings.append(
        m.CertificateSetting("TP", "My", "LocalMachine")
    )
    win.win_rm = m.WinRM()
    win.win_rm.listeners = m.Listeners()
    win.win_rm.listeners.listeners.append(m.Listener("Https", "TP"))
    return win


@pytest.mark.parametrize("system", ["linux", "windows"])
def test_every_input_wrapper_built_the_old_way_sends_the_old_sdks_body(system: str) -> None:
    import azure.servicemanagement as old_package

    import airflow_sm_provider.client as ours_package

    bodies = []
    for m, request in ((old_package, _old_request), (ours_package, _our_request)):
        kwargs = _vm_inputs_the_old_way(m)
        if system == "windows":
            kwargs["system_config"] = _windows_the_old_way(m)
        os_disk = m.OSVirtualHardDisk("img1", "https://acct.blob.core.windows.net/v/os.vhd")
        args = (
            *("svc1", "dep1", "production", "label", "vm1", kwargs["system_config"], os_disk),
            *(kwargs["network_config"], None, kwargs["data_virtual_hard_disks"], None, "PersistentVMRole"),
            *(None, kwargs["resource_extension_references"]),
        )  # positional, as both clients take them (the old parameter order)
        captured = request("create_virtual_machine_deployment", args)
        bodies.append(canonical_xml(captured.body, drop_defaults=True))
    old, new = bodies
    assert new == old
    tags = ["InputEndpoint", "PublicIP", "DataVirtualHardDisk", "ResourceExtensionParameterValue"]
    tags += ["PublicKey", "KeyPair"] if system == "linux" else ["CertificateSetting", "Listener"]
    assert [t for t in tags if _find(new, t) is None] == []  # each list reached the body

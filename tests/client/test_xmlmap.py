"""The declarative mapping: request bodies (element ORDER per asm-wire 4.x, escaping, base64 rules,
namespaces) and response parsing (recorded shapes, defaults, tolerance)."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

import pytest
from lxml import etree

from airflow_sm_provider.client.models import (
    ConfigurationSet,
    ConfigurationSetInputEndpoint,
    DataVirtualHardDisk,
    LinuxConfigurationSet,
    OSVirtualHardDisk,
    WindowsConfigurationSet,
)
from airflow_sm_provider.client.operations import request_for
from airflow_sm_provider.client.xmlmap import F, Spec, build
from airflow_sm_provider.protocol import NS, NS_I


class _Table:
    """``oc.create_deployment(...).request``: the request the client method would send."""

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: SimpleNamespace(request=request_for(name, *a, **k))


oc = orc = _Table()
CFG = (
    '<ServiceConfiguration serviceName="s"><Role name="W"><Instances count="1"/></Role>'
    "</ServiceConfiguration>"
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def tree(body: bytes | None) -> etree._Element:
    assert body is not None
    assert not body.startswith(b"<?xml")
    return etree.fromstring(body)


def children(el: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in el]


def text(el: etree._Element, path: str) -> str | None:
    found = el.find(path, {"a": NS})
    return None if found is None else found.text


def test_root_is_namespaced_with_xsi_prefix() -> None:
    root = tree(oc.update_deployment_status("svc", "v1", "Running").request.body)
    assert root.tag == f"{{{NS}}}UpdateDeploymentStatus"
    assert root.nsmap == {None: NS, "i": NS_I}


def test_create_hosted_service_order_escaping_and_base64_label() -> None:
    call = oc.create_hosted_service("svc", "a & b <c>", "a & b <c>", "West US", None, {"Owner": "me & you"})
    assert call.request.method == "POST" and call.request.path == "/services/hostedservices"
    assert call.request.idempotent is False
    assert b"a &amp; b &lt;c&gt;" in call.request.body  # type: ignore[operator]
    root = tree(call.request.body)
    assert children(root) == ["ServiceName", "Label", "Description", "Location", "ExtendedProperties"]
    assert text(root, "a:Label") == b64("a & b <c>")
    assert text(root, "a:Description") == "a & b <c>"
    props = root.find("a:ExtendedProperties/a:ExtendedProperty", {"a": NS})
    assert props is not None and children(props) == ["Name", "Value"]


def test_create_hosted_service_with_affinity_group() -> None:
    root = tree(oc.create_hosted_service("svc", "l", affinity_group="ag").request.body)
    assert children(root) == ["ServiceName", "Label", "AffinityGroup"]


def test_update_hosted_service_order() -> None:
    root = tree(oc.update_hosted_service("svc", "new", "d", {"k": "v"}).request.body)
    assert children(root) == ["Label", "Description", "ExtendedProperties"]
    assert oc.update_hosted_service("svc", "new").request.method == "PUT"


def test_create_deployment_order_and_configuration_forms() -> None:
    call = oc.create_deployment(
        "svc", "Production", "v1", "https://a/p.cspkg", "lbl", CFG, True, False, {"a": "1"}
    )
    assert call.request.path == "/services/hostedservices/svc/deploymentslots/Production"
    root = tree(call.request.body)
    assert children(root) == [
        "Name",
        "PackageUrl",
        "Label",
        "Configuration",
        "StartDeployment",
        "TreatWarningsAsError",
        "ExtendedProperties",
    ]
    assert text(root, "a:Label") == b64("lbl")
    assert text(root, "a:Configuration") == b64(CFG)
    assert text(root, "a:StartDeployment") == "true"
    assert text(root, "a:TreatWarningsAsError") == "false"
    # bytes and already-base64 (what the old SDK required) give the same body
    for form in (CFG.encode(), b64(CFG), base64.b64encode(CFG.encode())):
        other = oc.create_deployment("svc", "Production", "v1", "https://a/p.cspkg", "lbl", form)
        assert text(tree(other.request.body), "a:Configuration") == b64(CFG)


def test_change_configuration_status_swap_bodies() -> None:
    cc = oc.change_deployment_configuration("svc", "v1", CFG)
    assert cc.request.path == "/services/hostedservices/svc/deployments/v1/?comp=config"
    assert children(tree(cc.request.body)) == ["Configuration", "TreatWarningsAsError", "Mode"]
    st = oc.update_deployment_status("svc", "v1", "suspended")
    assert st.request.path.endswith("/deployments/v1/?comp=status")
    assert text(tree(st.request.body), "a:Status") == "Suspended"
    swap = tree(oc.swap_deployment("svc", "v1", "v2").request.body)
    assert children(swap) == ["Production", "SourceDeployment"]
    for empty in (None, ""):
        move = tree(oc.swap_deployment("svc", empty, "v2").request.body)
        assert children(move) == ["SourceDeployment"]


def test_delete_paths() -> None:
    assert oc.delete_hosted_service("svc").request.path == "/services/hostedservices/svc"
    assert oc.delete_hosted_service("svc", True).request.path == "/services/hostedservices/svc?comp=media"
    assert oc.delete_deployment("svc", "v1", True).request.path.endswith("/deployments/v1?comp=media")
    assert oc.delete_deployment("svc", "v1").request.body is None
    assert orc.delete_os_image("img", True).request.path == "/services/images/img?comp=media"


def test_storage_and_affinity_bodies() -> None:
    root = tree(orc.create_storage_account("acct1", "d", "lbl", location="West US").request.body)
    assert children(root) == ["ServiceName", "Description", "Label", "Location", "AccountType"]
    assert text(root, "a:Label") == b64("lbl")
    assert text(root, "a:AccountType") == "Standard_GRS"
    ag = tree(orc.create_affinity_group("ag", "lbl", "West US", "d").request.body)
    assert children(ag) == ["Name", "Label", "Description", "Location"]
    assert text(ag, "a:Label") == b64("lbl")


def test_add_os_image_label_is_plain() -> None:
    root = tree(orc.add_os_image("my & img", "https://a/b.vhd", "img", "linux").request.body)
    assert etree.QName(root).localname == "OSImage"
    assert children(root) == ["Label", "MediaLink", "Name", "OS"]
    assert text(root, "a:Label") == "my & img"
    assert text(root, "a:OS") == "Linux"


def test_vm_deployment_body_order() -> None:
    linux = LinuxConfigurationSet("host", "user", "p&ss<", True)
    net = ConfigurationSet()
    net.input_endpoints.input_endpoints.append(ConfigurationSetInputEndpoint("ssh", "tcp", 22, 22))  # type: ignore[attr-defined]
    disk = OSVirtualHardDisk("image", "https://a/vm.vhd")
    data = [DataVirtualHardDisk("https://a/d.vhd", lun=1, logical_disk_size_in_gb=10)]
    call = orc.create_virtual_machine_deployment(
        "svc",
        "dep",
        "production",
        "plain label",
        "vm1",
        linux,
        disk,
        net,
        data_virtual_hard_disks=data,
        role_size="Small",
    )
    assert call.request.path == "/services/hostedservices/svc/deployments"
    root = tree(call.request.body)
    assert children(root) == ["Name", "DeploymentSlot", "Label", "RoleList"]
    assert text(root, "a:Label") == "plain label"
    role = root.find("a:RoleList/a:Role", {"a": NS})
    assert role is not None
    assert children(role) == [
        "RoleName",
        "RoleType",
        "ConfigurationSets",
        "DataVirtualHardDisks",
        "OSVirtualHardDisk",
        "RoleSize",
    ]
    sets = role.findall("a:ConfigurationSets/a:ConfigurationSet", {"a": NS})
    assert children(sets[0]) == [
        "ConfigurationSetType",
        "HostName",
        "UserName",
        "UserPassword",
        "DisableSshPasswordAuthentication",
    ]
    assert text(sets[0], "a:UserPassword") == "p&ss<"
    assert children(sets[1]) == ["ConfigurationSetType", "InputEndpoints"]
    endpoint = sets[1].find("a:InputEndpoints/a:InputEndpoint", {"a": NS})
    assert endpoint is not None and children(endpoint) == ["LocalPort", "Name", "Port", "Protocol"]
    os_disk = role.find("a:OSVirtualHardDisk", {"a": NS})
    assert os_disk is not None and children(os_disk) == ["MediaLink", "SourceImageName"]
    data_disk = role.find("a:DataVirtualHardDisks/a:DataVirtualHardDisk", {"a": NS})
    assert data_disk is not None and children(data_disk) == ["Lun", "LogicalDiskSizeInGB", "MediaLink"]


def test_windows_configuration_set_order() -> None:
    win = WindowsConfigurationSet("pc", "secret", False, True, "UTC", "admin")
    win.domain_join.credentials.domain = "corp"
    root = tree(build(WindowsConfigurationSet.__xml__, win))
    assert children(root) == [
        "ConfigurationSetType",
        "ComputerName",
        "AdminPassword",
        "ResetPasswordOnFirstLogon",
        "EnableAutomaticUpdates",
        "TimeZone",
        "DomainJoin",
        "AdminUsername",
    ]
    assert "secret" not in repr(win)
    assert "p4ss" not in repr(LinuxConfigurationSet("h", "u", "p4ss", True))


def test_role_operations() -> None:
    start = orc.start_role("svc", "dep", "vm1")
    assert start.request.path == "/services/hostedservices/svc/deployments/dep/roleinstances/vm1/Operations"
    assert children(tree(start.request.body)) == ["OperationType"]
    assert text(tree(start.request.body), "a:OperationType") == "StartRoleOperation"
    stop = tree(orc.shutdown_role("svc", "dep", "vm1", "stoppeddeallocated").request.body)
    assert children(stop) == ["OperationType", "PostShutdownAction"]
    assert text(stop, "a:PostShutdownAction") == "StoppedDeallocated"
    assert text(tree(orc.restart_role("svc", "dep", "vm1").request.body), "a:OperationType") == (
        "RestartRoleOperation"
    )


def test_nil_fields_are_sent_as_xsi_nil() -> None:
    spec = Spec("Swap", [F("Production", "production", nil=True), F("SourceDeployment", "source_deployment")])
    root = tree(build(spec, {"production": None, "source_deployment": "v2"}))
    first = root[0]
    assert etree.QName(first).localname == "Production"
    assert first.get(f"{{{NS_I}}}nil") == "true"


def test_read_paths() -> None:
    assert oc.get_subscription().request.path == ""
    assert oc.get_hosted_service_properties("svc").request.path.endswith("/svc?embed-detail=false")
    assert oc.get_hosted_service_properties("svc", True).request.path.endswith("?embed-detail=true")
    assert oc.check_hosted_service_name_availability("svc").request.path == (
        "/services/hostedservices/operations/isavailable/svc"
    )
    assert orc.get_storage_account_keys("acct").request.path == "/services/storageservices/acct/keys"
    assert (
        orc.get_role("svc", "dep", "vm").request.path
        == "/services/hostedservices/svc/deployments/dep/roles/vm"
    )
    rid = "977b2d2b61d3b0f1952277896459cf7a"
    assert oc.get_operation_status(rid).request.path == f"/operations/{rid}"


@pytest.mark.parametrize("method", ["GET"])
def test_reads_are_idempotent(method: str) -> None:
    assert oc.list_hosted_services().request.method == method
    assert oc.list_hosted_services().request.idempotent

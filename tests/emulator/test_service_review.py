"""Findings of the emulator's conformance review (session 6) against asm-wire.md and the old SDK.

Each test failed before its fix. Numbers first: ASM's numeric fields are ASCII decimal integers, and a
value that is not one is the caller's mistake (400 BadRequest naming the field), never a 500
InternalError, which clients retry (asm-wire.md 3.2 retry guidance) as if the service were at fault.
Then a state rule: a data disk that Update Role leaves out is detached in the disk repository, as
Delete Data Disk detaches it, so it can be deleted or attached elsewhere (asm-wire.md 4.7, 5.1).
"""

from __future__ import annotations

import pytest
from lxml import etree
from service_helpers import NS, Harness, b64, children, cscfg, error_code, parse, text, xml_body
from test_service_vms_apps import _vm_body

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.http import Response

SVC = "/services/hostedservices/mysvc"
VM = f"{SVC}/deployments/myvm"
#: isdigit() says yes to these, int() says no: they reached int() and answered 500 before.
NOT_DECIMAL = ("²", "x")


def _vm(h: Harness) -> None:
    assert h.call("POST", f"{SVC}/deployments", _vm_body()).status == 202
    h.finish()


def _vm_image(lun: str, size: str = "10") -> str:
    return (
        f'<VMImage xmlns="{NS}"><Name>img</Name><Label>img</Label><OSDiskConfiguration>'
        "<OSState>Generalized</OSState><OS>Linux</OS>"
        "<MediaLink>https://acct.blob.core.windows.net/v/os.vhd</MediaLink></OSDiskConfiguration>"
        f"<DataDiskConfigurations><DataDiskConfiguration><Lun>{lun}</Lun>"
        "<MediaLink>https://acct.blob.core.windows.net/v/d.vhd</MediaLink>"
        f"<LogicalDiskSizeInGB>{size}</LogicalDiskSizeInGB></DataDiskConfiguration>"
        "</DataDiskConfigurations></VMImage>"
    )


@pytest.mark.parametrize("lun, size", [("x", "10"), ("²", "10"), ("1", "ten"), ("1", "²")])
def test_create_vm_image_with_a_non_numeric_data_disk_field_is_400(h: Harness, lun: str, size: str) -> None:
    got = h.call("POST", "/services/vmimages", _vm_image(lun, size))
    assert got.status == 400 and error_code(got) == p.ERR_BAD_REQUEST, got.body
    bad = lun if lun != "1" else size
    assert bad in got.body.decode()


#: Numbers in a VM's bodies: (verb, path under the deployment, body with {ns} and {value}).
VM_NUMBERS = {
    "data disk Lun": (
        "POST",
        "/roles/myvm/DataDisks",
        '<DataVirtualHardDisk xmlns="{ns}"><Lun>{value}</Lun><LogicalDiskSizeInGB>1</LogicalDiskSizeInGB>'
        "<MediaLink>https://acct.blob.core.windows.net/v/d.vhd</MediaLink></DataVirtualHardDisk>",
    ),
    "endpoint LocalPort": (
        "PUT",
        "/roles/myvm",
        '<PersistentVMRole xmlns="{ns}"><RoleName>myvm</RoleName><ConfigurationSets><ConfigurationSet>'
        "<ConfigurationSetType>NetworkConfiguration</ConfigurationSetType><InputEndpoints><InputEndpoint>"
        "<LocalPort>{value}</LocalPort><Name>web</Name><Port>80</Port><Protocol>tcp</Protocol>"
        "</InputEndpoint></InputEndpoints></ConfigurationSet></ConfigurationSets></PersistentVMRole>",
    ),
}


@pytest.mark.parametrize("value", NOT_DECIMAL)
@pytest.mark.parametrize("field", sorted(VM_NUMBERS))
def test_a_vm_field_that_is_not_a_number_is_400(h: Harness, field: str, value: str) -> None:
    _vm(h)
    method, path, template = VM_NUMBERS[field]
    got = h.call(method, f"{VM}{path}", template.format(ns=NS, value=value))
    assert got.status == 400 and error_code(got) == p.ERR_BAD_REQUEST, got.body
    assert value in got.body.decode()


@pytest.mark.parametrize("value", NOT_DECIMAL)
def test_a_walked_upgrade_domain_that_is_not_a_number_is_400(h: Harness, value: str) -> None:
    h.create_deployment(name="v1")
    h.finish()
    body = xml_body("WalkUpgradeDomain", {"UpgradeDomain": value})
    got = h.call("POST", f"{SVC}/deployments/v1/?comp=walkupgradedomain", body)
    assert got.status == 400 and error_code(got) == p.ERR_BAD_REQUEST, got.body


@pytest.mark.parametrize("value", NOT_DECIMAL)
def test_a_continuation_token_that_is_not_a_number_is_400(h: Harness, value: str) -> None:
    got = h.call("GET", f"/operations?ContinuationToken={value}")
    assert got.status == 400 and error_code(got) == p.ERR_MISSING_QUERY, got.body


def _disk(h: Harness, name: str) -> etree._Element:
    disks = children(parse(h.call("GET", "/services/disks").body), "Disk")
    found = [d for d in disks if text(d, "Name") == name]
    assert len(found) == 1
    return found[0]


def test_update_role_that_leaves_a_data_disk_out_detaches_it(h: Harness) -> None:
    _vm(h)
    add = (
        f'<DataVirtualHardDisk xmlns="{NS}"><DiskName>data0</DiskName><Lun>0</Lun>'
        "<LogicalDiskSizeInGB>10</LogicalDiskSizeInGB>"
        "<MediaLink>https://acct.blob.core.windows.net/v/data0.vhd</MediaLink></DataVirtualHardDisk>"
    )
    assert h.call("POST", f"{VM}/roles/myvm/DataDisks", add).status == 202
    h.finish()
    assert text(_disk(h, "data0"), "AttachedTo/RoleName") == "myvm"
    update = (
        f'<PersistentVMRole xmlns="{NS}"><RoleName>myvm</RoleName><DataVirtualHardDisks/></PersistentVMRole>'
    )
    assert h.call("PUT", f"{VM}/roles/myvm", update).status == 202
    h.finish()
    role = parse(h.call("GET", f"{VM}/roles/myvm").body)
    assert children(role.find(f"{{{NS}}}DataVirtualHardDisks"), "DataVirtualHardDisk") == []
    assert text(_disk(h, "data0"), "AttachedTo") is None
    got = h.call("DELETE", "/services/disks/data0")
    assert got.status == 200, got.body  # was 400 "currently in use by virtual machine myvm"


def test_an_upgrade_domain_count_setting_that_is_not_a_number_is_400(h: Harness) -> None:
    config = (
        '<ServiceConfiguration serviceName="svc" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
        'ServiceConfiguration"><Role name="WebRole1"><Instances count="2"/><ConfigurationSettings>'
        '<Setting name="Emulator.UpgradeDomainCount" value="²"/></ConfigurationSettings></Role>'
        "</ServiceConfiguration>"
    )
    fields = {
        "Name": "v1",
        "PackageUrl": "https://acct.blob.core.windows.net/pkgs/app.cspkg",
        "Label": b64("v1"),
        "Configuration": b64(config),
    }
    got = h.call("POST", f"{SVC}/deploymentslots/production", xml_body("CreateDeployment", fields))
    assert got.status == 400 and "Emulator.UpgradeDomainCount" in got.body.decode(), got.body


# --- x-ms-version gates (asm-wire.md 1.2: each operation has a minimum version; the old SDK sends
# 2015-02-01 for reserved-IP association and 2015-04-01 for VM-image replication because 2014-10-01
# did not have them; comp=media needs 2013-08-01, 4.2 / 4.3). Below the minimum: 400
# MissingOrIncorrectVersionHeader, as for an unknown version (the text is the emulator's choice).
RIP = "/services/networking/reservedips/myip"
GATES = [
    ("POST", f"{RIP}/operations/associate", "2015-02-01", "2014-10-01"),
    ("POST", f"{RIP}/operations/disassociate", "2015-02-01", "2014-10-01"),
    ("DELETE", f"{SVC}?comp=media", "2013-08-01", "2013-06-01"),
    ("DELETE", f"{SVC}/deployments/myvm?comp=media", "2013-08-01", "2013-06-01"),
]


@pytest.mark.parametrize("method, path, minimum, older", GATES)
def test_an_operation_below_its_minimum_version_is_400(
    h: Harness, method: str, path: str, minimum: str, older: str
) -> None:
    got = h.call(method, path, "", version=older)
    assert got.status == 400 and error_code(got) == p.ERR_MISSING_VERSION, got.body
    assert minimum in got.body.decode()
    at_minimum = h.call(method, path, "", version=minimum)  # reaches the handler (404, 400 body, ...)
    assert error_code(at_minimum) != p.ERR_MISSING_VERSION if at_minimum.body else at_minimum.status < 300


@pytest.mark.parametrize(
    "path", ["/services/images/myimage/replicate", "/services/images/myimage/unreplicate"]
)
def test_vm_image_replication_is_not_gated_on_what_the_old_sdk_sends(h: Harness, path: str) -> None:
    """asm-wire.md 1.2 records only that the old SDK sends 2015-04-01 here, not that the service
    refused less: the emulator stays tolerant (review: a gate at 2015-04-01 was inferred)."""
    got = h.call("PUT", path, "", version="2014-10-01")
    assert error_code(got) != p.ERR_MISSING_VERSION, got.body


def test_delete_without_comp_media_has_no_2013_gate(h: Harness) -> None:
    assert h.call("DELETE", SVC, "", version="2012-03-01").status == 200


# --- a reserved IP stays reserved when its deployment goes (asm-wire.md 4.3), whichever call takes
# the deployment: Delete Deployment released it; Delete Hosted Service with comp=media and a
# Capture Role (Delete) of the last VM left it "in use" by a deployment that no longer existed, so
# it could be neither deleted nor associated again.
def _vm_on_reserved_ip(h: Harness) -> None:
    body = xml_body("ReservedIP", {"Name": "myip", "Label": "mine", "Location": "West US"})
    assert h.call("POST", "/services/networking/reservedips", body).status == 202
    h.finish()
    vm = _vm_body().replace("</RoleList>", "</RoleList><ReservedIPName>myip</ReservedIPName>")
    assert h.call("POST", f"{SVC}/deployments", vm).status == 202
    h.finish()
    assert text(parse(h.call("GET", "/services/networking/reservedips/myip").body), "InUse") == "true"


def _assert_released(h: Harness) -> None:
    ip = parse(h.call("GET", "/services/networking/reservedips/myip").body)
    assert (text(ip, "InUse"), text(ip, "ServiceName")) == ("false", "")
    got = h.call("DELETE", "/services/networking/reservedips/myip")
    assert got.status == 202, got.body


def test_delete_hosted_service_with_media_releases_its_reserved_ip(h: Harness) -> None:
    _vm_on_reserved_ip(h)
    assert h.call("DELETE", f"{SVC}?comp=media").status == 202
    h.finish()
    _assert_released(h)


def test_capturing_the_last_vm_with_delete_releases_its_reserved_ip(h: Harness) -> None:
    _vm_on_reserved_ip(h)
    capture = xml_body(
        "CaptureRoleOperation",
        {
            "OperationType": "CaptureRoleOperation",
            "PostCaptureAction": "Delete",
            "TargetImageLabel": "captured",
            "TargetImageName": "captured",
        },
    )
    got = h.call("POST", f"{VM}/roleinstances/myvm/Operations", capture)
    assert got.status == 202, got.body
    h.finish()
    assert h.call("GET", f"{VM}").status == 404  # the deployment went with its last VM
    _assert_released(h)


def _second_vm(h: Harness, name: str) -> str:
    """Add VM ``name`` (from the public image, as the first) to myvm; return its OS disk's name."""
    role = _vm_body().split("<RoleList>")[1].split("</RoleList>")[0]
    inner = role.replace("<RoleName>myvm</RoleName>", f"<RoleName>{name}</RoleName>")
    inner = inner.replace("<Role>", "").replace("</Role>", "")
    add = f'<PersistentVMRole xmlns="{NS}">{inner}</PersistentVMRole>'
    assert h.call("POST", f"{VM}/roles", add).status == 202, add
    h.finish()
    role_doc = parse(h.call("GET", f"{VM}/roles/{name}").body)
    return text(role_doc, "OSVirtualHardDisk/DiskName") or ""


def test_delete_role_instances_of_vms_detaches_their_disks(h: Harness) -> None:
    """Delete Role Instances of a VM deployment deletes VMs; like Delete Role, their disks stay in
    the repository, detached (they stayed attached to the deleted VM, so Delete Disk answered 400)."""
    _vm(h)
    os_disk = _second_vm(h, "vm2")
    assert text(_disk(h, os_disk), "AttachedTo/RoleName") == "vm2"
    body = f'<RoleInstances xmlns="{NS}"><Name>vm2</Name></RoleInstances>'
    assert h.call("POST", f"{VM}/roleinstances/?comp=delete", body).status == 202
    h.finish()
    assert text(_disk(h, os_disk), "AttachedTo") is None
    assert h.call("DELETE", f"/services/disks/{os_disk}").status == 200


def _role_on_disk(name: str, disk: str) -> str:
    """A role booting from an existing OS disk: DiskName only, no image, no provisioning set."""
    return (
        f'<PersistentVMRole xmlns="{NS}"><RoleName>{name}</RoleName><RoleType>PersistentVMRole</RoleType>'
        f"<OSVirtualHardDisk><DiskName>{disk}</DiskName></OSVirtualHardDisk><RoleSize>Small</RoleSize>"
        "</PersistentVMRole>"
    )


def test_a_vm_can_boot_from_an_existing_os_disk(h: Harness) -> None:
    """The documented way to bring a VM back from its disk (OSVirtualHardDisk{DiskName}, the old
    SDK's ``OSVirtualHardDisk(disk_name=...)`` with no system_config): it was 400 "The SourceImageName
    or RemoteSourceImageLink parameter is required.", although the disks stay for exactly this."""
    _vm(h)
    os_disk = _second_vm(h, "vm2")
    assert h.call("DELETE", f"{VM}/roles/vm2").status == 202
    h.finish()
    got = h.call("POST", f"{VM}/roles", _role_on_disk("vm3", os_disk))
    assert got.status == 202, got.body
    h.finish()
    role = parse(h.call("GET", f"{VM}/roles/vm3").body)
    assert text(role, "OSVirtualHardDisk/DiskName") == os_disk
    assert text(role, "OSVirtualHardDisk/OS") == "Linux"  # the disk's
    assert text(_disk(h, os_disk), "AttachedTo/RoleName") == "vm3"


def test_booting_from_a_disk_that_is_missing_or_in_use_is_refused(h: Harness) -> None:
    _vm(h)
    missing = h.call("POST", f"{VM}/roles", _role_on_disk("vm3", "nosuchdisk"))
    assert missing.status == 400 and "nosuchdisk" in missing.body.decode(), missing.body
    in_use = text(parse(h.call("GET", f"{VM}/roles/myvm").body), "OSVirtualHardDisk/DiskName") or ""
    taken = h.call("POST", f"{VM}/roles", _role_on_disk("vm3", in_use))
    assert taken.status == 409 and error_code(taken) == p.ERR_CONFLICT, taken.body


def _replication(h: Harness) -> list[tuple[str | None, str | None]]:
    details = parse(h.call("GET", "/services/images/myos/details").body)
    box = details.find(f"{{{NS}}}ReplicationProgress")
    return [(text(e, "Location"), text(e, "Progress")) for e in children(box, "ReplicationProgressElement")]


def test_os_image_details_show_where_a_user_image_was_replicated(h: Harness) -> None:
    """Get OS Image Details is where a script watches a replication (asm-wire.md 4.6,
    ``ReplicationProgress{ReplicationProgressElement*{Location, Progress}}``); it stayed empty."""
    fields = {"Label": "myos", "MediaLink": "https://acct.blob.core.windows.net/v/os.vhd"}
    image = xml_body("OSImage", {**fields, "Name": "myos", "OS": "Linux"})
    assert h.call("POST", "/services/images", image).status == 200
    assert _replication(h) == []
    body = (
        f'<ReplicationInput xmlns="{NS}"><TargetLocations><Region>West US</Region><Region>East US</Region>'
        "</TargetLocations><ComputeImageAttributes><Offer>o</Offer><Sku>s</Sku><Version>1.0.0</Version>"
        "</ComputeImageAttributes></ReplicationInput>"
    )
    assert h.call("PUT", "/services/images/myos/replicate", body, version="2015-04-01").status == 202
    h.finish()
    assert _replication(h) == [("West US", "100"), ("East US", "100")]
    assert h.call("PUT", "/services/images/myos/unreplicate", "", version="2015-04-01").status == 202
    h.finish()
    assert _replication(h) == []


def _add_data_disk(h: Harness, lun: int, inner: str) -> Response:
    body = f'<DataVirtualHardDisk xmlns="{NS}"><Lun>{lun}</Lun>{inner}</DataVirtualHardDisk>'
    return h.call("POST", f"{VM}/roles/myvm/DataDisks", body)


def test_a_data_disk_of_existing_media_needs_no_size(h: Harness) -> None:
    """LogicalDiskSizeInGB is "the size of an EMPTY disk" (the old SDK's add_data_disk docstring):
    a disk copied from SourceMediaLink, or attached from a VHD already at MediaLink, has the blob's
    size. The emulator cannot see blobs, so it accepts both (400 before), with the size of a disk it
    knows at that link, else 0."""
    _vm(h)
    vhd = "https://acct.blob.core.windows.net/v"
    copied = _add_data_disk(
        h, 0, f"<MediaLink>{vhd}/copy.vhd</MediaLink><SourceMediaLink>{vhd}/gold.vhd</SourceMediaLink>"
    )
    assert copied.status == 202, copied.body
    h.finish()
    attached = _add_data_disk(h, 1, f"<MediaLink>{vhd}/existing.vhd</MediaLink>")
    assert attached.status == 202, attached.body
    h.finish()
    known = "url_to_target_storage_blob_for_vm_hd"  # the VM's OS disk: 30 GB in the repository
    copy_of_known = _add_data_disk(
        h, 2, f"<MediaLink>{vhd}/copy2.vhd</MediaLink><SourceMediaLink>{known}</SourceMediaLink>"
    )
    assert copy_of_known.status == 202, copy_of_known.body
    h.finish()
    role = parse(h.call("GET", f"{VM}/roles/myvm").body)
    disks = children(role.find(f"{{{NS}}}DataVirtualHardDisks"), "DataVirtualHardDisk")
    sizes = [(text(d, "Lun"), text(d, "LogicalDiskSizeInGB")) for d in disks]
    assert sizes == [("0", "0"), ("1", "0"), ("2", "30")]
    nothing = _add_data_disk(h, 3, "")  # no MediaLink, no DiskName: nothing to attach
    assert nothing.status == 400


# Body-dependent minimums: the Simultaneous mode came with 2012-12-01 [DOC]. StoppedDeallocated is
# not gated: asm-wire.md 4.3 dates only the InstanceStatus value (>= 2013-06-01), not the request.
def _shutdown(action: str) -> str:
    fields = {"OperationType": "ShutdownRoleOperation", "PostShutdownAction": action}
    return xml_body("ShutdownRoleOperation", fields)


def test_stopped_deallocated_is_not_gated_on_the_status_values_date(h: Harness) -> None:
    _vm(h)
    path = f"{VM}/roleinstances/myvm/Operations"
    assert h.call("POST", path, _shutdown("StoppedDeallocated"), version="2013-03-01").status == 202


def test_the_simultaneous_mode_needs_2012_12_01(h: Harness) -> None:
    h.create_deployment(name="v1")
    h.finish()
    fields = {"Configuration": b64(cscfg()), "TreatWarningsAsError": "false", "Mode": "Simultaneous"}
    body = xml_body("ChangeConfiguration", fields)
    path = f"{SVC}/deployments/v1/?comp=config"
    old = h.call("POST", path, body, version="2012-08-01")
    assert old.status == 400 and error_code(old) == p.ERR_MISSING_VERSION, old.body
    assert "2012-12-01" in old.body.decode()
    assert h.call("POST", path, body, version="2012-12-01").status == 202


def test_get_subscription_counts_reserved_ips(h: Harness) -> None:
    """CurrentReservedIPs (asm-wire.md 4.1, recorded beside MaxReservedIPs) was always 0."""
    body = xml_body("ReservedIP", {"Name": "myip", "Label": "mine", "Location": "West US"})
    assert h.call("POST", "/services/networking/reservedips", body).status == 202
    h.finish()
    sub = parse(h.call("GET", "").body)
    assert (text(sub, "CurrentReservedIPs"), text(sub, "MaxReservedIPs")) == ("1", "20")


def _os_image_location(h: Harness, media: str) -> str | None:
    body = xml_body("OSImage", {"Label": "img", "MediaLink": media, "Name": "img", "OS": "Linux"})
    added = h.call("POST", "/services/images", body)
    assert added.status == 200, added.body
    assert text(parse(added.body), "Location") == text(
        parse(h.call("GET", "/services/images/img").body), "Location"
    )
    return text(parse(added.body), "Location")


def test_a_user_os_image_is_where_its_storage_account_is(h: Harness) -> None:
    """A user image's Location was always empty, so a client filtering images by location
    (libcloud's list_images(location=...) keeps those whose location names it) never found one."""
    fields = {"ServiceName": "imgacct", "Label": b64("imgacct"), "Location": "East US"}
    assert (
        h.call("POST", "/services/storageservices", xml_body("CreateStorageServiceInput", fields)).status
        == 202
    )
    h.finish()
    assert _os_image_location(h, "https://imgacct.blob.core.windows.net/v/img.vhd") == "East US"


def test_a_user_os_image_on_an_unknown_account_has_no_location(h: Harness) -> None:
    assert _os_image_location(h, "https://elsewhere.blob.core.windows.net/v/img.vhd") == ""


def _vm_with_extension(publisher: str, name: str, version: str) -> str:
    ref = (
        "<ResourceExtensionReferences><ResourceExtensionReference><ReferenceName>ext</ReferenceName>"
        f"<Publisher>{publisher}</Publisher><Name>{name}</Name><Version>{version}</Version>"
        "</ResourceExtensionReference></ResourceExtensionReferences>"
    )
    return _vm_body().replace("<OSVirtualHardDisk>", f"{ref}<OSVirtualHardDisk>")


@pytest.mark.parametrize(
    "publisher, name, version",
    [
        ("Microsoft.Compute", "CustomScriptExtension", "1.7"),  # a minor the seed does not list
        ("Microsoft.Azure.Diagnostics", "IaaSDiagnostics", "1.*"),
        ("Microsoft.Compute", "JsonADDomainExtension", "1.3"),
        ("Microsoft.Powershell", "DSC", "2.*"),
        ("Microsoft.OSTCExtensions", "LinuxDiagnostic", "2.*"),
        ("Chef.Bootstrap.WindowsAzure", "ChefClient", "1210.*"),
        ("MSOpenTech.Extensions", "DockerExtension", "1.*"),
    ],
)
def test_vms_may_reference_the_extensions_scripts_of_the_time_used(
    h: Harness, publisher: str, name: str, version: str
) -> None:
    """The catalogue was five extensions with a few exact versions each, so a VM referencing any
    other real extension (Diagnostics, DSC, domain join, Chef, Docker ...) or another minor version
    was refused 400, stricter than the service whose catalogue had them all."""
    got = h.call("POST", f"{SVC}/deployments", _vm_with_extension(publisher, name, version))
    assert got.status == 202, got.body
    listed = h.call("GET", f"/services/resourceextensions/{publisher}/{name}")
    assert listed.status == 200 and name in listed.body.decode()


def test_an_extension_nobody_published_is_still_400(h: Harness) -> None:
    got = h.call("POST", f"{SVC}/deployments", _vm_with_extension("Nobody", "Nothing", "1.0"))
    assert got.status == 400 and "Nobody.Nothing" in got.body.decode()
    wrong_major = h.call(
        "POST", f"{SVC}/deployments", _vm_with_extension("Microsoft.Compute", "BGInfo", "9.0")
    )
    assert wrong_major.status == 400

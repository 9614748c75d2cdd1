"""VM deployments and role operations, the deployments' applications, and durability across restarts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from service_helpers import NS, Harness, b64, children, cscfg, error_code, instances, names, parse, text

from airflow_sm_provider import protocol as p

SVC = "/services/hostedservices/mysvc"
IMAGE = "OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd"


def _vm_body(image: str = IMAGE) -> str:
    # What azure-servicemanagement-legacy 0.20.8 sends (no i:type on request ConfigurationSets, plain Label).
    return (
        f'<Deployment xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="{NS}"><Name>myvm</Name>'
        "<DeploymentSlot>production</DeploymentSlot><Label>myvm</Label><RoleList><Role><RoleName>myvm</RoleName>"
        "<RoleType>PersistentVMRole</RoleType><ConfigurationSets><ConfigurationSet>"
        "<ConfigurationSetType>LinuxProvisioningConfiguration</ConfigurationSetType><HostName>myhostname</HostName>"
        "<UserName>myuser</UserName><UserPassword>mypassword</UserPassword>"
        "<DisableSshPasswordAuthentication>true</DisableSshPasswordAuthentication></ConfigurationSet>"
        "<ConfigurationSet><ConfigurationSetType>NetworkConfiguration</ConfigurationSetType><InputEndpoints>"
        "<InputEndpoint><LocalPort>22</LocalPort><Name>SSH</Name><Port>22</Port><Protocol>TCP</Protocol>"
        "</InputEndpoint></InputEndpoints><SubnetNames/></ConfigurationSet></ConfigurationSets>"
        f"<OSVirtualHardDisk><MediaLink>url_to_target_storage_blob_for_vm_hd</MediaLink>"
        f"<SourceImageName>{image}</SourceImageName></OSVirtualHardDisk><RoleSize>Small</RoleSize></Role>"
        "</RoleList></Deployment>"
    )


def test_vm_deployment_life_cycle(h: Harness) -> None:
    got = h.call("POST", f"{SVC}/deployments", _vm_body())
    assert got.status == 202
    dep = h.deployment()
    assert text(dep, "Status") == "Running"
    assert text(dep, "Label") == b64("myvm")  # plain in the request, base64 in the response
    assert instances(dep) == [("myvm", "RoleStateUnknown", "Starting")]
    role = children(children(dep, "RoleList")[0], "Role")[0]
    assert role.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "PersistentVMRole"
    cs = children(children(role, "ConfigurationSets")[0], "ConfigurationSet")
    assert [c.get("{http://www.w3.org/2001/XMLSchema-instance}type") for c in cs] == [
        "NetworkConfigurationSet"
    ]
    h.advance(58)
    assert text(h.op_status(got), "Status") == "Succeeded"
    assert instances(h.deployment())[0][1] == "RoleStateUnknown"
    h.advance(120)
    assert instances(h.deployment()) == [("myvm", "ReadyRole", "Started")]
    assert text(children(h.deployment(), "RoleInstanceList")[0][0], "HostName") == "myhostname"
    got = h.call("GET", f"{SVC}/deployments/myvm/roles/myvm")
    assert got.status == 200 and parse(got.body).tag == f"{{{NS}}}PersistentVMRole"
    assert text(parse(got.body), "OSVirtualHardDisk/SourceImageName") == IMAGE

    body = (
        f'<ShutdownRoleOperation xmlns="{NS}"><OperationType>ShutdownRoleOperation</OperationType>'
        "<PostShutdownAction>StoppedDeallocated</PostShutdownAction></ShutdownRoleOperation>"
    )
    got = h.call("POST", f"{SVC}/deployments/myvm/roleinstances/myvm/Operations", body)
    assert got.status == 202
    h.advance(21)
    inst = children(children(h.deployment(), "RoleInstanceList")[0], "RoleInstance")[0]
    assert names(inst) == [
        "RoleName",
        "InstanceName",
        "InstanceStatus",
        "PowerState",
        "RemoteAccessCertificateThumbprint",
    ]
    assert text(inst, "InstanceStatus") == "StoppedDeallocated" and text(inst, "PowerState") == "Stopped"

    start = (
        f'<StartRoleOperation xmlns="{NS}"><OperationType>StartRoleOperation</OperationType>'
        "</StartRoleOperation>"
    )
    assert h.call("POST", f"{SVC}/deployments/myvm/roleinstances/myvm/Operations", start).status == 202
    assert h.call("POST", f"{SVC}/deployments/myvm/roleinstances/myvm/Operations", start).status == 409
    h.advance(90)
    assert instances(h.deployment()) == [("myvm", "ReadyRole", "Started")]

    swap = f'<Swap xmlns="{NS}"><SourceDeployment>myvm</SourceDeployment></Swap>'
    assert h.call("POST", SVC, swap).status == 409  # nothing in staging: the VM deployment is in production
    assert h.call("DELETE", f"{SVC}/deployments/myvm").status == 202
    h.finish()
    assert h.call("DELETE", SVC).status == 200


def test_vm_with_unknown_image_400(h: Harness) -> None:
    got = h.call("POST", f"{SVC}/deployments", _vm_body("no-such-image"))
    assert got.status == 400 and error_code(got) == p.ERR_BAD_REQUEST


def _vm_image_role_body(vm_image: str) -> str:
    # What libcloud 3.9.1's AzureNodeDriver.create_node sends for a VM image: VMImageName, a
    # provisioning set, and no OSVirtualHardDisk.
    return (
        f'<Deployment xmlns="{NS}"><Name>myvm</Name><DeploymentSlot>Production</DeploymentSlot>'
        "<Label>myvm</Label><RoleList><Role><RoleName>myvm</RoleName><RoleType>PersistentVMRole</RoleType>"
        "<ConfigurationSets><ConfigurationSet><ConfigurationSetType>LinuxProvisioningConfiguration"
        "</ConfigurationSetType><HostName>myvm</HostName><UserName>azureuser</UserName>"
        "<UserPassword>Passw0rd!x</UserPassword></ConfigurationSet></ConfigurationSets>"
        f"<VMImageName>{vm_image}</VMImageName><RoleSize>Small</RoleSize></Role></RoleList></Deployment>"
    )


def _vm_from_vm_image(h: Harness, os_disk: str, data_disks: str = "") -> Any:
    """Register VM image ``myimage`` (``os_disk``: the OSDiskConfiguration's inner XML), make the VM
    from it as libcloud does, and return its Get Role document."""
    image = (
        f'<VMImage xmlns="{NS}"><Name>myimage</Name><Label>my image</Label>'
        f"<OSDiskConfiguration>{os_disk}</OSDiskConfiguration>{data_disks}</VMImage>"
    )
    assert h.call("POST", "/services/vmimages", image).status == 202
    h.finish()
    assert h.call("POST", f"{SVC}/deployments", _vm_image_role_body("myimage")).status == 202
    # Get Hosted Service with its deployments answered 500 here before: the role had no OS disk.
    got = h.call("GET", f"{SVC}?embed-detail=true")
    assert got.status == 200, got.body
    return parse(h.call("GET", f"{SVC}/deployments/myvm/roles/myvm").body)


def _disk_names(h: Harness) -> list[str | None]:
    return [text(d, "Name") for d in children(parse(h.call("GET", "/services/disks").body), "Disk")]


def test_vm_from_a_vm_image_gets_the_images_os_disk(h: Harness) -> None:
    role = _vm_from_vm_image(
        h,
        "<HostCaching>ReadOnly</HostCaching><OSState>Generalized</OSState><OS>Windows</OS>"
        "<MediaLink>https://acct.blob.core.windows.net/images/myimage.vhd</MediaLink>",
    )
    assert text(role, "VMImageName") == "myimage"
    assert text(role, "OSVirtualHardDisk/OS") == "Windows"  # from the image
    assert text(role, "OSVirtualHardDisk/HostCaching") == "ReadOnly"
    assert text(role, "OSVirtualHardDisk/SourceImageName") is None  # no OS image behind it
    disk_name = text(role, "OSVirtualHardDisk/DiskName")
    media = text(role, "OSVirtualHardDisk/MediaLink")
    assert media == f"https://acct.blob.core.windows.net/images/{disk_name}.vhd"  # beside the image
    assert _disk_names(h) == [disk_name]
    disks = parse(h.call("GET", "/services/disks").body)
    assert text(children(disks, "Disk")[0], "AttachedTo/RoleName") == "myvm"


def test_vm_from_a_vm_image_gets_copies_of_its_data_disks(h: Harness) -> None:
    """The service provisions the whole image: its data disks become the role's, at their LUNs."""
    role = _vm_from_vm_image(
        h,
        "<OSState>Generalized</OSState><OS>Linux</OS>"
        "<MediaLink>https://acct.blob.core.windows.net/images/myimage.vhd</MediaLink>",
        "<DataDiskConfigurations><DataDiskConfiguration><HostCaching>ReadOnly</HostCaching><Lun>2</Lun>"
        "<MediaLink>https://data.blob.core.windows.net/images/d2.vhd</MediaLink>"
        "<LogicalDiskSizeInGB>64</LogicalDiskSizeInGB></DataDiskConfiguration></DataDiskConfigurations>",
    )
    (data,) = children(role.find(f"{{{NS}}}DataVirtualHardDisks"), "DataVirtualHardDisk")
    assert [text(data, tag) for tag in ("Lun", "LogicalDiskSizeInGB", "HostCaching")] == [
        "2",
        "64",
        "ReadOnly",
    ]
    # the copy goes beside the OS disk copy, and is a disk of the repository like it
    assert (text(data, "MediaLink") or "").startswith("https://acct.blob.core.windows.net/images/")
    names = _disk_names(h)
    assert text(data, "DiskName") in names and len(names) == 2


def test_a_redeploy_from_a_vm_image_within_a_second_reattaches_its_copies(tmp_path: Path) -> None:
    """Delete Deployment without comp=media keeps the disks; making the VM again within the same
    second got 409 'A disk named ... already exists' for the data disk copy (the OS disk copy was
    re-attached). Copies are named after the OS disk copy, so both are re-attached."""
    fast = Harness(tmp_path, speed=1e6)  # every operation ends within milliseconds
    fast.create_service()
    image = (
        f'<VMImage xmlns="{NS}"><Name>myimage</Name><Label>l</Label><OSDiskConfiguration><OSState>'
        "Generalized</OSState><OS>Linux</OS><MediaLink>https://acct.blob.core.windows.net/images/"
        "myimage.vhd</MediaLink></OSDiskConfiguration><DataDiskConfigurations><DataDiskConfiguration>"
        "<Lun>0</Lun><MediaLink>https://acct.blob.core.windows.net/images/d0.vhd</MediaLink>"
        "</DataDiskConfiguration></DataDiskConfigurations></VMImage>"
    )
    assert fast.call("POST", "/services/vmimages", image).status == 202
    for step in ("create", "delete", "create"):
        fast.advance(0.01)
        if step == "create":
            got = fast.call("POST", f"{SVC}/deployments", _vm_image_role_body("myimage"))
        else:
            got = fast.call("DELETE", f"{SVC}/deployments/myvm")
        assert got.status == 202, (step, got.body)
    fast.advance(0.01)
    assert len(_disk_names(fast)) == 2  # the same two copies, attached again


def test_vm_from_an_unknown_vm_image_400(h: Harness) -> None:
    got = h.call("POST", f"{SVC}/deployments", _vm_image_role_body("no-such-vm-image"))
    assert got.status == 400 and error_code(got) == p.ERR_BAD_REQUEST


# --- deployment applications ------------------------------------------------------------------
def test_app_answers_only_when_ready(h: Harness) -> None:
    h.create_deployment(slot="production")
    got = h.app_get("/cloudapp/mysvc/health")
    assert got.status == 503
    h.finish()
    assert h.app_get("/cloudapp/mysvc/health").status == 200
    info = json.loads(h.app_get("/cloudapp/mysvc/").body)
    assert info == {
        "deployment": "v1",
        "label": "v1",
        "slot": "Production",
        "package_url": "https://acct.blob.core.windows.net/pkgs/app.cspkg",
        "service": "mysvc",
    }
    assert h.app_get("/cloudapp/unknown/health").status == 404


@pytest.mark.parametrize(
    ("health", "staging", "production"),
    [
        ("healthy", 200, 200),
        ("unhealthy", 503, 503),
        ("unhealthy-in-production", 200, 503),
        ("fail-start", 503, 503),
    ],
)
def test_health_modes_follow_slot(h: Harness, health: str, staging: int, production: int) -> None:
    h.create_deployment(slot="staging", name="v2", health=health)
    h.finish()
    dep = h.deployment(slot="staging")
    dns = text(dep, "PrivateID")
    assert text(dep, "Url") == f"https://127.0.0.1:8443/cloudapp/{dns}/"
    assert h.app_get(f"/cloudapp/{dns}/health").status == staging
    if health == "fail-start":
        assert {s for _, s, _ in instances(dep)} == {"FailedStartingRole"}
    h.call("POST", SVC, f'<Swap xmlns="{NS}"><SourceDeployment>v2</SourceDeployment></Swap>')
    h.finish()
    assert h.app_get("/cloudapp/mysvc/health").status == production
    assert h.app_get(f"/cloudapp/{dns}/health").status == 404


def test_change_config_changes_health(h: Harness) -> None:
    h.create_deployment(health="unhealthy")
    h.finish()
    assert h.app_get("/cloudapp/mysvc/health").status == 503
    config = b64(cscfg(health="healthy"))
    body = f'<ChangeConfiguration xmlns="{NS}"><Configuration>{config}</Configuration></ChangeConfiguration>'
    assert h.call("POST", f"{SVC}/deployments/v1/?comp=config", body).status == 202
    h.finish()
    assert h.app_get("/cloudapp/mysvc/health").status == 200


# --- durability ----------------------------------------------------------------------------------
def test_in_flight_operation_survives_restart(h: Harness) -> None:
    got = h.create_deployment(roles={"Web": 2})
    h.advance(10)
    h.reopen()  # same state_dir, a brand-new App: nothing lived only in memory
    assert text(h.op_status(got), "Status") == "InProgress"
    assert text(h.deployment(), "Locked") == "true"
    h.advance(60)
    h.reopen()
    assert text(h.op_status(got), "Status") == "Succeeded"
    h.finish()
    assert [s for _, s, _ in instances(h.deployment())] == ["ReadyRole", "ReadyRole"]
    assert h.call("GET", "", cert=b"unknown").status == 403
    assert h.call("GET", "").status == 200  # certificates are durable too


def test_reset_keeps_subscriptions_and_admin_state(h: Harness) -> None:
    h.create_deployment()
    state = h.app.admin_state()
    assert len(state["resources"]["deployment"]) == 1  # type: ignore[index]
    json.dumps(state)
    h.app.reset()
    assert h.call("GET", SVC).status == 404
    assert h.call("GET", "").status == 200

"""The rest of the old SDK's surface, driven by the real old client (azure-servicemanagement-legacy
0.20.8) over mTLS: certificates, subscriptions, operations, networking, extensions, disks, VM images,
role updates and captures. Each test checks the parsed answer and the state it left behind."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.common import AzureConflictHttpError, AzureHttpError, AzureMissingResourceHttpError
from azure.servicemanagement import (
    CaptureRoleAsVMImage,
    ConfigurationSet,
    ConfigurationSetInputEndpoint,
    LinuxConfigurationSet,
    OSDiskConfiguration,
    OSVirtualHardDisk,
    ResourceExtensionReference,
    ServiceManagementService,
    VMImage,
)
from legacy_helpers import generalized_linux_image, legacy_wait

from airflow_sm_provider.emulator import Emulator
from airflow_sm_provider.emulator.certs import mint_client_certificate
from airflow_sm_provider.emulator.sessions import legacy_session

IMAGE = "OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd"
VHDS = "https://mystorage.blob.core.windows.net/vhds"


wait = legacy_wait


def network(*ports: tuple[str, str]) -> ConfigurationSet:
    config = ConfigurationSet()
    config.subnet_names.append("frontend")
    for name, port in ports:
        config.input_endpoints.input_endpoints.append(ConfigurationSetInputEndpoint(name, "tcp", port, port))
    return config


def vm(sms: ServiceManagementService, service: str, *, role: str = "vm1", **kwargs: Any) -> None:
    sms.create_hosted_service(service, service, "vm tests", "West US")
    linux = LinuxConfigurationSet("host1", "azureuser", "S3cret-Passw0rd!", True)
    disk = OSVirtualHardDisk(IMAGE, f"{VHDS}/{service}-{role}.vhd")
    result = sms.create_virtual_machine_deployment(
        service, service, "production", service, role, linux, disk, role_size="Small", **kwargs
    )
    wait(sms, result)


def test_node_sdk_version_header_and_unknown_version(emulator: Emulator) -> None:
    ep = emulator.endpoint
    session = legacy_session(ep)
    url = f"https://{ep['host']}/{ep['subscription_id']}/locations"
    assert (
        session.get(url, headers={"x-ms-version": "2017-01-01"}).status_code == 200
    )  # azure-asm-compute 0.18.0
    bad = session.get(url, headers={"x-ms-version": "2099-01-01"})
    assert bad.status_code == 400 and "MissingOrIncorrectVersionHeader" in bad.text
    session.close()


def test_storage_account_properties_carry_capabilities(sms: ServiceManagementService) -> None:
    wait(sms, sms.create_storage_account("capsacct", "d", "capsacct", location="West US"))
    props = sms.get_storage_account_properties("capsacct")
    assert list(props.capabilities) == ["PersistentVMRole", "HighMemory"]


def test_non_numeric_port_is_400_not_500(sms: ServiceManagementService) -> None:
    sms.create_hosted_service("badport", "badport", "x", "West US")
    linux = LinuxConfigurationSet("h", "u", "S3cret-Passw0rd!", True)
    with pytest.raises(AzureHttpError) as info:
        sms.create_virtual_machine_deployment(
            "badport",
            "badport",
            "production",
            "badport",
            "vm",
            linux,
            OSVirtualHardDisk(IMAGE, f"{VHDS}/badport.vhd"),
            network_config=network(("ssh", "twenty-two")),
        )
    assert info.value.status_code == 400 and "twenty-two" in str(info.value)


def test_management_certificates_authorise_and_revoke(
    sms: ServiceManagementService, emulator: Emulator, tmp_path: Path
) -> None:
    ep = emulator.endpoint
    listed = [c.subscription_certificate_thumbprint for c in sms.list_management_certificates()]
    assert ep["thumbprint"] in listed
    minted = mint_client_certificate(common_name="second admin")
    data = base64.b64encode(minted.der).decode()
    sms.add_management_certificate("", minted.thumbprint, data)
    got = sms.get_management_certificate(minted.thumbprint)
    assert got.subscription_certificate_data == data and got.created
    with pytest.raises(AzureConflictHttpError):
        sms.add_management_certificate("", minted.thumbprint, data)
    with pytest.raises(AzureHttpError) as info:
        sms.add_management_certificate("", "00" * 20, data)
    assert info.value.status_code == 400
    session = legacy_session(ep)
    session.cert = str(minted.write(tmp_path, "second"))
    second = ServiceManagementService(ep["subscription_id"], host=ep["host"], request_session=session)
    assert "West US" in [loc.name for loc in second.list_locations()]  # the new certificate works
    sms.delete_management_certificate(minted.thumbprint)
    with pytest.raises(AzureHttpError) as info:
        second.list_locations()
    assert info.value.status_code == 403
    with pytest.raises(AzureMissingResourceHttpError):
        sms.get_management_certificate(minted.thumbprint)
    session.close()


def test_list_subscriptions_and_role_sizes(sms: ServiceManagementService, emulator: Emulator) -> None:
    subs = sms.list_subscriptions()
    assert [s.subscription_id for s in subs] == [emulator.endpoint["subscription_id"]]
    assert subs[0].subscription_status == "Active"
    sizes = {s.name: s for s in sms.list_role_sizes()}
    assert sizes["Small"].cores == 1 and sizes["Small"].supported_by_virtual_machines is True


def test_list_subscription_operations_with_filters(sms: ServiceManagementService, emulator: Emulator) -> None:
    sms.create_hosted_service("opslist", "opslist", "ops", "West US")
    sms.update_hosted_service("opslist", description="changed")
    everything = sms.list_subscription_operations("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
    names = [o.operation_name for o in everything.subscription_operations]
    assert "CreateHostedService" in names and "UpdateHostedService" in names
    path = f"/{emulator.endpoint['subscription_id']}/services/hostedservices/opslist"
    mine = sms.list_subscription_operations(
        "2000-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        object_id_filter=path,
        operation_result_filter="Succeeded",
    )
    ops = list(mine.subscription_operations)
    # The object of a create is the new service (the URL of a GET on it), not the collection.
    assert [o.operation_name for o in ops] == ["CreateHostedService", "UpdateHostedService"]
    assert {o.operation_object_id for o in ops} == {path}
    assert ops[1].operation_status.status == "Succeeded" and ops[1].operation_parameters == {
        "service": "opslist"
    }
    assert ops[0].operation_caller.subscription_certificate_thumbprint == emulator.endpoint["thumbprint"]
    none = sms.list_subscription_operations("2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z")
    assert len(none.subscription_operations) == 0


def test_reserved_ip_life_cycle(sms: ServiceManagementService) -> None:
    wait(sms, sms.create_reserved_ip_address("myip", "my ip", "West US"))
    ip = sms.get_reserved_ip_address("myip")
    assert ip.name == "myip" and ip.location == "West US" and ip.in_use is False and ip.address
    assert "myip" in [i.name for i in sms.list_reserved_ip_addresses()]
    vm(sms, "ipsvc")
    wait(sms, sms.associate_reserved_ip_address("myip", "ipsvc", "ipsvc"))
    ip = sms.get_reserved_ip_address("myip")
    assert (ip.in_use, ip.service_name, ip.deployment_name) == (True, "ipsvc", "ipsvc")
    dep = sms.get_deployment_by_name("ipsvc", "ipsvc")
    assert dep.virtual_ips[0].address == ip.address
    with pytest.raises(AzureConflictHttpError):
        sms.delete_reserved_ip_address("myip")
    wait(sms, sms.disassociate_reserved_ip_address("myip", "ipsvc", "ipsvc"))
    assert sms.get_deployment_by_name("ipsvc", "ipsvc").virtual_ips[0].address != ip.address
    wait(sms, sms.delete_reserved_ip_address("myip"))
    with pytest.raises(AzureMissingResourceHttpError):
        sms.get_reserved_ip_address("myip")


def test_dns_servers_and_virtual_network_sites(sms: ServiceManagementService, emulator: Emulator) -> None:
    vm(sms, "dnssvc", network_config=network(("ssh", "22")), virtual_network_name="myvnet")
    wait(sms, sms.add_dns_server("dnssvc", "dnssvc", "dns1", "10.0.0.4"))
    with pytest.raises(AzureConflictHttpError):
        sms.add_dns_server("dnssvc", "dnssvc", "dns1", "10.0.0.5")
    wait(sms, sms.update_dns_server("dnssvc", "dnssvc", "dns1", "10.0.0.6"))
    path = f"/{emulator.endpoint['subscription_id']}/services/hostedservices/dnssvc/deployments/dnssvc"
    body = sms.perform_get(path).body.decode()
    assert "<DnsServer><Name>dns1</Name><Address>10.0.0.6</Address></DnsServer>" in body
    assert "<VirtualNetworkName>myvnet</VirtualNetworkName>" in body
    wait(sms, sms.delete_dns_server("dnssvc", "dnssvc", "dns1"))
    assert "<Dns>" not in sms.perform_get(path).body.decode()
    with pytest.raises(AzureMissingResourceHttpError):
        sms.delete_dns_server("dnssvc", "dnssvc", "dns1")
    sites = {s.name: s for s in sms.list_virtual_network_sites()}
    assert [sub.name for sub in sites["myvnet"].subnets] == ["frontend"]


def test_resource_extensions_catalogue_and_references(sms: ServiceManagementService) -> None:
    extensions = {(e.publisher, e.name): e for e in sms.list_resource_extensions()}
    assert ("Microsoft.OSTCExtensions", "CustomScriptForLinux") in extensions
    versions = [v.version for v in sms.list_resource_extension_versions("Microsoft.Compute", "BGInfo")]
    assert versions == ["1.0", "1.1", "2.1"]
    with pytest.raises(AzureMissingResourceHttpError):
        sms.list_resource_extension_versions("Nobody", "Nothing")
    ref = ResourceExtensionReference("script", "Microsoft.OSTCExtensions", "CustomScriptForLinux", "1.*")
    vm(sms, "extsvc", resource_extension_references=[ref], provision_guest_agent=True)
    ep = sms.subscription_id
    role_xml = sms.perform_get(
        f"/{ep}/services/hostedservices/extsvc/deployments/extsvc/roles/vm1"
    ).body.decode()
    assert (
        "<ResourceExtensionReference><ReferenceName>script</ReferenceName>"
        "<Publisher>Microsoft.OSTCExtensions</Publisher><Name>CustomScriptForLinux</Name><Version>1.*</Version>"
    ) in role_xml  # the old SDK's PersistentVMRole model has no field for them: read the XML
    sms.create_hosted_service("extbad", "extbad", "x", "West US")
    with pytest.raises(AzureHttpError) as info:
        sms.create_virtual_machine_deployment(
            "extbad",
            "extbad",
            "production",
            "extbad",
            "vm1",
            LinuxConfigurationSet("h", "u", "S3cret-Passw0rd!", True),
            OSVirtualHardDisk(IMAGE, f"{VHDS}/extbad.vhd"),
            resource_extension_references=[ResourceExtensionReference("x", "Nobody", "Nothing", "1.0")],
        )
    assert info.value.status_code == 400


def test_disks_and_data_disks(sms: ServiceManagementService) -> None:
    vm(sms, "disksvc")
    role = sms.get_role("disksvc", "disksvc", "vm1")
    os_disk = role.os_virtual_hard_disk.disk_name
    disks = {d.name: d for d in sms.list_disks()}
    assert disks[os_disk].attached_to.role_name == "vm1" and disks[os_disk].os == "Linux"
    with pytest.raises(AzureHttpError) as info:
        sms.delete_disk(os_disk)
    assert info.value.status_code == 400 and "in use" in str(info.value)

    wait(
        sms,
        sms.add_data_disk(
            "disksvc",
            "disksvc",
            "vm1",
            0,
            "ReadOnly",
            f"{VHDS}/data0.vhd",
            "data",
            logical_disk_size_in_gb=10,
        ),
    )
    got = sms.get_data_disk("disksvc", "disksvc", "vm1", 0)
    assert (got.lun, got.logical_disk_size_in_gb, got.host_caching) == (0, 10, "ReadOnly")
    with pytest.raises(AzureConflictHttpError):
        sms.add_data_disk(
            "disksvc", "disksvc", "vm1", 0, media_link=f"{VHDS}/x.vhd", logical_disk_size_in_gb=1
        )
    wait(sms, sms.update_data_disk("disksvc", "disksvc", "vm1", 0, host_caching="ReadWrite", updated_lun=3))
    assert [d.lun for d in sms.get_role("disksvc", "disksvc", "vm1").data_virtual_hard_disks] == [3]
    data_name = sms.get_data_disk("disksvc", "disksvc", "vm1", 3).disk_name
    wait(sms, sms.delete_data_disk("disksvc", "disksvc", "vm1", 3))
    with pytest.raises(AzureMissingResourceHttpError):
        sms.get_data_disk("disksvc", "disksvc", "vm1", 3)
    assert sms.get_disk(data_name).attached_to is None  # detached, still in the repository
    sms.delete_disk(data_name)

    sms.add_disk(False, "spare", f"{VHDS}/spare.vhd", "spare", "Linux")
    sms.update_disk("spare", label="spare disk")
    assert sms.get_disk("spare").label == "spare disk"
    sms.delete_disk("spare")
    with pytest.raises(AzureMissingResourceHttpError):
        sms.get_disk("spare")
    wait(sms, sms.delete_deployment("disksvc", "disksvc"))
    assert sms.get_disk(os_disk).attached_to is None  # the VM is gone, its disk stays
    sms.delete_disk(os_disk)


def test_vm_images_create_list_update_capture_delete(sms: ServiceManagementService) -> None:
    image = generalized_linux_image("myvmimage", "my vm image", "an image", f"{VHDS}/image.vhd", "ReadWrite")
    wait(sms, sms.create_vm_image(image))
    listed = {i.name: i for i in sms.list_vm_images()}
    assert listed["myvmimage"].os_disk_configuration.os_state == "Generalized"
    assert listed["myvmimage"].category == "User"
    update = VMImage(label="relabelled", description="new")
    update.os_disk_configuration = OSDiskConfiguration()
    update.os_disk_configuration.host_caching = "ReadOnly"
    wait(sms, sms.update_vm_image("myvmimage", update))
    assert {i.name: i for i in sms.list_vm_images()}["myvmimage"].label == "relabelled"
    wait(sms, sms.replicate_vm_image("myvmimage", ["West US", "East US"], "offer", "sku", "1.0.0"))
    wait(sms, sms.share_vm_image("myvmimage", "Private"))
    wait(sms, sms.unreplicate_vm_image("myvmimage"))
    with pytest.raises(AzureMissingResourceHttpError):
        sms.replicate_vm_image("nosuchimage", ["West US"], "o", "s", "1")
    wait(sms, sms.delete_vm_image("myvmimage", delete_vhd=True))
    assert "myvmimage" not in {i.name for i in sms.list_vm_images()}

    vm(sms, "capsvc")
    options = CaptureRoleAsVMImage("Specialized", "captured", "captured image", "from a role")
    wait(sms, sms.capture_vm_image("capsvc", "capsvc", "vm1", options))
    captured = {i.name: i for i in sms.list_vm_images()}["captured"]
    assert (captured.role_name, captured.os_disk_configuration.os_state) == ("vm1", "Specialized")
    with pytest.raises(AzureConflictHttpError):
        sms.capture_vm_image("capsvc", "capsvc", "vm1", options)


def test_update_role_and_capture_role(sms: ServiceManagementService) -> None:
    vm(sms, "rolesvc")
    wait(
        sms,
        sms.update_role(
            "rolesvc", "rolesvc", "vm1", network_config=network(("web", "80")), role_size="Medium"
        ),
    )
    role = sms.get_role("rolesvc", "rolesvc", "vm1")
    assert role.role_size == "Medium"
    assert [(e.name, e.port) for e in role.configuration_sets[0].input_endpoints] == [("web", "80")]
    wait(sms, sms.capture_role("rolesvc", "rolesvc", "vm1", "Delete", "capturedos", "captured os"))
    assert sms.get_os_image("capturedos").category == "User"
    with pytest.raises(AzureMissingResourceHttpError):  # the last VM went, and its deployment with it
        sms.get_deployment_by_name("rolesvc", "rolesvc")


def test_start_and_shutdown_roles(sms: ServiceManagementService) -> None:
    vm(sms, "multivm")
    linux = LinuxConfigurationSet("host2", "azureuser", "S3cret-Passw0rd!", True)
    wait(
        sms,
        sms.add_role("multivm", "multivm", "vm2", linux, OSVirtualHardDisk(IMAGE, f"{VHDS}/multivm-vm2.vhd")),
    )
    wait(sms, sms.shutdown_roles("multivm", "multivm", ["vm1", "vm2"], "StoppedDeallocated"))
    states = {
        i.instance_name: i.instance_status
        for i in sms.get_deployment_by_name("multivm", "multivm").role_instance_list
    }
    assert states == {"vm1": "StoppedDeallocated", "vm2": "StoppedDeallocated"}
    wait(sms, sms.start_roles("multivm", "multivm", ["vm1", "vm2"]))
    states = {
        i.instance_name: i.instance_status
        for i in sms.get_deployment_by_name("multivm", "multivm").role_instance_list
    }
    assert states == {"vm1": "ReadyRole", "vm2": "ReadyRole"}
    with pytest.raises(AzureMissingResourceHttpError):
        sms.start_roles("multivm", "multivm", ["vm9"])


def test_admin_api_refuses_requests_without_the_token(emulator: Emulator) -> None:
    ep = emulator.endpoint
    plain = requests.Session()
    plain.trust_env, plain.verify = False, ep["ca_cert"]
    got = plain.get(ep["admin_url"] + "state")
    assert got.status_code == 401 and "primary" not in got.text  # no storage keys leak
    plain.close()


def test_delete_role_instances_of_a_vm_deployment(sms: ServiceManagementService) -> None:
    vm(sms, "vmdel")
    linux = LinuxConfigurationSet("host2", "azureuser", "S3cret-Passw0rd!", True)
    wait(sms, sms.add_role("vmdel", "vmdel", "vm2", linux, OSVirtualHardDisk(IMAGE, f"{VHDS}/vmdel-vm2.vhd")))
    wait(sms, sms.delete_role_instances("vmdel", "vmdel", ["vm2"]))
    dep = sms.get_deployment_by_name("vmdel", "vmdel")
    assert [r.role_name for r in dep.role_list] == ["vm1"] and len(dep.role_instance_list) == 1
    with pytest.raises(AzureHttpError) as info:
        sms.delete_role_instances("vmdel", "vmdel", ["vm1"])
    assert info.value.status_code == 400


def test_update_calls_and_key_regeneration(sms: ServiceManagementService) -> None:
    wait(sms, sms.create_storage_account("updacct", "before", "updacct", location="West US"))
    sms.update_storage_account("updacct", description="after", account_type="Standard_LRS")
    props = sms.get_storage_account_properties("updacct").storage_service_properties
    assert (props.description, props.account_type) == ("after", "Standard_LRS")
    before = sms.get_storage_account_keys("updacct").storage_service_keys.primary
    after = sms.regenerate_storage_account_keys("updacct", "Primary").storage_service_keys
    assert (
        after.primary != before
        and sms.get_storage_account_keys("updacct").storage_service_keys.primary == after.primary
    )
    sms.create_affinity_group("updgroup", "updgroup", "West US")
    sms.update_affinity_group("updgroup", "relabelled", "described")
    group = sms.get_affinity_group_properties("updgroup")
    assert (group.label, group.description) == ("relabelled", "described")
    sms.add_os_image("updimage", f"{VHDS}/updimage.vhd", "updimage", "Linux")
    from azure.servicemanagement import OSImage

    ref = OSImage()
    ref.label, ref.description = "new label", "new description"
    sms.update_os_image_from_image_reference("updimage", ref)
    image = sms.get_os_image("updimage")
    assert (image.label, image.description) == ("new label", "new description")
    details = sms.get_os_image_details("updimage")
    assert details.name == "updimage"

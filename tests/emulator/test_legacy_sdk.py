"""The Azure tutorial (shared/seed) run with the real old client, azure-servicemanagement-legacy 0.20.8,
against the emulator: the independent proof that the emulator speaks the protocol a real client expects.

Each test is one section of the tutorial, with the tutorial's own calls and the values it prints
(``'Location: ' + ...`` concatenations must work, so string fields must be strings).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

pytest.importorskip("airflow_sm_provider.emulator.service", reason="service logic not present yet")
from azure.common import AzureHttpError, AzureMissingResourceHttpError
from azure.servicemanagement import (
    LinuxConfigurationSet,
    OSVirtualHardDisk,
    ServiceManagementService,
)
from legacy_helpers import legacy_wait

from airflow_sm_provider.emulator import Emulator
from airflow_sm_provider.emulator.certs import mint_client_certificate
from airflow_sm_provider.emulator.sessions import legacy_session

PACKAGE_URL = "https://mystorage.blob.core.windows.net/packages/app.cspkg"
TUTORIAL_IMAGE = "OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd"


def cscfg(instances: int = 2, health: str = "healthy") -> str:
    """A service configuration, base64-encoded as the tutorial does. On Python 3 ``b64encode`` returns
    bytes, which the old SDK would send as ``b'...'`` (the service answers 400 "not a valid base64
    string"), so the tutorial's line needs a ``.decode()``."""
    xml = (
        '<ServiceConfiguration serviceName="myhostedservice" osFamily="4" osVersion="*" '
        'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
        f'<Role name="WebRole1"><Instances count="{instances}"/><ConfigurationSettings>'
        f'<Setting name="Emulator.Health" value="{health}"/></ConfigurationSettings></Role>'
        "</ServiceConfiguration>"
    )
    return base64.b64encode(xml.encode()).decode()


# ``emulator`` and ``sms`` (the old SDK over a trust_env=False session with the CA and client PEM,
# asm-wire.md 5.5 (a)) are in conftest.py.
wait = legacy_wait


def test_list_locations(sms: ServiceManagementService) -> None:
    names = [location.name for location in sms.list_locations()]
    assert "West US" in names


def test_hosted_service_create_list_get_delete(sms: ServiceManagementService) -> None:
    sms.create_hosted_service("myhostedservice", "myhostedservice", "my hosted service", "West US")
    services = {s.service_name: s for s in sms.list_hosted_services()}
    listed = services["myhostedservice"]
    line = "Affinity group: " + listed.hosted_service_properties.affinity_group
    assert line == "Affinity group: "
    assert listed.hosted_service_properties.location == "West US"
    got = sms.get_hosted_service_properties("myhostedservice")
    assert got.service_name == "myhostedservice"
    assert got.url.endswith("/services/hostedservices/myhostedservice")
    assert got.hosted_service_properties.label == "myhostedservice"
    assert got.hosted_service_properties.description == "my hosted service"
    sms.delete_hosted_service("myhostedservice")
    assert "myhostedservice" not in {s.service_name for s in sms.list_hosted_services()}
    with pytest.raises(AzureMissingResourceHttpError, match="ResourceNotFound"):
        sms.get_hosted_service_properties("myhostedservice")


def test_deployment_walkthrough(sms: ServiceManagementService) -> None:
    name = "mydeployedservice"
    sms.create_hosted_service(name, name, "deployments", "West US")
    result = sms.create_deployment(name, "production", "v1", PACKAGE_URL, name, cscfg(2))
    assert sms.get_operation_status(result.request_id).status in ("InProgress", "Succeeded")
    wait(sms, result)

    dep = sms.get_deployment_by_slot(name, "production")
    assert (dep.name, dep.deployment_slot) == ("v1", "Production")
    assert dep.private_id and dep.status == "Suspended"  # start_deployment=False, the tutorial's default
    assert len(dep.role_instance_list) == 2
    for instance in dep.role_instance_list:
        assert isinstance("Instance status: " + instance.instance_status, str) and instance.instance_name
    assert sms.get_deployment_by_name(name, "v1").private_id == dep.private_id

    wait(sms, sms.change_deployment_configuration(name, "v1", cscfg(3)))
    assert len(sms.get_deployment_by_name(name, "v1").role_instance_list) == 3

    wait(sms, sms.update_deployment_status(name, "v1", "Running"))
    assert sms.get_deployment_by_name(name, "v1").status in ("Running", "RunningTransitioning")
    wait(sms, sms.update_deployment_status(name, "v1", "Suspended"))
    assert sms.get_deployment_by_name(name, "v1").status == "Suspended"

    wait(sms, sms.create_deployment(name, "staging", "v2", PACKAGE_URL, "v2", cscfg(1)))
    wait(sms, sms.swap_deployment(name, "v1", "v2"))
    assert sms.get_deployment_by_slot(name, "production").name == "v2"
    assert sms.get_deployment_by_slot(name, "staging").name == "v1"

    wait(sms, sms.delete_deployment(name, "v1"))
    wait(sms, sms.delete_deployment(name, "v2"))
    with pytest.raises(AzureMissingResourceHttpError):
        sms.get_deployment_by_slot(name, "production")
    sms.delete_hosted_service(name)


def test_storage_account_create_list_delete(sms: ServiceManagementService) -> None:
    result = sms.create_storage_account(
        "mystorageaccount", "My storage account description.", "mystorageaccount", location="West US"
    )
    assert sms.get_operation_status(result.request_id).status in ("InProgress", "Succeeded")
    wait(sms, result)
    accounts = {a.service_name: a for a in sms.list_storage_accounts()}
    props = accounts["mystorageaccount"].storage_service_properties
    assert "Location: " + props.location == "Location: West US"
    assert props.affinity_group == ""
    sms.delete_storage_account("mystorageaccount")
    assert "mystorageaccount" not in {a.service_name for a in sms.list_storage_accounts()}


def test_affinity_group_create_list_delete(sms: ServiceManagementService) -> None:
    sms.create_affinity_group("myAffinityGroup", "myAffinityGroup", "West US", "my affinity group")
    groups = {g.name: g for g in sms.list_affinity_groups()}
    group = groups["myAffinityGroup"]
    assert (group.description, group.location, group.label) == (
        "my affinity group",
        "West US",
        "myAffinityGroup",
    )
    sms.delete_affinity_group("myAffinityGroup")
    assert "myAffinityGroup" not in {g.name for g in sms.list_affinity_groups()}


def test_operating_systems_and_families(sms: ServiceManagementService) -> None:
    systems = sms.list_operating_systems()
    assert systems
    for os in systems:
        assert ("OS: " + os.label) and ("Family: " + os.family_label) and isinstance(os.is_active, bool)
    families = sms.list_operating_system_families()
    assert families and all(family.label for family in families)
    active = [os for family in families for os in family.operating_systems if os.is_active]
    assert active and all("Version: " + os.version != "Version: " for os in active)


def test_os_image_add_list_delete(sms: ServiceManagementService) -> None:
    media = "https://mystorage.blob.core.windows.net/vhds/centos.vhd"
    result = sms.add_os_image("mycentos", media, "mycentos", "Linux")
    assert sms.get_operation_status(result.request_id).status == "Succeeded"
    images = {i.name: i for i in sms.list_os_images()}
    image = images["mycentos"]
    assert (image.label, image.os, image.media_link) == ("mycentos", "Linux", media)
    for field in ("category", "description", "location", "affinity_group"):
        assert isinstance(getattr(image, field), str)
    assert sms.get_os_image("mycentos").name == "mycentos"
    deleted = sms.delete_os_image("mycentos")
    assert sms.get_operation_status(deleted.request_id).status == "Succeeded"
    assert "mycentos" not in {i.name for i in sms.list_os_images()}


def test_virtual_machine_create_and_delete(sms: ServiceManagementService) -> None:
    sms.create_hosted_service(service_name="myvm", label="myvm", location="West US")
    assert TUTORIAL_IMAGE in {i.name for i in sms.list_os_images()}
    linux_config = LinuxConfigurationSet("myhostname", "myuser", "mypassword", True)
    os_hd = OSVirtualHardDisk(TUTORIAL_IMAGE, "https://mystorage.blob.core.windows.net/vhds/myvm.vhd")
    result = sms.create_virtual_machine_deployment(
        service_name="myvm",
        deployment_name="myvm",
        deployment_slot="production",
        label="myvm",
        role_name="myvm",
        system_config=linux_config,
        os_virtual_hard_disk=os_hd,
        role_size="Small",
    )
    wait(sms, result)
    dep = sms.get_deployment_by_name("myvm", "myvm")
    assert [role.role_name for role in dep.role_list] == ["myvm"]
    role = sms.get_role("myvm", "myvm", "myvm")
    assert role.role_size == "Small" and role.os_virtual_hard_disk.source_image_name == TUTORIAL_IMAGE
    wait(sms, sms.delete_deployment(service_name="myvm", deployment_name="myvm"))
    sms.delete_hosted_service(service_name="myvm")
    assert "myvm" not in {s.service_name for s in sms.list_hosted_services()}


def test_failed_operation_reaches_the_legacy_failure_path(
    emulator: Emulator, sms: ServiceManagementService
) -> None:
    sms.create_hosted_service("failing", "failing", "x", "West US")
    emulator.add_faults({"action": "fail_operation", "operation": "create_deployment", "count": 1})
    result = sms.create_deployment("failing", "production", "v1", PACKAGE_URL, "v1", cscfg(1))
    op = sms.wait_for_operation_status(
        result.request_id, timeout=60, sleep_interval=0.02, progress_callback=None, failure_callback=None
    )
    assert op.status == "Failed" and op.error.code == "InternalError"
    emulator.clear_faults()


def test_unregistered_certificate_is_403_for_the_legacy_client(emulator: Emulator, tmp_path: Path) -> None:
    ep = emulator.endpoint
    session = legacy_session(ep)
    session.cert = str(mint_client_certificate().write(tmp_path))
    sms = ServiceManagementService(ep["subscription_id"], host=ep["host"], request_session=session)
    with pytest.raises(AzureHttpError) as info:
        sms.list_locations()
    assert info.value.status_code == 403 and "<Code>ForbiddenError</Code>" in str(info.value)
    session.close()


def test_requests_ca_bundle_variant(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """asm-wire.md 5.5 (b): REQUESTS_CA_BUNDLE pointing at the emulator CA plus ``cert_file``."""
    ep = emulator.endpoint
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ep["ca_cert"])
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    sms = ServiceManagementService(ep["subscription_id"], ep["client_pem"], host=ep["host"])
    assert "West US" in [location.name for location in sms.list_locations()]


def test_concurrent_clients_on_the_session_fixture(asm_emulator: Emulator) -> None:
    """Many keep-alive clients at once through the shared ``asm_emulator`` fixture (ServiceApp is
    called from many server threads at the same time)."""
    from concurrent.futures import ThreadPoolExecutor

    ep = asm_emulator.endpoint

    def work(i: int) -> str:
        session = legacy_session(ep)
        try:
            sms = ServiceManagementService(ep["subscription_id"], host=ep["host"], request_session=session)
            sms.create_hosted_service(f"conc{i}", f"conc{i}", "concurrent", "West US")
            for _ in range(3):
                assert sms.get_subscription().subscription_id == ep["subscription_id"]
            return sms.get_hosted_service_properties(f"conc{i}").service_name
        finally:
            session.close()

    with ThreadPoolExecutor(20) as pool:
        names = list(pool.map(work, range(40)))
    assert names == [f"conc{i}" for i in range(40)]

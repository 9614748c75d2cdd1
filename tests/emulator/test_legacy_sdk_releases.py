"""Release operations driven by the real old client (azure-servicemanagement-legacy 0.20.8) over mTLS:
in-place upgrades by upgrade domain, rollback, role-instance operations, service certificates.

Each test checks what the old client parsed AND the state it left (Get Deployment through the same
client), so both the wire shapes and the state rules are proven against an independent client.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from azure.common import AzureConflictHttpError, AzureHttpError, AzureMissingResourceHttpError
from azure.servicemanagement import ServiceManagementService
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from legacy_helpers import legacy_wait

from airflow_sm_provider.emulator import Emulator
from airflow_sm_provider.emulator.certs import mint_client_certificate
from airflow_sm_provider.emulator.sessions import legacy_session

PACKAGE_URL = "https://mystorage.blob.core.windows.net/packages/app.cspkg"
PACKAGE_V2 = "https://mystorage.blob.core.windows.net/packages/app-v2.cspkg"


def cscfg(instances: int = 3, *, domains: int = 3, extra: str = "", certificate: str | None = None) -> str:
    cert = (
        f'<Certificates><Certificate name="ssl" thumbprint="{certificate}" thumbprintAlgorithm="sha1"/>'
        "</Certificates>"
        if certificate
        else ""
    )
    xml = (
        '<ServiceConfiguration serviceName="svc" osFamily="4" osVersion="*" '
        'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
        f'<Role name="WebRole1"><Instances count="{instances}"/><ConfigurationSettings>'
        f'<Setting name="Emulator.UpgradeDomainCount" value="{domains}"/>{extra}'
        f"</ConfigurationSettings>{cert}</Role></ServiceConfiguration>"
    )
    return base64.b64encode(xml.encode()).decode()


wait = legacy_wait


def settle(sms: ServiceManagementService, service: str, name: str = "v1") -> Any:
    """Get Deployment until every instance is ReadyRole (instances finish after their operation)."""
    for _ in range(500):
        dep = sms.get_deployment_by_name(service, name)
        if dep.role_instance_list and all(i.instance_status == "ReadyRole" for i in dep.role_instance_list):
            return dep
        time.sleep(0.01)
    raise AssertionError([i.instance_status for i in dep.role_instance_list])


def running_service(sms: ServiceManagementService, name: str, instances: int = 3) -> None:
    sms.create_hosted_service(name, name, "release tests", "West US")
    result = sms.create_deployment(name, "production", "v1", PACKAGE_URL, "v1", cscfg(instances), True)
    wait(sms, result)
    settle(sms, name)


def test_manual_upgrade_walk_and_status(sms: ServiceManagementService) -> None:
    running_service(sms, "upgrademanual")
    dep = sms.get_deployment_by_name("upgrademanual", "v1")
    assert dep.upgrade_domain_count == "3"
    assert sorted(i.instance_upgrade_domain for i in dep.role_instance_list) == [0, 1, 2]
    assert dep.upgrade_status is None  # no UpgradeStatus outside an upgrade

    wait(sms, sms.upgrade_deployment("upgrademanual", "v1", "Manual", PACKAGE_V2, cscfg(), "v2", False))
    dep = sms.get_deployment_by_name("upgrademanual", "v1")
    status = dep.upgrade_status
    assert (status.upgrade_type, status.current_upgrade_domain, status.current_upgrade_domain_state) == (
        "Manual",
        "0",
        "Before",
    )
    assert dep.rollback_allowed is True and dep.label == "v2" and dep.locked is False
    for domain in range(3):
        wait(sms, sms.walk_upgrade_domain("upgrademanual", "v1", domain))
        if domain < 2:
            assert sms.get_deployment_by_name(
                "upgrademanual", "v1"
            ).upgrade_status.current_upgrade_domain == str(domain + 1)
    dep = settle(sms, "upgrademanual")
    assert dep.upgrade_status is None and dep.rollback_allowed is False


def test_walk_out_of_order_and_without_upgrade_are_refused(sms: ServiceManagementService) -> None:
    running_service(sms, "upgraderules")
    with pytest.raises(AzureHttpError) as info:
        sms.walk_upgrade_domain("upgraderules", "v1", 0)
    assert info.value.status_code == 400
    wait(sms, sms.upgrade_deployment("upgraderules", "v1", "Manual", PACKAGE_V2, cscfg(), "v2", True))
    with pytest.raises(AzureHttpError) as info:
        sms.walk_upgrade_domain("upgraderules", "v1", 2)
    assert info.value.status_code == 400
    with pytest.raises(AzureConflictHttpError):
        sms.change_deployment_configuration("upgraderules", "v1", cscfg())
    with pytest.raises(AzureMissingResourceHttpError):
        sms.walk_upgrade_domain("upgraderules", "nope", 0)


def test_auto_upgrade_with_role_to_upgrade(sms: ServiceManagementService) -> None:
    running_service(sms, "upgradeauto")
    result = sms.upgrade_deployment(
        "upgradeauto", "v1", "Auto", PACKAGE_V2, cscfg(), "v2", False, role_to_upgrade="WebRole1"
    )
    dep = sms.get_deployment_by_name("upgradeauto", "v1")
    assert dep.locked is True and dep.upgrade_status.upgrade_type == "Auto"
    wait(sms, result)
    assert settle(sms, "upgradeauto").upgrade_status is None


def test_rollback_after_a_bad_domain(sms: ServiceManagementService, emulator: Emulator) -> None:
    running_service(sms, "upgradebad")
    bad = cscfg(extra='<Setting name="Emulator.UpgradeDomain.1.Health" value="unhealthy"/>')
    wait(sms, sms.upgrade_deployment("upgradebad", "v1", "Manual", PACKAGE_V2, bad, "v2", False))
    wait(sms, sms.walk_upgrade_domain("upgradebad", "v1", 0))
    wait(sms, sms.walk_upgrade_domain("upgradebad", "v1", 1))
    settle(sms, "upgradebad")
    session = legacy_session(emulator.endpoint)
    app = f"https://{emulator.endpoint['host']}/cloudapp/upgradebad/health"
    assert session.get(app).status_code == 503
    wait(sms, sms.rollback_update_or_upgrade("upgradebad", "v1", "Auto", False))
    dep = settle(sms, "upgradebad")
    assert dep.label == "v1" and dep.upgrade_status is None and dep.rollback_allowed is False
    assert session.get(app).status_code == 200
    with pytest.raises(AzureHttpError) as info:
        sms.rollback_update_or_upgrade("upgradebad", "v1", "Auto", False)
    assert info.value.status_code == 400
    session.close()


def test_reboot_reimage_rebuild_role_instance(sms: ServiceManagementService) -> None:
    running_service(sms, "instanceops", instances=2)
    for call in (sms.reboot_role_instance, sms.reimage_role_instance, sms.rebuild_role_instance):
        result = call("instanceops", "v1", "WebRole1_IN_0")
        states = {
            i.instance_name: i.instance_status
            for i in sms.get_deployment_by_name("instanceops", "v1").role_instance_list
        }
        assert states["WebRole1_IN_1"] == "ReadyRole" and states["WebRole1_IN_0"] != "ReadyRole"
        wait(sms, result)
        settle(sms, "instanceops")
    with pytest.raises(AzureMissingResourceHttpError):
        sms.reboot_role_instance("instanceops", "v1", "WebRole1_IN_9")


def test_delete_role_instances_shrinks_the_configuration(sms: ServiceManagementService) -> None:
    running_service(sms, "instancedel", instances=3)
    wait(sms, sms.delete_role_instances("instancedel", "v1", ["WebRole1_IN_2"]))
    dep = settle(sms, "instancedel")
    assert [i.instance_name for i in dep.role_instance_list] == ["WebRole1_IN_0", "WebRole1_IN_1"]
    assert '<Instances count="2"' in dep.configuration
    with pytest.raises(AzureHttpError) as info:  # the last instances of a role cannot all go
        sms.delete_role_instances("instancedel", "v1", ["WebRole1_IN_0", "WebRole1_IN_1"])
    assert info.value.status_code == 400
    with pytest.raises(AzureMissingResourceHttpError):
        sms.delete_role_instances("instancedel", "v1", ["WebRole1_IN_7"])


def _pfx(password: bytes) -> tuple[str, str]:
    minted = mint_client_certificate(common_name="www.contoso.example")
    key = serialization.load_pem_private_key(minted.key_pem, None)
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(minted.cert_pem)
    data = pkcs12.serialize_key_and_certificates(
        b"ssl",
        key,  # type: ignore[arg-type]
        cert,
        None,
        serialization.BestAvailableEncryption(password),
    )
    return base64.b64encode(data).decode(), minted.thumbprint


def test_service_certificates_add_list_get_delete(sms: ServiceManagementService) -> None:
    sms.create_hosted_service("certsvc", "certsvc", "certificates", "West US")
    data, thumb = _pfx(b"s3cret")
    with pytest.raises(AzureHttpError) as info:  # the .cscfg names a certificate not uploaded yet
        sms.create_deployment("certsvc", "production", "v1", PACKAGE_URL, "v1", cscfg(1, certificate=thumb))
    assert info.value.status_code == 400 and thumb in str(info.value)
    wait(sms, sms.add_service_certificate("certsvc", data, "pfx", "s3cret"))
    wait(sms, sms.add_service_certificate("certsvc", data, "pfx", "s3cret"))  # again: no change
    listed = sms.list_service_certificates("certsvc")
    assert [(c.thumbprint, c.thumbprint_algorithm) for c in listed] == [(thumb, "sha1")]
    assert listed[0].certificate_url.endswith(f"/services/hostedservices/certsvc/certificates/sha1-{thumb}")
    got = sms.get_service_certificate("certsvc", "sha1", thumb)
    assert got.thumbprint == thumb and base64.b64decode(got.data)  # the public DER only
    wait(
        sms,
        sms.create_deployment("certsvc", "production", "v1", PACKAGE_URL, "v1", cscfg(1, certificate=thumb)),
    )
    with pytest.raises(AzureHttpError) as info:
        sms.add_service_certificate("certsvc", data, "pfx", "wrong")
    assert info.value.status_code == 400
    wait(sms, sms.delete_service_certificate("certsvc", "sha1", thumb))
    assert len(sms.list_service_certificates("certsvc")) == 0
    with pytest.raises(AzureMissingResourceHttpError):
        sms.get_service_certificate("certsvc", "sha1", thumb)
    with pytest.raises(AzureMissingResourceHttpError):
        sms.list_service_certificates("nocertsvc")


def test_run_time_health_of_one_upgrade_domain(sms: ServiceManagementService, emulator: Emulator) -> None:
    running_service(sms, "rthealth")
    session = legacy_session(emulator.endpoint)
    app = f"https://{emulator.endpoint['host']}/cloudapp/rthealth/api/ready"
    assert session.get(app).status_code == 200
    emulator.set_health("rthealth", "unhealthy", upgrade_domain=2, path="api/ready")
    assert session.get(app).status_code == 503
    assert session.get(f"https://{emulator.endpoint['host']}/cloudapp/rthealth/health").status_code == 200
    emulator.set_health("rthealth", None, upgrade_domain=2, path="api/ready")
    assert session.get(app).status_code == 200
    session.close()

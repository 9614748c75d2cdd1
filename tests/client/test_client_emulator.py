"""The client against the real emulator over mutual TLS: every method, error mapping, reconcile."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_sm_provider.client import (
    AsyncServiceManagementClient,
    AuthenticationError,
    ConfigurationSet,
    ConfigurationSetInputEndpoint,
    ConflictError,
    LinuxConfigurationSet,
    NotFoundError,
    OperationFailedError,
    OSVirtualHardDisk,
    ServiceManagementClient,
)

_ids = itertools.count()
CFG = (
    '<ServiceConfiguration serviceName="{svc}" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
    'ServiceConfiguration"><Role name="WebRole1"><Instances count="1"/></Role></ServiceConfiguration>'
)
PKG = "https://account.blob.core.windows.net/packages/app.cspkg"
FAST = {"timeout": 120, "poll_interval": 0.05}


def uniq(prefix: str) -> str:
    return f"{prefix}{next(_ids)}x{id(_ids) % 997}"


@pytest.fixture
def emu(asm_emulator: Any) -> Iterator[Any]:
    yield asm_emulator
    asm_emulator.clear_faults()


@pytest.fixture
def sms(emu: Any) -> Iterator[ServiceManagementClient]:
    with ServiceManagementClient.from_endpoint(emu.endpoint) as client:
        yield client


def make_service(sms: ServiceManagementClient, label: str = "lbl") -> str:
    name = uniq("svc")
    sms.create_hosted_service(name, label, "desc", "West US").wait(**FAST)
    return name


def test_catalogue_and_subscription(sms: ServiceManagementClient, emu: Any) -> None:
    sub = sms.get_subscription()
    assert sub.subscription_id == emu.endpoint["subscription_id"] and sub.max_core_count > 0
    assert "West US" in [loc.name for loc in sms.list_locations()]
    assert all(isinstance(o.is_active, bool) for o in sms.list_operating_systems())
    families = sms.list_operating_system_families()
    assert families and families[0].operating_systems
    images = sms.list_os_images()
    assert images and sms.get_os_image(images[0].name).name == images[0].name


def test_hosted_service_lifecycle(sms: ServiceManagementClient) -> None:
    name = uniq("svc")
    assert sms.check_hosted_service_name_availability(name).result is True
    handle = sms.create_hosted_service(name, "a & b <c>", "d & <e>", "West US", None, {"Owner": "me"})
    assert handle.request_id and handle.status_code == 201 and handle.kind == "create_hosted_service"
    assert handle.wait(**FAST).status == "Succeeded"
    taken = sms.check_hosted_service_name_availability(name)
    assert taken.result is False and isinstance(taken.reason, str) and taken.reason
    props = sms.get_hosted_service_properties(name).hosted_service_properties
    assert (props.label, props.description, props.location) == ("a & b <c>", "d & <e>", "West US")
    assert props.extended_properties["Owner"] == "me"
    assert name in [s.service_name for s in sms.list_hosted_services()]
    sms.update_hosted_service(name, "new label", extended_properties={"Team": "x"}).wait(**FAST)
    props = sms.get_hosted_service_properties(name).hosted_service_properties
    assert props.label == "new label" and props.extended_properties.get("Team") == "x"
    with pytest.raises(ConflictError) as info:
        sms.create_hosted_service(name, "l", location="West US")
    assert info.value.status_code == 409
    sms.delete_hosted_service(name).wait(**FAST)
    with pytest.raises(NotFoundError) as missing:
        sms.get_hosted_service_properties(name)
    assert missing.value.code == "ResourceNotFound" and missing.value.request_id


def test_deployment_lifecycle_and_swaps(sms: ServiceManagementClient) -> None:
    svc = make_service(sms)
    h = sms.create_deployment(svc, "staging", "v1", PKG, "v1 label", CFG.format(svc=svc))
    assert h.status_code == 202
    h.wait(**FAST)
    dep = sms.get_deployment_by_slot(svc, "staging")
    assert (dep.name, dep.deployment_slot, dep.label) == ("v1", "Staging", "v1 label")
    assert dep.configuration.startswith("<ServiceConfiguration")
    assert sms.get_deployment_by_name(svc, "v1").private_id == dep.private_id
    sms.update_deployment_status(svc, "v1", "Running").wait(**FAST)
    assert sms.get_deployment_by_name(svc, "v1").status in ("Running", "RunningTransitioning")
    new_cfg = CFG.format(svc=svc).replace('count="1"', 'count="2"')
    sms.change_deployment_configuration(svc, "v1", new_cfg).wait(**FAST)
    assert 'count="2"' in sms.get_deployment_by_name(svc, "v1").configuration
    sms.swap_deployment(svc, None, "v1").wait(**FAST)  # empty production: a move
    assert sms.get_deployment_by_slot(svc, "production").name == "v1"
    sms.create_deployment(svc, "staging", "v2", PKG, "v2", CFG.format(svc=svc), True).wait(**FAST)
    sms.swap_deployment(svc, "v1", "v2").wait(**FAST)
    assert sms.get_deployment_by_slot(svc, "Production").name == "v2"
    assert sms.get_deployment_by_slot(svc, "Staging").name == "v1"
    detail = sms.get_hosted_service_properties(svc, embed_detail=True)
    assert sorted(d.name for d in detail.deployments) == ["v1", "v2"]
    for name in ("v1", "v2"):
        sms.delete_deployment(svc, name).wait(**FAST)
    with pytest.raises(NotFoundError):
        sms.get_deployment_by_name(svc, "v1")
    sms.delete_hosted_service(svc).wait(**FAST)


def test_storage_accounts(sms: ServiceManagementClient) -> None:
    name = uniq("st")
    assert sms.check_storage_account_name_availability(name).result is True
    sms.create_storage_account(name, "desc", "storage label", location="West US").wait(**FAST)
    acct = sms.get_storage_account_properties(name)
    assert acct.storage_service_properties.label == "storage label"
    assert acct.storage_service_properties.location == "West US"
    assert len(sms.get_storage_account_keys(name).storage_service_keys.primary) > 20
    assert name in [a.service_name for a in sms.list_storage_accounts()]
    sms.delete_storage_account(name).wait(**FAST)
    with pytest.raises(NotFoundError):
        sms.get_storage_account_properties(name)


def test_affinity_groups(sms: ServiceManagementClient) -> None:
    name = uniq("ag")
    handle = sms.create_affinity_group(name, "ag label", "West US", "desc")
    assert handle.request_id is None and handle.status_code == 201
    group = sms.get_affinity_group_properties(name)
    assert (group.label, group.location, group.description) == ("ag label", "West US", "desc")
    assert name in [g.name for g in sms.list_affinity_groups()]
    sms.delete_affinity_group(name)
    with pytest.raises(NotFoundError):
        sms.get_affinity_group_properties(name)


def test_os_images(sms: ServiceManagementClient) -> None:
    name = uniq("img")
    link = f"https://account.blob.core.windows.net/vhds/{name}.vhd"
    sms.add_os_image("my image", link, name, "Linux").wait(**FAST)
    image = sms.get_os_image(name)
    assert (image.label, image.media_link, image.os) == ("my image", link, "Linux")
    sms.delete_os_image(name).wait(**FAST)
    with pytest.raises(NotFoundError):
        sms.get_os_image(name)


def test_virtual_machine(sms: ServiceManagementClient) -> None:
    svc = make_service(sms)
    image = sms.list_os_images()[0].name
    linux = LinuxConfigurationSet("myhostname", "myuser", "mypassword", True)
    net = ConfigurationSet()
    net.input_endpoints.append(ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22"))
    disk = OSVirtualHardDisk(image, f"https://account.blob.core.windows.net/vhds/{svc}.vhd")
    sms.create_virtual_machine_deployment(
        svc, svc, "production", "vm label", "vm1", linux, disk, network_config=net, role_size="Small"
    ).wait(**FAST)
    role = sms.get_role(svc, svc, "vm1")
    assert role.role_name == "vm1" and role.role_size == "Small"
    assert role.os_virtual_hard_disk is not None and role.os_virtual_hard_disk.source_image_name == image
    sms.shutdown_role(svc, svc, "vm1", "StoppedDeallocated").wait(**FAST)
    sms.start_role(svc, svc, "vm1").wait(**FAST)
    sms.restart_role(svc, svc, "vm1").wait(**FAST)
    sms.delete_deployment(svc, svc).wait(**FAST)
    sms.delete_hosted_service(svc).wait(**FAST)


def test_wrong_subscription_is_an_authentication_error(emu: Any) -> None:
    ep = emu.endpoint
    with (
        ServiceManagementClient(
            "00000000-0000-0000-0000-000000000001", ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"]
        ) as c,
        pytest.raises(AuthenticationError) as info,
    ):
        c.get_subscription()
    assert info.value.status_code == 403


def test_failed_operation_raises_with_asm_code(sms: ServiceManagementClient, emu: Any) -> None:
    svc = make_service(sms)
    emu.add_faults(
        {
            "action": "fail_operation",
            "method": "POST",
            "path": "deploymentslots",
            "count": 1,
            "error_code": "InternalError",
        }
    )
    handle = sms.create_deployment(svc, "production", "v1", PKG, "l", CFG.format(svc=svc))
    with pytest.raises(OperationFailedError) as info:
        handle.wait(**FAST)
    assert info.value.code == "InternalError" and info.value.request_id == handle.request_id


def test_ambiguous_create_is_reconciled_by_reading_state(sms: ServiceManagementClient, emu: Any) -> None:
    name = uniq("svc")
    emu.add_faults(
        {"action": "drop_after", "method": "POST", "path": "/services/hostedservices$", "count": 1}
    )
    handle = sms.create_hosted_service(name, "mine", location="West US")
    assert handle.request_id is None  # applied by the dropped request; found by reading
    assert sms.get_hosted_service_properties(name).hosted_service_properties.label == "mine"


def test_server_error_on_create_is_resent_once_when_absent(sms: ServiceManagementClient, emu: Any) -> None:
    name = uniq("svc")
    emu.add_faults({"action": "500", "method": "POST", "path": "/services/hostedservices$", "count": 1})
    handle = sms.create_hosted_service(name, "mine", location="West US")
    assert handle.request_id
    handle.wait(**FAST)
    assert sms.get_hosted_service_properties(name).service_name == name


def test_async_client_reads(sms: ServiceManagementClient, emu: Any) -> None:
    svc = make_service(sms)
    handle = sms.create_deployment(svc, "production", "v1", PKG, "l", CFG.format(svc=svc))
    ep = emu.endpoint

    async def main() -> tuple[Any, ...]:
        async with AsyncServiceManagementClient(
            ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"]
        ) as c:
            assert handle.request_id is not None
            return (
                await c.get_subscription(),
                await c.get_operation_status(handle.request_id),
                await c.get_hosted_service_properties(svc),
                await c.get_deployment_by_slot(svc, "production"),
                await c.get_deployment_by_name(svc, "v1"),
            )

    sub, op, hs, by_slot, by_name = asyncio.run(main())
    assert sub.subscription_id == ep["subscription_id"]
    assert op.id.replace("-", "") == handle.request_id
    assert hs.service_name == svc and by_slot.name == by_name.name == "v1"

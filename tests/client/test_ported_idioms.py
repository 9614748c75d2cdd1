"""Code from the wild, ported by its import line, run against the emulator over mutual TLS.

Each test writes, in our own words, what a public user of the old ``azure.servicemanagement``
(0.20.8) did -- the calls, the keyword or positional arguments, the attributes read, the
``except`` clauses -- and runs it twice on one emulator (``ported.both``): with the old SDK's
names and with ours (``from airflow_sm_provider.client import *``). Both runs must observe the
same thing; where the provider deliberately differs (docs/migrating.md, "Where behaviour
differs") the test says so.

Sources (docs/migrating.md, "Tested against code from the wild", lists the same): here
saltstack/salt ``salt/cloud/clouds/msazure.py`` (salt-cloud's azure driver), Azure/blobxfer
``blobxfer.py`` and the exception names; in ``test_ported_idioms_sdk.py``
ansible/ansible-modules-core ``cloud/azure/azure.py``, kaiyuanshe/open-hackathon
``open-hackathon-server/src/hackathon/azureformation/service.py`` / ``templateUnit.py`` and
Azure/azure-sdk-for-python ``tests/test_servicemanagementservice.py``.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import azure.common
import azure.servicemanagement
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from ported import (
    CSCFG_B64,
    LINUX_IMAGE,
    NEW,
    OLD,
    PACKAGE,
    Port,
    both,
    linux_vm_kwargs,
    renamed,
    unique,
    wait_for_async,
)
from testpki import make_cert, rsa_key

import airflow_sm_provider.client


def salt_inventory(port: Port, service_name: str) -> dict[str, Any]:
    """salt-cloud's ``list_hosted_services``: the attributes it read, service to disk."""
    conn = port.sms
    (service,) = [s for s in conn.list_hosted_services() if s.service_name == service_name]
    props = service.hosted_service_properties
    out: dict[str, Any] = {
        "props": (props.affinity_group, props.description, props.label, props.location, props.status),
        "url": service.url.endswith(f"/services/hostedservices/{service_name}"),
        "deployments": {},
    }
    detail = conn.get_hosted_service_properties(service_name=service.service_name, embed_detail=True)
    for deployment in detail.deployments.deployments:
        instances = {
            ri.role_name: (
                ri.instance_name,
                ri.instance_size,
                ri.instance_status,
                bool(ri.ip_address),
                ri.fqdn,
            )
            for ri in deployment.role_instance_list
        }
        roles = {}
        for role in deployment.role_list:
            info = conn.get_role(
                service_name=service_name, deployment_name=deployment.name, role_name=role.role_name
            )
            disk = info.os_virtual_hard_disk
            roles[role.role_name] = (
                info.role_size,
                info.role_type,
                bool(disk.disk_name),
                disk.media_link,
                disk.source_image_name,
                [cs.configuration_set_type for cs in info.configuration_sets],
            )
        out["deployments"][deployment.name] = {
            "fields": (deployment.deployment_slot, deployment.label, deployment.status, deployment.locked),
            "rollback_allowed": deployment.rollback_allowed,
            "read": (
                deployment.persistent_vm_downtime_info,
                deployment.upgrade_status,
                deployment.sdk_version,
            )
            is not None,
            "instances": instances,
            "roles": roles,
            "url": deployment.url.endswith(f"/{service_name}/"),
        }
    return out


# --- saltstack/salt salt/cloud/clouds/msazure.py -----------------------------------------------------
def test_salt_cloud_create_second_vm_list_and_destroy(ports: list[Port]) -> None:
    """create() twice in one cloud service (the second hits 409 and falls back to add_role),
    list_hosted_services(), then destroy() (delete_role, then delete_disk until it is free)."""

    def idiom(port: Port) -> Any:
        conn, sdk = port.sms, port.sdk
        service = unique("salt")
        before = port.counts()
        service_kwargs = {
            "service_name": service,
            "label": service,
            "description": service,
            "location": "West US",
        }
        conn.create_hosted_service(**service_kwargs)
        caught = []
        for role, ssh_port in ((service, 22), (service + "b", 2222)):
            try:
                conn.create_hosted_service(**service_kwargs)
            except sdk.AzureConflictHttpError:
                caught.append("service exists")
            vm_kwargs = linux_vm_kwargs(port, service, role, ssh_port)
            try:
                result = conn.create_virtual_machine_deployment(**vm_kwargs)
                wait_for_async(port, result.request_id)
            except sdk.AzureConflictHttpError:
                caught.append("deployment exists")
                del vm_kwargs["deployment_slot"], vm_kwargs["label"], vm_kwargs["virtual_network_name"]
                result = conn.add_role(**vm_kwargs)
                wait_for_async(port, result.request_id)
        inventory = salt_inventory(port, service)
        disk_names = [
            conn.get_role(service, service, r).os_virtual_hard_disk.disk_name
            for r in (service, service + "b")
        ]
        for role in (service + "b", service):  # the last role cannot go alone: delete_deployment
            try:
                result = conn.delete_role(service, service, role)
                kind = "delete_role"
            except sdk.AzureException:
                result = conn.delete_deployment(service, service)
                kind = "delete_deployment"
            wait_for_async(port, result.request_id)
            caught.append(kind)
        for disk_name in disk_names:
            while True:
                try:
                    conn.delete_disk(disk_name, False)
                    break
                except sdk.AzureConflictHttpError:
                    time.sleep(0.05)  # "Waiting for VM to be destroyed..."
        conn.delete_hosted_service(service)
        with pytest.raises(sdk.AzureMissingResourceHttpError):
            conn.get_hosted_service_properties(service)
        seen = port.seen(before)
        return (
            caught,
            renamed(inventory, service),
            {op: seen.get(op) for op in ("create_virtual_machine_deployment", "add_role", "delete_role")},
        )

    caught, inventory, seen = both(ports, idiom)
    assert caught == ["service exists"] * 2 + ["deployment exists", "delete_role", "delete_deployment"]
    # The emulator saw both create attempts (one answered 409), the add_role and both delete_roles
    # (the second answered 400: the last role of a deployment goes with the deployment).
    assert seen == {"create_virtual_machine_deployment": 2, "add_role": 1, "delete_role": 2}
    (deployment,) = inventory["deployments"].values()
    assert deployment["fields"] == ["Production", "<svc>", "Running", False]
    assert set(deployment["instances"]) == set(deployment["roles"]) == {"<svc>", "<svc>b"}
    assert deployment["roles"]["<svc>"][4] == LINUX_IMAGE


def test_salt_cloud_windows_vm_with_smb_endpoint(ports: list[Port]) -> None:
    """create() for a Windows profile: keyword WindowsConfigurationSet, domain_join / win_rm set to
    None, and the SMB port given as a string."""

    def idiom(port: Port) -> Any:
        conn, sdk = port.sms, port.sdk
        service = unique("win")
        conn.create_hosted_service(
            service_name=service, label=service, description=service, location="West US"
        )
        system_config = sdk.WindowsConfigurationSet(
            computer_name=service[:15], admin_username="azureuser", admin_password="Sup3r-secret!"
        )
        system_config.domain_join = None
        system_config.win_rm = None
        network_config = sdk.ConfigurationSet()
        network_config.configuration_set_type = "NetworkConfiguration"
        for name, port_number in (("SSH", 22), ("SMB", "445")):
            network_config.input_endpoints.input_endpoints.append(
                sdk.ConfigurationSetInputEndpoint(
                    name=name, protocol="TCP", port=port_number, local_port=port_number
                )
            )
        image = next(i.name for i in conn.list_os_images() if i.os == "Windows")
        disk = sdk.OSVirtualHardDisk(image, f"https://mystorage.blob.core.windows.net/vhds/{service}.vhd")
        result = conn.create_virtual_machine_deployment(
            service_name=service, deployment_name=service, deployment_slot="production", label=service,
            role_name=service, system_config=system_config, os_virtual_hard_disk=disk, role_size="Small",
            network_config=network_config,
        )  # fmt: skip
        wait_for_async(port, result.request_id)
        role = conn.get_role(service, service, service)
        endpoints = sorted(
            (e.name, e.protocol, e.port, e.local_port)
            for cs in role.configuration_sets
            for e in cs.input_endpoints
        )
        wait_for_async(port, conn.delete_deployment(service, service).request_id)
        conn.delete_hosted_service(service)
        return role.os_virtual_hard_disk.os, endpoints

    os_name, endpoints = both(ports, idiom)
    assert os_name == "Windows"
    assert endpoints == [("SMB", "tcp", "445", "445"), ("SSH", "tcp", "22", "22")]


def test_salt_cloud_and_blobxfer_storage_accounts(ports: list[Port]) -> None:
    """salt-cloud's create/show/update/regenerate/delete_storage (keywords, key_type "primary" in
    lower case, ``except AzureMissingResourceHttpError``); blobxfer's key and endpoint lookups."""

    def idiom(port: Port) -> Any:
        conn, sdk = port.sms, port.sdk
        name = unique("st")
        result = conn.create_storage_account(
            service_name=name, label=name, description="salt", location="West US", affinity_group=None,
            extended_properties=None, geo_replication_enabled=None, account_type="Standard_GRS",
        )  # fmt: skip
        wait_for_async(port, result.request_id)
        caught = []
        try:
            conn.create_storage_account(
                service_name=name, label=name, description="again", location="West US"
            )
        except sdk.AzureConflictHttpError:
            caught.append("conflict")
        keys = conn.get_storage_account_keys(service_name=name)  # blobxfer
        props = conn.get_storage_account_properties(service_name=name).storage_service_properties
        endpoints = (props.endpoints[0], props.endpoints[3])  # blobxfer: blob, file
        conn.update_storage_account(
            service_name=name, label="relabelled", description=None, extended_properties=None,
            geo_replication_enabled=None, account_type="Standard_GRS",
        )  # fmt: skip
        label = conn.get_storage_account_properties(name).storage_service_properties.label
        regenerated = conn.regenerate_storage_account_keys(service_name=name, key_type="primary")
        listed = [a.service_name for a in conn.list_storage_accounts().storage_services]
        conn.delete_storage_account(name)
        try:
            conn.get_storage_account_keys(name)
        except sdk.AzureMissingResourceHttpError as exc:
            caught.append(exc.status_code)
        return (
            caught,
            [e.replace(name, "<acct>") for e in endpoints],
            label,
            bool(keys.storage_service_keys.primary and keys.storage_service_keys.secondary),
            regenerated.storage_service_keys.primary != keys.storage_service_keys.primary,
            regenerated.storage_service_keys.secondary == keys.storage_service_keys.secondary,
            name in listed,
        )

    caught, endpoints, label, *flags = both(ports, idiom)
    assert caught == ["conflict", 404]
    assert endpoints == ["https://<acct>.blob.core.windows.net/", "https://<acct>.file.core.windows.net/"]
    assert label == "relabelled" and flags == [True, True, True, True]


def test_salt_cloud_failed_operation_and_its_error(ports: list[Port]) -> None:
    """salt-cloud's ``_wait_for_async`` on a Failed operation raises AzureException with the
    operation's error; its ``get_operation_status`` function reads ``hasattr(data.error, 'code')``."""

    def idiom(port: Port) -> Any:
        conn, sdk = port.sms, port.sdk
        service = unique("fail")
        conn.create_hosted_service(service, service, None, "West US", None, None)
        port.emulator.add_faults({"action": "fail_operation", "operation": "create_deployment", "count": 1})
        try:
            result = conn.create_deployment(service, "production", "v1", PACKAGE, "v1", CSCFG_B64)
            data = conn.get_operation_status(result.request_id)
            while data.status == "InProgress":
                data = conn.get_operation_status(result.request_id)
            with pytest.raises(sdk.AzureException) as raised:
                wait_for_async(port, result.request_id)
        finally:
            port.emulator.clear_faults()
        conn.delete_hosted_service(service)
        return data.status, hasattr(data.error, "code"), data.error.code, str(raised.value)

    status, has_code, code, message = both(ports, idiom)
    assert (status, has_code, code) == ("Failed", True, "InternalError")
    assert message.startswith("Operation failed. ") and message.endswith(" (InternalError)")


def test_salt_cloud_operation_status_of_a_success_has_no_error(ports: list[Port]) -> None:
    """salt-cloud's ``get_operation_status`` shows ``error`` only ``if hasattr(data.error, 'code')``,
    and the old SDK's own wait tests ``elif result.error:``: on InProgress and Succeeded the parsed
    error is None in both clients, so neither idiom takes a success for a failure."""

    def idiom(port: Port) -> Any:
        conn = port.sms
        service = unique("okop")
        result = conn.create_hosted_service(service, service, None, "West US", None, None)
        seen = []
        data = conn.get_operation_status(result.request_id)
        while True:
            seen.append((data.status, hasattr(data.error, "code"), bool(data.error)))
            if data.status != "InProgress":
                break
            time.sleep(0.02)
            data = conn.get_operation_status(result.request_id)
        conn.delete_hosted_service(service)
        return seen[-1], {s for s in seen if s[0] == "InProgress"} <= {("InProgress", False, False)}

    last, in_progress_clean = both(ports, idiom)
    assert last == ("Succeeded", False, False) and in_progress_clean


def test_salt_cloud_recognises_an_invalid_service_name(ports: list[Port]) -> None:
    """salt-cloud tells users what a valid name is when ``'The hosted service name is invalid.'
    in str(exc)``: the service says so (400); our client refuses before sending, in the same words."""

    def idiom(port: Port) -> Any:
        before = port.counts()
        try:
            port.sms.create_hosted_service(
                service_name="my_service", label="x", description="x", location="West US"
            )
        except port.sdk.AzureConflictHttpError:
            return "exists"
        except Exception as exc:
            return "The hosted service name is invalid." in str(exc), port.seen(before).get(
                "create_hosted_service"
            )
        return "created"

    old, new = (idiom(port) for port in ports)
    assert old == (True, 1)  # the old SDK sent it; the service answered 400 BadRequest
    assert new == (True, None)  # refused before any request, with the service's sentence


# --- the exception names 0.20.8 exported, and how old code raised them ------------------------------
OLD_ERROR_NAMES = {
    azure.common: (
        "AzureException",
        "AzureHttpError",
        "AzureConflictHttpError",
        "AzureMissingResourceHttpError",
    ),
    azure.servicemanagement: ("AzureHttpError", "AzureAsyncOperationHttpError"),
}


def test_exception_names_and_constructors_of_0_20_8() -> None:
    """Every error name 0.20.8 exported is ours too; the pre-1.0 ``WindowsAzure*`` names were not
    exported by 0.20.8 and are not by us (docs/migrating.md: alias them on import). Old code (and
    test doubles, e.g. blobxfer's ``AzureConflictHttpError('conflict', 409)``) built them with a
    positional status; ``AzureHttpError(message, 404)`` made the 404 subclass."""
    for module, names in OLD_ERROR_NAMES.items():
        for name in names:
            assert hasattr(module, name) and hasattr(airflow_sm_provider.client, name), name
    for old_name in ("WindowsAzureError", "WindowsAzureConflictError", "WindowsAzureMissingResourceError"):
        assert not hasattr(azure.common, old_name) and not hasattr(azure.servicemanagement, old_name)
        assert not hasattr(airflow_sm_provider.client, old_name)
    for sdk in (OLD, NEW):
        conflict = sdk.AzureConflictHttpError("conflict", 409)
        assert conflict.status_code == 409 and isinstance(conflict, sdk.AzureHttpError)
        assert isinstance(sdk.AzureHttpError("gone", 404), sdk.AzureMissingResourceHttpError)
        assert isinstance(sdk.AzureHttpError("taken", 409), sdk.AzureConflictHttpError)
        assert type(sdk.AzureHttpError("busy", 503)) is sdk.AzureHttpError
        failed = sdk.AzureAsyncOperationHttpError("failed", 500, "the operation")
        assert (failed.status_code, failed.result) == (500, "the operation")
        with pytest.raises(sdk.AzureException, match="Timed out"):  # Ansible's WindowsAzureError(...)
            raise sdk.AzureException("Timed out waiting for async operation")


def test_salt_cloud_reads_exc_message_of_a_missing_resource(ports: list[Port]) -> None:
    """salt-cloud formats ``'{0}: {1}'.format(name, exc.message)`` after ``except
    AzureMissingResourceHttpError``: a Python 2 attribute the old SDK lacks on Python 3
    (AttributeError inside the except clause); ours carries ASM's message."""
    for port in ports:
        with pytest.raises(port.sdk.AzureMissingResourceHttpError) as raised:
            port.sms.delete_storage_account(unique("gone"))
        assert raised.value.status_code == 404
        if port.sdk is OLD:
            assert not hasattr(raised.value, "message")
        else:
            line = f"gone: {raised.value.message}"
            assert len(line) > len("gone: ") and raised.value.message in str(raised.value)


def test_salt_cloud_functions_for_groups_disks_and_certificates(ports: list[Port]) -> None:
    """salt-cloud's ``-f`` functions: affinity groups (create positional, update with keywords,
    ``except AzureMissingResourceHttpError`` on delete), the wrapper lists it iterated
    (``.affinity_groups``, ``.disks``, ``.subscription_certificates``, ``.role_sizes``),
    ``add_data_disk(service, deployment, role, **volume)``, ``update_disk`` with every keyword and
    ``cleanup_unattached_disks`` (``attached_to is None``), management certificates."""
    cert = make_cert(rsa_key(2048, 8), "salt-management")
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    management_certificate = (
        base64.b64encode(spki).decode(),
        cert.fingerprint(hashes.SHA1()).hex().upper(),
        base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
    )

    def idiom(port: Port) -> Any:
        conn, sdk = port.sms, port.sdk
        group = unique("ag")
        conn.create_affinity_group(group, group, "West US", None)
        conn.update_affinity_group(affinity_group_name=group, label="relabelled", description=None)
        shown = conn.get_affinity_group_properties(affinity_group_name=group)
        listed = [g.name for g in conn.list_affinity_groups().affinity_groups]
        conn.delete_affinity_group(group)
        caught = []
        try:
            conn.delete_affinity_group(group)
        except sdk.AzureMissingResourceHttpError:
            caught.append("gone")
        public_key, thumbprint, data = management_certificate
        conn.add_management_certificate(public_key, thumbprint, data)
        try:
            conn.add_management_certificate(public_key, thumbprint, data)
        except sdk.AzureConflictHttpError:
            caught.append("exists")
        listed_certs = conn.list_management_certificates().subscription_certificates
        thumbprints = [c.subscription_certificate_thumbprint for c in listed_certs]
        certificate = conn.get_management_certificate(thumbprint)
        conn.delete_management_certificate(thumbprint)
        try:
            conn.delete_management_certificate(thumbprint)
        except sdk.AzureMissingResourceHttpError:
            caught.append("deleted")
        sizes = {size.name: size.cores for size in conn.list_role_sizes().role_sizes}
        locations = {loc.name: loc.display_name for loc in conn.list_locations()}
        images = {item.name for item in conn.list_os_images()} | {item.name for item in conn.list_vm_images()}

        service = unique("saltdd")
        conn.create_hosted_service(
            service_name=service, label=service, description=service, location="West US"
        )
        result = conn.create_virtual_machine_deployment(**linux_vm_kwargs(port, service, service, 22))
        wait_for_async(port, result.request_id)
        media_link = f"https://mystorage.blob.core.windows.net/vhds/{service}.vhd"
        volume = {"lun": 0, "logical_disk_size_in_gb": 100, "host_caching": "ReadOnly"}
        volume.update(media_link=media_link[:-4] + "-disk-0.vhd", disk_label=service + "-disk-0")
        wait_for_async(port, conn.add_data_disk(service, service, service, **volume).request_id)
        data_disk = conn.get_data_disk(service, service, service, 0)
        wait_for_async(port, conn.delete_deployment(service, service).request_id)
        conn.delete_hosted_service(service)
        freed = [d for d in conn.list_disks().disks if d.source_image_name == "" and service in d.name]
        freed += [d for d in conn.list_disks().disks if d.os == "Linux" and service in d.name]
        unattached = [d.name for d in freed if d.attached_to is None]
        os_disk = next(d for d in freed if d.os == "Linux")
        old_data = conn.get_disk(os_disk.name)
        conn.update_disk(
            disk_name=os_disk.name, has_operating_system=True, label="salt-label",
            media_link=old_data.media_link, name=old_data.name, os=old_data.os,
        )  # fmt: skip
        label = conn.get_disk(os_disk.name).label
        for disk_name in sorted(set(unattached)):
            conn.delete_disk(disk_name, False)
        return (
            (shown.label, group in listed, caught),
            (certificate.subscription_certificate_data == data, thumbprint in thumbprints),
            (sizes.get("Small"), locations.get("West US"), LINUX_IMAGE in images),
            (
                data_disk.lun,
                data_disk.logical_disk_size_in_gb,
                data_disk.host_caching,
                data_disk.disk_label == volume["disk_label"],
            ),
            (len(set(unattached)), label),
        )

    group, certificate, catalog, data_disk, disks = both(ports, idiom)
    assert group == ("relabelled", True, ["gone", "exists", "deleted"]) and certificate == (True, True)
    assert catalog == (1, "West US", True) and data_disk == (0, 100, "ReadOnly", True)
    assert disks == (2, "salt-label")

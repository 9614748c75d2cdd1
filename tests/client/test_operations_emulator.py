"""Every operation of the table against the live emulator over mutual TLS, checking the result.

One parametrised test per ``Op``: a fresh little world is made through the client under test --
a cloud service with a running two-instance deployment and, on demand, a second deployment, a VM,
a storage account, an affinity group, an OS image, a VM image, a disk, a data disk, a DNS server, a
reserved IP, a management certificate and a service certificate (both minted here with
``cryptography``) -- the operation is called with arguments taken from it, and the parsed result is
checked: a read returns its model (``EXPECT`` checks what it must say about the world), a write's
handle reaches Succeeded (``AFTER`` reads its effect back where it has one to read).

The emulator is shared by the whole session, so nothing here relies on another case having run:
every name an operation acts on is made by this case's world.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from legacy_wire import SAMPLE, sample_args
from testpki import make_cert, rsa_key

from airflow_sm_provider.client import (
    ConfigurationSet,
    ConfigurationSetInputEndpoint,
    LinuxConfigurationSet,
    OSVirtualHardDisk,
    ServiceManagementClient,
)
from airflow_sm_provider.client.handle import OperationHandle
from airflow_sm_provider.client.models_media import OSDiskConfiguration, VMImage
from airflow_sm_provider.client.operations import OPERATIONS

FAST = {"timeout": 120, "poll_interval": 0.05}
PKG = "https://account.blob.core.windows.net/packages/app.cspkg"
CFG = (
    '<ServiceConfiguration serviceName="{svc}" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
    'ServiceConfiguration"><Role name="WebRole1"><Instances count="2"/></Role></ServiceConfiguration>'
)
PFX_PASSWORD = "pfx-p4ssword"
DATA_LUN = 5
_ids = itertools.count()


def uniq(prefix: str) -> str:
    return f"{prefix}{next(_ids)}o{id(_ids) % 991}"


def vhd(prefix: str) -> str:
    return f"https://account.blob.core.windows.net/vhds/{uniq(prefix)}.vhd"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class World:
    """What an operation needs, made on first use through the client under test."""

    def __init__(self, sms: ServiceManagementClient) -> None:
        self.sms = sms
        self.request_ids: list[str] = []

    def _wait(self, handle: OperationHandle) -> None:
        if handle.request_id:
            self.request_ids.append(handle.request_id)
        assert handle.wait(**FAST).status == "Succeeded"

    # --- a cloud service and its deployments ------------------------------------------------------
    @cached_property
    def service(self) -> str:
        name = uniq("svc")
        self._wait(self.sms.create_hosted_service(name, "svc label", "desc", "West US"))
        return name

    @cached_property
    def deployment(self) -> str:
        svc = self.service
        self._wait(self.sms.create_deployment(svc, "production", "v1", PKG, "v1", CFG.format(svc=svc), True))
        return "v1"

    @cached_property
    def staging(self) -> str:
        svc, _ = self.service, self.deployment
        self._wait(self.sms.create_deployment(svc, "staging", "v2", PKG, "v2", CFG.format(svc=svc), True))
        return "v2"

    @cached_property
    def instance(self) -> str:
        dep = self.sms.get_deployment_by_name(self.service, self.deployment)
        assert len(dep.role_instance_list) == 2  # CFG asks for two: one may be deleted
        return dep.role_instance_list[0].instance_name

    @cached_property
    def dns_server(self) -> str:
        name = uniq("dns")
        self._wait(self.sms.add_dns_server(self.service, self.deployment, name, "10.0.0.4"))
        return name

    def deployment_xml(self) -> str:
        """Get Deployment as sent (the old SDK's model, hence ours, has no ``Dns`` member)."""
        svc, dep = self.service, self.deployment
        path = f"/{self.sms.subscription_id}/services/hostedservices/{svc}/deployments/{dep}"
        return self.sms.perform_get(path).body.decode()

    # --- a VM -------------------------------------------------------------------------------------
    @cached_property
    def vm_service(self) -> str:
        svc = uniq("vms")
        self._wait(self.sms.create_hosted_service(svc, "vm svc", "desc", "West US"))
        image = self.sms.list_os_images()[0].name
        linux = LinuxConfigurationSet("host1", "azureuser", "Secret-p4ss", True)
        net = ConfigurationSet()
        net.input_endpoints.append(ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22"))
        disk = OSVirtualHardDisk(image, vhd(svc))
        self._wait(
            self.sms.create_virtual_machine_deployment(
                svc, svc, "production", "vm", "vm1", linux, disk, network_config=net, role_size="Small"
            )
        )
        return svc

    @cached_property
    def data_disk_lun(self) -> int:
        svc = self.vm_service
        self._wait(
            self.sms.add_data_disk(
                svc, svc, "vm1", DATA_LUN, "ReadOnly", vhd("data"), "data disk", logical_disk_size_in_gb=10
            )
        )
        return DATA_LUN

    # --- subscription-level resources ---------------------------------------------------------------
    @cached_property
    def storage(self) -> str:
        name = uniq("st").replace("o", "0")
        self._wait(self.sms.create_storage_account(name, "desc", "st label", location="West US"))
        return name

    @cached_property
    def affinity_group(self) -> str:
        name = uniq("ag")
        self.sms.create_affinity_group(name, "ag label", "West US")
        return name

    @cached_property
    def os_image(self) -> str:
        name = uniq("img")
        self._wait(self.sms.add_os_image("img", vhd(name), name, "Linux"))
        return name

    @cached_property
    def vm_image(self) -> str:
        image = self.new_vm_image()
        self._wait(self.sms.create_vm_image(image))
        assert image.name is not None
        return image.name

    @staticmethod
    def new_vm_image(name: str | None = None) -> VMImage:
        image = VMImage(name=name or uniq("vmimg"), label="vm image", description="d")
        image.os_disk_configuration = OSDiskConfiguration(
            host_caching="ReadWrite", os_state="Generalized", os="Linux", media_link=vhd("vmimg")
        )
        return image

    @cached_property
    def disk(self) -> str:
        """A disk of the repository that no VM uses (an attached one cannot be deleted)."""
        name = uniq("disk")
        self._wait(self.sms.add_disk(True, "os disk", vhd(name), name, "Linux"))
        return name

    @cached_property
    def reserved_ip(self) -> str:
        name = uniq("rip")
        self._wait(self.sms.create_reserved_ip_address(name, "rip label", "West US"))
        return name

    @cached_property
    def associated_ip(self) -> str:
        name = self.reserved_ip
        self._wait(self.sms.associate_reserved_ip_address(name, self.service, self.deployment))
        return name

    # --- certificates, minted here ------------------------------------------------------------------
    @cached_property
    def management_certificate(self) -> tuple[str, str, str]:
        """(public key, thumbprint, data) of a new .cer: base64 SubjectPublicKeyInfo and DER, SHA-1."""
        key = rsa_key(2048, 11)
        der = make_cert(key, uniq("mgmt")).public_bytes(serialization.Encoding.DER)
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return b64(spki), hashlib.sha1(der, usedforsecurity=False).hexdigest().upper(), b64(der)

    @cached_property
    def added_management_certificate(self) -> str:
        self._wait(self.sms.add_management_certificate(*self.management_certificate))
        return self.management_certificate[1]

    @cached_property
    def pfx(self) -> tuple[str, str]:
        """(base64 .pfx holding a new key and certificate under PFX_PASSWORD, its SHA-1 thumbprint)."""
        key = rsa_key(2048, 12)
        cert = make_cert(key, uniq("svccert"))
        blob = pkcs12.serialize_key_and_certificates(
            b"svc", key, cert, None, serialization.BestAvailableEncryption(PFX_PASSWORD.encode())
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        return b64(blob), hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()

    @cached_property
    def service_certificate(self) -> str:
        self._wait(self.sms.add_service_certificate(self.service, self.pfx[0], "pfx", PFX_PASSWORD))
        return self.pfx[1]


def _vm_op(name: str) -> bool:
    params = {p.name for p in OPERATIONS[name].params}
    return "role_name" in params or "role_names" in params or name == "create_virtual_machine_deployment"


def _window() -> dict[str, str]:
    now = dt.datetime.now(dt.timezone.utc)
    return {
        "start_time": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _new_service(w: World, prefix: str) -> str:
    name = uniq(prefix)
    w._wait(w.sms.create_hosted_service(name, "vm svc", None, "West US"))
    return name


def _second_role(w: World) -> str:
    """The last role of a deployment cannot be deleted: add one to delete."""
    disk = OSVirtualHardDisk(w.sms.list_os_images()[0].name, vhd("d"))
    linux = LinuxConfigurationSet("host2", "azureuser", "Secret-p4ss", True)
    w._wait(w.sms.add_role(w.vm_service, w.vm_service, "vm2", linux, disk))
    return "vm2"


def _upgrading(w: World) -> dict[str, Any]:
    """Walk and rollback need a manual upgrade in progress."""
    w.sms.upgrade_deployment(w.service, w.deployment, "Manual", PKG, CFG.format(svc=w.service), "up", True)
    return {}


def _relabelled(name: str) -> VMImage:
    image = World.new_vm_image(name)
    image.label = "relabelled"
    return image


def _service_object(w: World) -> str:
    """The URL of a GET on the world's cloud service: what ObjectIdFilter takes."""
    return f"/{w.sms.subscription_id}/services/hostedservices/{w.service}"


#: Per operation, the arguments that must come from the world (or be new) rather than the samples.
SPECIFIC: dict[str, Callable[[World], dict[str, Any]]] = {
    "create_hosted_service": lambda w: {"service_name": uniq("new")},
    "create_storage_account": lambda w: {"service_name": uniq("nst").replace("o", "0")},
    "check_hosted_service_name_availability": lambda w: {"service_name": uniq("free")},
    "check_storage_account_name_availability": lambda w: {"service_name": uniq("free").replace("o", "0")},
    "create_affinity_group": lambda w: {"name": uniq("nag")},
    "add_os_image": lambda w: {"name": uniq("nimg"), "media_link": vhd("nimg")},
    "update_os_image": lambda w: {
        "name": w.os_image,
        "media_link": w.sms.get_os_image(w.os_image).media_link,
    },
    "create_deployment": lambda w: {"deployment_slot": "staging", "name": "v9"},
    "get_deployment_by_slot": lambda w: {"deployment_slot": "production"},
    "create_virtual_machine_deployment": lambda w: {
        "service_name": _new_service(w, "nvm"),
        "deployment_name": "vmdep",
        "os_virtual_hard_disk": OSVirtualHardDisk(w.sms.list_os_images()[0].name, vhd("d")),
        "reserved_ip_name": w.reserved_ip,
    },
    "add_role": lambda w: {
        "role_name": "vm2",
        "os_virtual_hard_disk": OSVirtualHardDisk(w.sms.list_os_images()[0].name, vhd("d")),
    },
    "delete_role": lambda w: {"role_name": _second_role(w)},
    "upgrade_deployment": lambda w: {"mode": "Manual"},
    "walk_upgrade_domain": lambda w: {"upgrade_domain": 0, **_upgrading(w)},
    "rollback_update_or_upgrade": _upgrading,
    "delete_hosted_service": lambda w: {"complete": True},
    "delete_role_instances": lambda w: {"role_instance_names": [w.instance]},
    # certificates
    "add_management_certificate": lambda w: dict(
        zip(("public_key", "thumbprint", "data"), w.management_certificate, strict=True)
    ),
    "get_management_certificate": lambda w: {"thumbprint": w.added_management_certificate},
    "delete_management_certificate": lambda w: {"thumbprint": w.added_management_certificate},
    "add_service_certificate": lambda w: {
        "data": w.pfx[0],
        "certificate_format": "pfx",
        "password": PFX_PASSWORD,
    },
    "get_service_certificate": lambda w: {"thumbalgorithm": "sha1", "thumbprint": w.service_certificate},
    "delete_service_certificate": lambda w: {"thumbalgorithm": "sha1", "thumbprint": w.service_certificate},
    # reserved IPs
    "create_reserved_ip_address": lambda w: {"name": uniq("nrip")},
    "get_reserved_ip_address": lambda w: {"name": w.reserved_ip},
    "delete_reserved_ip_address": lambda w: {"name": w.reserved_ip},
    "associate_reserved_ip_address": lambda w: {"name": w.reserved_ip, "virtual_ip_name": None},
    "disassociate_reserved_ip_address": lambda w: {"name": w.associated_ip, "virtual_ip_name": None},
    # disks and data disks
    "add_disk": lambda w: {"name": uniq("ndisk"), "media_link": vhd("ndisk")},
    "get_disk": lambda w: {"disk_name": w.disk},
    "update_disk": lambda w: {"disk_name": w.disk, "label": "relabelled"},
    "delete_disk": lambda w: {"disk_name": w.disk},
    "add_data_disk": lambda w: {"disk_name": uniq("ndata"), "media_link": vhd("ndata")},
    "get_data_disk": lambda w: {"lun": w.data_disk_lun},
    "update_data_disk": lambda w: {"lun": w.data_disk_lun, "updated_lun": DATA_LUN + 1},
    "delete_data_disk": lambda w: {"lun": w.data_disk_lun},
    # DNS servers
    "add_dns_server": lambda w: {"dns_server_name": uniq("ndns")},
    "update_dns_server": lambda w: {"dns_server_name": w.dns_server, "address": "10.0.0.9"},
    "delete_dns_server": lambda w: {"dns_server_name": w.dns_server},
    # VM images
    "create_vm_image": lambda w: {"vm_image": w.new_vm_image()},
    "update_vm_image": lambda w: {"vm_image_name": w.vm_image, "vm_image": _relabelled(w.vm_image)},
    # the subscription's operation log: the creation of the world's service, found by its object
    "list_subscription_operations": lambda w: {
        **_window(),
        "object_id_filter": _service_object(w),
        "operation_result_filter": "Succeeded",
        "continuation_token": None,
    },
}


def arguments(name: str, w: World) -> tuple[Any, ...]:
    """Arguments for ``name``: SPECIFIC, else made from the world by parameter name, else samples."""
    op = OPERATIONS[name]
    storage = op.path.startswith("/services/storageservices")
    vm = _vm_op(name)
    values: dict[str, Any] = SPECIFIC[name](w) if name in SPECIFIC else {}
    new_args, _ = sample_args(op)
    for p, default in zip(op.params, new_args):
        if p.name in values:
            continue
        if p.name == "service_name":
            values[p.name] = w.storage if storage else (w.vm_service if vm else w.service)
        elif p.name == "deployment_name":
            values[p.name] = w.vm_service if vm else w.deployment
        elif p.name == "role_name":
            values[p.name] = "vm1"
        elif p.name == "role_names":
            values[p.name] = ["vm1"]
        elif p.name == "role_instance_name":
            values[p.name] = w.instance
        elif p.name == "configuration":
            values[p.name] = CFG.format(svc=w.service)
        elif p.name == "package_url":
            values[p.name] = PKG
        elif p.name == "affinity_group_name":
            values[p.name] = w.affinity_group
        elif p.name == "image_name":
            values[p.name] = w.os_image
        elif p.name == "vm_image_name":
            values[p.name] = w.vm_image
        elif p.name == "request_id":
            _ = w.service
            values[p.name] = w.request_ids[0]
        elif p.name in ("production", "source_deployment"):
            values[p.name] = w.deployment if p.name == "production" else w.staging
        elif p.name == "role_to_upgrade":
            values[p.name] = None
        else:
            values[p.name] = default
    if "deployment_slot" in values and name != "create_deployment":
        _ = w.deployment
    return tuple(values[p.name] for p in op.params)


def _upper(text: str) -> str:
    return text.upper()


#: What a read must say about the world it was called on (beyond "parsed to the model").
EXPECT: dict[str, Callable[[World, Any], Any]] = {
    "get_management_certificate": lambda w, r: (
        _upper(r.subscription_certificate_thumbprint) == w.added_management_certificate
        and r.subscription_certificate_data == w.management_certificate[2]
    ),
    "get_service_certificate": lambda w, r: (
        _upper(r.thumbprint) == w.service_certificate and r.thumbprint_algorithm.lower() == "sha1"
    ),
    "get_reserved_ip_address": lambda w, r: (
        r.name == w.reserved_ip and r.location == "West US" and r.address and not r.in_use
    ),
    "get_data_disk": lambda w, r: r.lun == DATA_LUN and r.host_caching == "ReadOnly",
    "get_disk": lambda w, r: r.name == w.disk and r.attached_to is None,
    "list_subscription_operations": lambda w, r: (
        bool(r.subscription_operations)
        and all(
            op.operation_object_id.lower() == _service_object(w).lower() for op in r.subscription_operations
        )
        and all(op.operation_status.status == "Succeeded" for op in r.subscription_operations)
        and "CreateHostedService" in {op.operation_name for op in r.subscription_operations}
    ),
}

#: What a write must have changed, read back through the client.
AFTER: dict[str, Callable[[World, tuple[Any, ...]], Any]] = {
    "add_management_certificate": lambda w, a: (
        _upper(w.sms.get_management_certificate(a[1]).subscription_certificate_thumbprint) == a[1]
    ),
    "delete_management_certificate": lambda w, a: (
        a[0]
        not in {_upper(c.subscription_certificate_thumbprint) for c in w.sms.list_management_certificates()}
    ),
    "add_service_certificate": lambda w, a: (
        w.pfx[1] in {_upper(c.thumbprint) for c in w.sms.list_service_certificates(w.service)}
    ),
    "delete_service_certificate": lambda w, a: (
        w.pfx[1] not in {_upper(c.thumbprint) for c in w.sms.list_service_certificates(w.service)}
    ),
    "associate_reserved_ip_address": lambda w, a: (
        (ip := w.sms.get_reserved_ip_address(a[0])).in_use
        and (ip.service_name, ip.deployment_name) == (w.service, w.deployment)
    ),
    "disassociate_reserved_ip_address": lambda w, a: not w.sms.get_reserved_ip_address(a[0]).in_use,
    "create_virtual_machine_deployment": lambda w, a: (
        w.sms.get_reserved_ip_address(w.reserved_ip).service_name == a[0]
    ),
    "update_data_disk": lambda w, a: w.sms.get_data_disk(a[0], a[1], a[2], DATA_LUN + 1).lun == DATA_LUN + 1,
    "delete_data_disk": lambda w, a: (
        DATA_LUN not in {d.lun for d in w.sms.get_role(a[0], a[1], a[2]).data_virtual_hard_disks}
    ),
    "update_disk": lambda w, a: w.sms.get_disk(w.disk).label == "relabelled",
    "delete_disk": lambda w, a: w.disk not in {d.name for d in w.sms.list_disks()},
    "update_dns_server": lambda w, a: "<Address>10.0.0.9</Address>" in w.deployment_xml(),
    "delete_dns_server": lambda w, a: f"<Name>{w.dns_server}</Name>" not in w.deployment_xml(),
    "delete_role_instances": lambda w, a: (
        [i.instance_name for i in w.sms.get_deployment_by_name(w.service, w.deployment).role_instance_list]
        == [n for n in _instance_names(w) if n != w.instance]
    ),
    "update_vm_image": lambda w, a: (
        "relabelled" in {i.label for i in w.sms.list_vm_images() if i.name == w.vm_image}
    ),
}


def _instance_names(w: World) -> list[str]:
    base = w.instance.rsplit("_", 1)[0]
    return [f"{base}_0", f"{base}_1"]


@pytest.fixture
def world(asm_emulator: Any) -> Iterator[World]:
    ep = asm_emulator.endpoint
    with ServiceManagementClient(
        ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"]
    ) as sms:
        yield World(sms)
    asm_emulator.clear_faults()


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_against_the_emulator(name: str, world: World) -> None:
    op = OPERATIONS[name]
    args = arguments(name, world)
    result = getattr(world.sms, name)(*args)
    if op.returns_handle:
        assert isinstance(result, OperationHandle) and result.kind == name
        assert 200 <= result.status_code < 300
        assert result.wait(**FAST).status == "Succeeded"
        if name in AFTER:
            assert AFTER[name](world, args), f"{name} succeeded but its effect is not visible"
    elif op.many:
        assert isinstance(result, list) and all(isinstance(item, op.result) for item in result)  # type: ignore[arg-type]
    else:
        assert op.result is not None and isinstance(result, op.result)
        assert any(value not in ("", 0, False, None, [], {}) for value in vars(result).values()), (
            f"{name} parsed to an empty {op.result.__name__}"
        )
    if name in EXPECT:
        assert EXPECT[name](world, result), f"{name} parsed {result!r}, which does not match the world"


def test_the_world_overrides_name_real_operations() -> None:
    assert set(OPERATIONS) >= set(SPECIFIC) | set(EXPECT) | set(AFTER)
    assert SAMPLE  # the sample table is shared with the wire proof

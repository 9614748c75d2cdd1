"""Helpers that drive the OLD SDK (azure-servicemanagement-legacy 0.20.8) and ours without a server.

The old client's own ``with_filter`` hook captures the ``HTTPRequest`` it would send and answers
with a canned ``HTTPResponse``; ours gets a capturing ``transport=``. ``SAMPLE`` holds one sample
value per parameter name of the operation table, so every operation can be called on both.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from azure.servicemanagement import ServiceManagementService as OldService
from azure.servicemanagement import _common_models as old_common
from azure.servicemanagement import models as old_models
from azure.servicemanagement._http import HTTPResponse
from lxml import etree

from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client import models as ours
from airflow_sm_provider.client.models_compute import ResourceExtensionReference
from airflow_sm_provider.client.models_media import CaptureRoleAsVMImage, OSDiskConfiguration, VMImage
from airflow_sm_provider.client.models_network import DnsServer
from airflow_sm_provider.client.operation import Op
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse

SUB = "11111111-2222-3333-4444-555555555555"
RID = "0123456789abcdef0123456789abcdef"
CFG_XML = (
    '<ServiceConfiguration serviceName="svc1"><Role name="Web"><Instances count="2"/></Role>'
    "</ServiceConfiguration>"
)
CFG_B64 = base64.b64encode(CFG_XML.encode()).decode()


@dataclass
class Captured:
    method: str
    path: str  # as on the wire, including the subscription and the query
    body: bytes | None
    x_ms_version: str


@dataclass
class CaptureTransport:
    """Ours: records each ``ApiRequest`` and answers ``reply`` (status, body)."""

    status: int = 202
    body: bytes = b""
    request_id: str | None = RID
    sent: list[ApiRequest] = field(default_factory=list)
    host: str = "management.core.windows.net"

    def send(self, request: ApiRequest) -> ApiResponse:
        self.sent.append(request)
        status = 200 if request.method == "GET" else self.status
        body = self.body if request.method == "GET" else b""
        return ApiResponse(status, {"x-ms-request-id": self.request_id or ""}, body, self.request_id)

    def close(self) -> None:
        pass


def ours_client(
    transport: CaptureTransport | None = None,
) -> tuple[ServiceManagementClient, CaptureTransport]:
    t = transport or CaptureTransport()
    return ServiceManagementClient(SUB, transport=t), t


def old_client(body: bytes = b"", status: int = 202) -> tuple[Any, list[Any]]:
    seen: list[Any] = []

    def capture(request: Any, _next: Any) -> HTTPResponse:
        seen.append(request)
        code = 200 if request.method == "GET" else status
        return HTTPResponse(code, "OK", [("x-ms-request-id", RID)], body)

    old = OldService(SUB, request_session=object()).with_filter(capture)
    return old, seen


def old_captured(request: Any) -> Captured:
    headers = dict(request.headers)
    body = request.body or None
    return Captured(request.method, request.path, body if body else None, headers.get("x-ms-version", ""))


def ours_captured(request: ApiRequest, default_version: str = "2014-10-01") -> Captured:
    path = request.path if not request.under_subscription else f"/{SUB}{request.path}"
    return Captured(request.method, path, request.body or None, request.x_ms_version or default_version)


def canonical_path(path: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Segments (decoded, case-folded: ASM paths are case-insensitive) and the decoded query."""
    head, _, query = path.partition("?")
    segments = [unquote(s).lower() for s in head.rstrip("/").split("/")]
    pairs = [(k, unquote(v)) for k, _, v in (q.partition("=") for q in query.split("&") if q)]
    return segments, pairs


#: Elements the old SDK writes from its model defaults although the caller set nothing (its
#: serializer only skips None): an empty text, ``EnableDirectServerReturn=false``,
#: ``IdleTimeoutInMinutes=4`` (the service's own default), empty wrappers. We omit unset fields.
OLD_DEFAULTS = {("EnableDirectServerReturn", "false"), ("IdleTimeoutInMinutes", "4")}


def canonical_xml(body: bytes | str | None, *, drop_defaults: bool = False) -> Any:
    """Element tree as nested tuples (local name, stripped text, children); namespaces ignored.

    ``drop_defaults`` removes empty elements and ``OLD_DEFAULTS`` (see there) before comparing.
    """
    if not body:
        return None
    raw = body.encode() if isinstance(body, str) else body
    root = etree.fromstring(raw)

    def walk(el: Any) -> Any:
        kids = [k for k in (walk(c) for c in el if isinstance(c.tag, str)) if k is not None]
        node = (etree.QName(el).localname, (el.text or "").strip() or None, kids)
        if drop_defaults and el is not root and ((node[1] is None and not kids) or node[:2] in OLD_DEFAULTS):
            return None
        return node

    return walk(root)


def _linux() -> tuple[Any, Any]:
    new = ours.LinuxConfigurationSet("host1", "azureuser", "Secret-p4ss", True)
    old = old_models.LinuxConfigurationSet("host1", "azureuser", "Secret-p4ss", True)
    return new, old


def _network() -> tuple[Any, Any]:
    new, old = ours.ConfigurationSet(), old_models.ConfigurationSet()
    new.input_endpoints.append(ours.ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22"))
    old.input_endpoints.input_endpoints.append(
        old_models.ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22")
    )
    new.subnet_names.append("Subnet-1")
    old.subnet_names.append("Subnet-1")
    return new, old


def _os_disk() -> tuple[Any, Any]:
    link = "https://acct.blob.core.windows.net/vhds/os.vhd"
    return ours.OSVirtualHardDisk("img1", link), old_models.OSVirtualHardDisk("img1", link)


def _data_disks() -> tuple[Any, Any]:
    link = "https://acct.blob.core.windows.net/vhds/d1.vhd"
    new = ours.DataVirtualHardDisk(link, lun=1, logical_disk_size_in_gb=10)
    old = old_models.DataVirtualHardDisk()
    old.media_link, old.lun, old.logical_disk_size_in_gb = link, 1, 10
    return [new], [old]


def _extensions() -> tuple[Any, Any]:
    new = ResourceExtensionReference("ref1", "Microsoft.Compute", "BGInfo", "1.*")
    old = old_models.ResourceExtensionReference("ref1", "Microsoft.Compute", "BGInfo", "1.*")
    return [new], [old]


def _vm_image() -> tuple[Any, Any]:
    link = "https://acct.blob.core.windows.net/vhds/os.vhd"
    new = VMImage(name="vmimg1", label="vm image", description="d")
    new.os_disk_configuration = OSDiskConfiguration(
        host_caching="ReadWrite", os_state="Generalized", os="Linux", media_link=link
    )
    old = old_models.VMImage("vmimg1", "vm image", "d")
    old.os_disk_configuration = old_models.OSDiskConfiguration()
    old.os_disk_configuration.host_caching = "ReadWrite"
    old.os_disk_configuration.os_state = "Generalized"
    old.os_disk_configuration.os = "Linux"
    old.os_disk_configuration.media_link = link
    return new, old


def _capture_options() -> tuple[Any, Any]:
    new = CaptureRoleAsVMImage("Generalized", "vmimg2", "captured", "d")
    old = old_models.CaptureRoleAsVMImage("Generalized", "vmimg2", "captured", "d")
    return new, old


def _os_image() -> tuple[Any, Any]:
    new = ours.OSImage(label="image label", description="desc", eula="eula", show_in_gui=True)
    old = old_models.OSImage()
    old.label, old.description, old.eula, old.show_in_gui = "image label", "desc", "eula", True
    return new, old


def _dns() -> tuple[Any, Any]:
    old = old_models.DnsServer()
    old.name, old.address = "dns1", "10.0.0.4"
    return [DnsServer("dns1", "10.0.0.4")], [old]


#: parameter name -> (our value, the old SDK's value); plain values are the same for both.
SAMPLE: dict[str, Any] = {
    "service_name": "svc1",
    "deployment_name": "dep1",
    "deployment_slot": "staging",
    "name": "name1",
    "role_name": "vm1",
    "role_instance_name": "WebRole1_IN_0",
    "role_instance_names": ["WebRole1_IN_0", "WebRole1_IN_1"],
    "role_names": ["vm1", "vm2"],
    "label": "my label",
    "description": "my description",
    "location": "West US",
    "affinity_group": None,
    "extended_properties": {"Owner": "ops"},
    "package_url": "https://acct.blob.core.windows.net/pkg/app.cspkg",
    "configuration": CFG_B64,
    "start_deployment": True,
    "treat_warnings_as_error": False,
    "mode": "Auto",
    "force": True,
    "role_to_upgrade": "WebRole1",
    "upgrade_domain": 1,
    "status": "Running",
    "production": "dep0",
    "source_deployment": "dep1",
    "delete_vhd": True,
    "complete": True,
    "embed_detail": True,
    "request_id": RID,
    "thumbalgorithm": "sha1",
    "thumbprint": "0123456789ABCDEF0123456789ABCDEF01234567",
    "data": base64.b64encode(b"certificate bytes").decode(),
    "public_key": base64.b64encode(b"public key").decode(),
    "certificate_format": "pfx",
    "password": "pfx-password",
    "affinity_group_name": "ag1",
    "key_type": "Secondary",
    "account_type": "Standard_GRS",
    "geo_replication_enabled": None,
    "image_name": "img1",
    "media_link": "https://acct.blob.core.windows.net/vhds/img.vhd",
    "os": "Linux",
    "vm_image_name": "vmimg1",
    "regions": ["West US", "East US"],
    "offer": "offer1",
    "sku": "sku1",
    "version": "1.0.0",
    "permission": "Public",
    "disk_name": "disk1",
    "has_operating_system": True,
    "lun": 2,
    "updated_lun": 3,
    "host_caching": "ReadOnly",
    "disk_label": "data disk",
    "logical_disk_size_in_gb": 20,
    "source_media_link": "https://acct.blob.core.windows.net/vhds/src.vhd",
    "dns_server_name": "dns1",
    "address": "10.0.0.4",
    "availability_set_name": "set1",
    "role_size": "Small",
    "role_type": "PersistentVMRole",
    "virtual_network_name": "vnet1",
    "provision_guest_agent": True,
    "media_location": None,
    "reserved_ip_name": "rip1",
    "virtual_ip_name": "vip2",
    "post_shutdown_action": "StoppedDeallocated",
    "post_capture_action": "Reprovision",
    "target_image_name": "captured1",
    "target_image_label": "captured image",
    "start_time": "2015-06-30T00:00:00Z",
    "end_time": "2015-07-01T00:00:00Z",
    "object_id_filter": "/subscriptions/x/services/hostedservices/svc1",
    "operation_result_filter": "Succeeded",
    "continuation_token": "token1",
    "publisher_name": "Microsoft.Compute",
    "extension_name": "BGInfo",
    "publisher": "Canonical",
    "category": "Public",
}
PAIRED = {
    "system_config": _linux,
    "provisioning_configuration": _linux,
    "network_config": _network,
    "os_virtual_hard_disk": _os_disk,
    "data_virtual_hard_disks": _data_disks,
    "resource_extension_references": _extensions,
    "dns_servers": _dns,
    "vm_image": _vm_image,
    "options": _capture_options,
    "os_image": _os_image,
}


def sample_args(op: Op) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(our arguments, the old SDK's arguments) for ``op``."""
    new: list[Any] = []
    old: list[Any] = []
    for p in op.params:
        if p.name in PAIRED:
            a, b = PAIRED[p.name]()
        else:
            a = b = SAMPLE[p.name]
        new.append(a)
        old.append(b)
    return tuple(new), tuple(old)


# --- the old SDK's list wrappers ---------------------------------------------------------------------
def old_wrapper(obj: Any) -> tuple[str, type] | None:
    """(attribute, item class) when ``obj`` is one of the old SDK's list wrappers, else None.

    A wrapper (``HostedServices``, ``RoleList``, ...) is a model that iterates and whose fresh
    instance holds exactly one ``_list_of`` attribute (the old parser replaces it by a plain list):
    read from the old class itself, never from a list of names.
    """
    if not isinstance(obj, old_common.WindowsAzureData) or not hasattr(type(obj), "__iter__"):
        return None
    lists = [(k, v) for k, v in vars(type(obj)()).items() if isinstance(v, old_common._list_of)]
    if len(lists) != 1:
        return None
    attr, value = lists[0]
    return attr, value.list_type


def wrapper_mismatches(old: Any, ours: Any, path: str = "") -> tuple[list[str], int]:
    """Where ``ours`` does not answer to a wrapper attribute of ``old`` with the same list.

    Walks ``old`` (an old SDK result) and ``ours`` side by side: at each old wrapper, ours must be a
    real ``list`` whose wrapper attribute (``.hosted_services``) is that very list, of the same
    length; items and nested models are walked on. Returns (mismatches, wrappers checked).
    """
    out: list[str] = []
    checked = 0
    wrapper = old_wrapper(old)
    if wrapper is not None:
        attr = wrapper[0]
        checked += 1
        where = f"{path}.{attr}"
        if not isinstance(ours, list):
            return [f"{where}: ours is a {type(ours).__name__}, not a list"], checked
        if getattr(ours, attr, None) is not ours:
            return [f"{where}: ours does not answer to .{attr}"], checked
        olds = getattr(old, attr)
        if len(olds) != len(ours):
            return [f"{where}: {len(olds)} items in the old SDK, {len(ours)} in ours"], checked
        for i, (a, b) in enumerate(zip(olds, ours, strict=True)):
            more, n = wrapper_mismatches(a, b, f"{where}[{i}]")
            out += more
            checked += n
        return out, checked
    if isinstance(old, old_common.WindowsAzureData):
        for name, value in vars(old).items():
            if not name.startswith("_") and hasattr(ours, name):
                more, n = wrapper_mismatches(value, getattr(ours, name), f"{path}.{name}")
                out += more
                checked += n
    return out, checked

"""Request target -> operation kind, without executing anything.

Matching is on lower-cased path segments (the real service was case-insensitive, and the legacy SDK
mixes ``Operations``/``operations`` and ``Production``/``production``); resource names keep the
caller's spelling in ``params``. Trailing slashes are ignored, so ``/<name>/?comp=x`` and
``/<name>?comp=x`` route alike. ``/operations/isavailable/<name>`` is matched before any generic
``/operations/<id>`` (asm-wire.md 6.9). For role ``/Operations`` POSTs the kind depends on the body's
``OperationType``, which is peeked with a regex so ``route_name`` stays cheap and side-effect free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Returned for a known resource path used with the wrong verb (400 InvalidHttpVerb).
INVALID_VERB = "invalid_verb"
#: Returned for a role ``/Operations`` POST naming an operation type there is none of (400 BadRequest).
UNKNOWN_OPERATION = "unknown_operation_type"
CLOUDAPP = "cloudapp"

_OPERATION_TYPES = {
    "startroleoperation": "start_role",
    "restartroleoperation": "restart_role",
    "shutdownroleoperation": "shutdown_role",
    "startrolesoperation": "start_roles",
    "shutdownrolesoperation": "shutdown_roles",
    "captureroleoperation": "capture_role",
    "captureroleasvmimageoperation": "capture_vm_image",
}
_OPTYPE_RE = re.compile(rb"<(?:\w+:)?OperationType\s*(?:/>|>\s*(\w*)\s*<)", re.IGNORECASE)
_ROOT_RE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:\w+:)?(\w+)", re.DOTALL
)

_DEPLOYMENT_COMPS = {
    "config": "change_deployment_configuration",
    "status": "update_deployment_status",
    "upgrade": "upgrade_deployment",
    "walkupgradedomain": "walk_upgrade_domain",
    "rollback": "rollback_update_or_upgrade",
}
_INSTANCE_COMPS = {
    "reboot": "reboot_role_instance",
    "reimage": "reimage_role_instance",
    "rebuild": "rebuild_role_instance",
}


@dataclass(frozen=True)
class Route:
    kind: str
    sub: str
    params: dict[str, str] = field(default_factory=dict)


def _verb(method: str, table: dict[str, str], sub: str, params: dict[str, str]) -> Route:
    kind = table.get(method)
    return Route(kind or INVALID_VERB, sub, params)


def match(method: str, path: str, query: dict[str, str], body: bytes) -> Route | None:
    """The route for a request, or None when the path is unknown (404)."""
    segs = [s for s in path.split("/") if s]
    if not segs:
        return None
    low = [s.lower() for s in segs]
    if low == ["subscriptions"]:
        return _verb(method, {"GET": "list_subscriptions"}, "", {})
    if low[0] == CLOUDAPP:
        if len(segs) < 2:
            return None
        return Route(CLOUDAPP, "", {"dns": segs[1], "rest": "/".join(low[2:])})
    sub, rest, names = segs[0], low[1:], segs[1:]
    n = len(rest)
    if n == 0:
        return _verb(method, {"GET": "get_subscription"}, sub, {})
    head = rest[0]
    if n == 1 and head in ("locations", "operatingsystems", "operatingsystemfamilies", "rolesizes"):
        kinds = {
            "locations": "list_locations",
            "operatingsystems": "list_operating_systems",
            "operatingsystemfamilies": "list_operating_system_families",
            "rolesizes": "list_role_sizes",
        }
        return _verb(method, {"GET": kinds[head]}, sub, {})
    if head == "operations" and n == 2:
        return _verb(method, {"GET": "get_operation_status"}, sub, {"id": names[1]})
    if head == "operations" and n == 1:
        return _verb(method, {"GET": "list_subscription_operations"}, sub, {})
    if head == "certificates":
        if n == 1:
            return _verb(
                method, {"GET": "list_management_certificates", "POST": "add_management_certificate"}, sub, {}
            )
        if n == 2:
            table = {"GET": "get_management_certificate", "DELETE": "delete_management_certificate"}
            return _verb(method, table, sub, {"thumbprint": names[1]})
        return None
    if head == "affinitygroups":
        if n == 1:
            return _verb(method, {"GET": "list_affinity_groups", "POST": "create_affinity_group"}, sub, {})
        if n == 2:
            table = {
                "GET": "get_affinity_group_properties",
                "PUT": "update_affinity_group",
                "DELETE": "delete_affinity_group",
            }
            return _verb(method, table, sub, {"name": names[1]})
        return None
    if head != "services" or n < 2:
        return None
    family = rest[1]
    if family == "hostedservices":
        return _hosted(method, sub, rest[2:], names[2:], query, body)
    if family == "storageservices":
        return _storage(method, sub, rest[2:], names[2:], query)
    if family == "images":
        return _images(method, sub, rest[2:], names[2:])
    if family == "networking":
        return _networking(method, sub, rest[2:], names[2:])
    if family == "resourceextensions":
        if n == 2:
            return _verb(method, {"GET": "list_resource_extensions"}, sub, {})
        if n == 4:
            params = {"publisher": names[2], "extension": names[3]}
            return _verb(method, {"GET": "list_resource_extension_versions"}, sub, params)
        return None
    if family == "disks":
        return _disks(method, sub, rest[2:], names[2:])
    if family == "vmimages":
        if n == 2:
            return _verb(method, {"GET": "list_vm_images", "POST": "create_vm_image"}, sub, {})
        if n == 3:
            table = {"PUT": "update_vm_image", "DELETE": "delete_vm_image"}
            return _verb(method, table, sub, {"name": names[2]})
        return None
    return None


def _disks(method: str, sub: str, rest: list[str], names: list[str]) -> Route | None:
    if not rest:
        return _verb(method, {"GET": "list_disks", "POST": "add_disk"}, sub, {})
    if len(rest) == 1:
        return _verb(
            method,
            {"GET": "get_disk", "PUT": "update_disk", "DELETE": "delete_disk"},
            sub,
            {"name": names[0]},
        )
    return None


def _networking(method: str, sub: str, rest: list[str], names: list[str]) -> Route | None:
    n = len(rest)
    if n == 1 and rest[0] == "virtualnetwork":
        return _verb(method, {"GET": "list_virtual_network_sites"}, sub, {})
    if not n or rest[0] != "reservedips":
        return None
    if n == 1:
        return _verb(
            method, {"GET": "list_reserved_ip_addresses", "POST": "create_reserved_ip_address"}, sub, {}
        )
    params = {"name": names[1]}
    if n == 2:
        return _verb(
            method, {"GET": "get_reserved_ip_address", "DELETE": "delete_reserved_ip_address"}, sub, params
        )
    if n == 4 and rest[2] == "operations" and rest[3] in ("associate", "disassociate"):
        return _verb(method, {"POST": f"{rest[3]}_reserved_ip_address"}, sub, params)
    return None


def _is_available(rest: list[str], names: list[str]) -> str | None:
    if len(rest) == 3 and rest[0] == "operations" and rest[1] == "isavailable":
        return names[2]
    return None


def _hosted(  # noqa: PLR0917
    method: str, sub: str, rest: list[str], names: list[str], query: dict[str, str], body: bytes
) -> Route | None:
    n = len(rest)
    if n == 0:
        return _verb(method, {"GET": "list_hosted_services", "POST": "create_hosted_service"}, sub, {})
    available = _is_available(rest, names)
    if available is not None:
        return _verb(method, {"GET": "check_hosted_service_name_availability"}, sub, {"name": available})
    params = {"service": names[0]}
    if n == 1:
        table = {
            "GET": "get_hosted_service_properties",
            "PUT": "update_hosted_service",
            "DELETE": "delete_hosted_service",
            "POST": "swap_deployment",
        }
        return _verb(method, table, sub, params)
    if rest[1] == "certificates" and n == 2:
        return _verb(
            method, {"GET": "list_service_certificates", "POST": "add_service_certificate"}, sub, params
        )
    if rest[1] == "certificates" and n == 3:
        params["certificate"] = names[2]
        table = {"GET": "get_service_certificate", "DELETE": "delete_service_certificate"}
        return _verb(method, table, sub, params)
    if rest[1] == "deployments" and n == 2:
        return _verb(method, {"POST": "create_virtual_machine_deployment"}, sub, params)
    if rest[1] not in ("deployments", "deploymentslots") or n < 3:
        return None
    if rest[1] == "deployments":
        params["deployment"] = names[2]
    else:
        params["slot"] = names[2]
    comp = query.get("comp", "").lower()
    if n == 3:
        if method == "POST":
            if comp in _DEPLOYMENT_COMPS:
                return Route(_DEPLOYMENT_COMPS[comp], sub, params)
            if not comp and "slot" in params:
                return Route("create_deployment", sub, params)
            return Route(INVALID_VERB, sub, params)
        return _verb(method, {"GET": "get_deployment", "DELETE": "delete_deployment"}, sub, params)
    return _roles(method, sub, rest[3:], names[3:], comp, params, body)


def _roles(  # noqa: PLR0917
    method: str, sub: str, rest: list[str], names: list[str], comp: str, params: dict[str, str], body: bytes
) -> Route | None:
    n = len(rest)
    if rest[0] == "dnsservers":
        if n == 1:
            return _verb(method, {"POST": "add_dns_server"}, sub, params)
        if n == 2:
            params["dns"] = names[1]
            return _verb(method, {"PUT": "update_dns_server", "DELETE": "delete_dns_server"}, sub, params)
        return None
    if rest[0] == "roles":
        if n == 1:
            return _verb(method, {"POST": "add_role"}, sub, params)
        if n == 2 and rest[1] == "operations":
            return _verb(method, {"POST": _operation_type(body, "start_roles")}, sub, params)
        if n == 2:
            params["role"] = names[1]
            table = {"GET": "get_role", "PUT": "update_role", "DELETE": "delete_role"}
            return _verb(method, table, sub, params)
        if n in (3, 4) and rest[2] == "datadisks":
            params["role"] = names[1]
            if n == 3:
                return _verb(method, {"POST": "add_data_disk"}, sub, params)
            params["lun"] = names[3]
            table = {"GET": "get_data_disk", "PUT": "update_data_disk", "DELETE": "delete_data_disk"}
            return _verb(method, table, sub, params)
        return None
    if rest[0] == "roleinstances":
        if n == 1 and comp == "delete":
            return _verb(method, {"POST": "delete_role_instances"}, sub, params)
        if n >= 2:
            params["role"] = names[1]
        if n == 3 and rest[2] == "operations":
            return _verb(method, {"POST": _operation_type(body, "start_role")}, sub, params)
        if n == 2 and comp in _INSTANCE_COMPS:
            return _verb(method, {"POST": _INSTANCE_COMPS[comp]}, sub, params)
    return None


def _operation_type(body: bytes, default: str) -> str:
    """The kind of a role ``/Operations`` POST: its ``OperationType``, else its root element's name.

    Every documented body names its type twice (root ``<StartRoleOperation>`` and
    ``<OperationType>StartRoleOperation</OperationType>``). Microsoft's Go SDK sends Capture VM
    Image with an EMPTY ``OperationType`` (its ``virtualmachineimage.Capture`` never sets it), so
    an empty or absent one is read from the root element (docs/emulator.md). A type named but
    unknown (by either) is a 400, never another operation; only a body with no XML at all keeps
    ``default``.
    """
    head = body[:4096]
    found = _OPTYPE_RE.search(head)
    named = found.group(1) if found and found.group(1) else None
    if named is not None:
        return _OPERATION_TYPES.get(named.decode("ascii", "replace").lower(), UNKNOWN_OPERATION)
    root = _ROOT_RE.match(head)
    if root is None:
        return default
    return _OPERATION_TYPES.get(root.group(1).decode("ascii", "replace").lower(), UNKNOWN_OPERATION)


def _storage(method: str, sub: str, rest: list[str], names: list[str], query: dict[str, str]) -> Route | None:
    n = len(rest)
    if n == 0:
        return _verb(method, {"GET": "list_storage_accounts", "POST": "create_storage_account"}, sub, {})
    available = _is_available(rest, names)
    if available is not None:
        return _verb(method, {"GET": "check_storage_account_name_availability"}, sub, {"name": available})
    params = {"name": names[0]}
    if n == 1:
        table = {
            "GET": "get_storage_account_properties",
            "PUT": "update_storage_account",
            "DELETE": "delete_storage_account",
        }
        return _verb(method, table, sub, params)
    if n == 2 and rest[1] == "keys":
        if method == "POST" and query.get("action", "").lower() == "regenerate":
            return Route("regenerate_storage_account_keys", sub, params)
        return _verb(method, {"GET": "get_storage_account_keys"}, sub, params)
    return None


def _images(method: str, sub: str, rest: list[str], names: list[str]) -> Route | None:
    n = len(rest)
    if n == 0:
        return _verb(method, {"GET": "list_os_images", "POST": "add_os_image"}, sub, {})
    params = {"name": names[0]}
    if n == 1:
        table = {"GET": "get_os_image", "PUT": "update_os_image", "DELETE": "delete_os_image"}
        return _verb(method, table, sub, params)
    if n == 2 and rest[1] == "details":
        return _verb(method, {"GET": "get_os_image_details"}, sub, params)
    if n == 2 and rest[1] in ("replicate", "unreplicate", "shareasync"):
        kind = {"replicate": "replicate_vm_image", "unreplicate": "unreplicate_vm_image"}.get(
            rest[1], "share_vm_image"
        )
        return _verb(method, {"PUT": kind}, sub, params)
    return None

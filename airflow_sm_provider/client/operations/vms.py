"""Virtual machines: VM deployments, roles, role operations, captures, DNS servers, data disks
(asm-wire 4.7). The VM deployment ``Label`` is plain text on the wire (not base64)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.configsets import (
    ConfigurationSet,
    LinuxConfigurationSet,
    WindowsConfigurationSet,
)
from airflow_sm_provider.client.models import DataVirtualHardDisk, PersistentVMRole, Role
from airflow_sm_provider.client.models_network import DnsServer
from airflow_sm_provider.client.operation import REQUIRED, Op, P, State, delete, read, reads_back
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.operations import _params as common
from airflow_sm_provider.client.validation import InvalidInputError
from airflow_sm_provider.client.xmlmap import LIST, MODEL, STRLIST, F, Spec, spec_of
from airflow_sm_provider.client.xmlmodel import ListOf, xml_field, xml_model

if TYPE_CHECKING:  # the list class as mypy sees it (xmlmodel binds the name at run time)
    from airflow_sm_provider.client._list_types import DnsServers

DEPLOYMENT = "/services/hostedservices/{service_name}/deployments/{deployment_name}"
ROLE = DEPLOYMENT + "/roles/{role_name}"
ROLE_TARGET = "{service_name}/deployments/{deployment_name}/roles/{role_name}"
OPT = "str | None"


#: The path members that address a deployment, and a role in it.
DEPLOYMENT_ID = (common.SERVICE_NAME, common.DEPLOYMENT_NAME)
ROLE_ID = (*DEPLOYMENT_ID, common.ROLE_NAME)
DNS_SERVER_NAME = P("dns_server_name", check=c.name)


@xml_model("Dns")
class _Dns:
    dns_servers: ListOf[DnsServers, DnsServer] = xml_field(item="DnsServer", default_factory=list)


VM_DEPLOYMENT = Spec(
    "Deployment",
    [
        F("Name", "deployment_name"),
        F("DeploymentSlot", "deployment_slot"),
        F("Label", "label"),  # plain text here
        F("RoleList", "role_list", LIST, Role, item="Role"),
        F("VirtualNetworkName", "virtual_network_name"),
        F("Dns", "dns", MODEL, _Dns, optional=True),
        F("ReservedIPName", "reserved_ip_name"),
    ],
)


def _system_config(value: Any, field: str) -> Any:
    if value is not None and not isinstance(value, (LinuxConfigurationSet, WindowsConfigurationSet)):
        raise InvalidInputError(
            field, f"{field} must be a LinuxConfigurationSet or a WindowsConfigurationSet."
        )
    return value


def _network_config(value: Any, field: str) -> Any:
    if value is not None and not isinstance(value, ConfigurationSet):
        raise InvalidInputError(field, f"{field} must be a ConfigurationSet.")
    return value


def _disk_or_image(values: dict[str, Any]) -> None:
    if values.get("os_virtual_hard_disk") is None and not values.get("vm_image_name"):
        raise InvalidInputError(
            "os_virtual_hard_disk",
            "pass os_virtual_hard_disk=OSVirtualHardDisk(image_name, media_link) or vm_image_name.",
        )


def _role(a: dict[str, Any], system: bool = True) -> Role:
    """The Role element shared by Create VM Deployment, Add Role and Update Role (the model holds
    each list given as its old wrapper class, as a Role built in Python does)."""
    sets = [a.get("system_config") if system else None, a.get("network_config")]
    return Role(
        role_name=a["role_name"],
        role_type=a["role_type"],
        configuration_sets=[s for s in sets if s is not None],
        resource_extension_references=a.get("resource_extension_references"),
        vm_image_name=a.get("vm_image_name"),
        media_location=a.get("media_location"),
        availability_set_name=a.get("availability_set_name"),
        data_virtual_hard_disks=a.get("data_virtual_hard_disks"),
        os_virtual_hard_disk=a.get("os_virtual_hard_disk"),
        role_size=a.get("role_size"),
        provision_guest_agent=a.get("provision_guest_agent"),
    )


def _vm_deployment(a: dict[str, Any]) -> dict[str, Any]:
    servers = a.get("dns_servers")
    dns = (
        _Dns([DnsServer(getattr(d, "name", ""), getattr(d, "address", "")) for d in servers])
        if servers
        else None
    )
    return {**a, "role_list": [_role(a)], "dns": dns}


def _holds_role(results: list[Any], args: Any) -> State:
    dep = results[0]
    if dep is None:
        return "absent"
    return (
        "applied" if args["role_name"].lower() in {r.role_name.lower() for r in dep.role_list} else "unknown"
    )


def _role_params(*, system: bool) -> tuple[P, ...]:
    """The role parameters in the old SDK's order; create/add take a system config and require the
    OS disk argument (None with ``vm_image_name``), update takes neither."""
    head = (
        (P("system_config", "LinuxConfigurationSet | WindowsConfigurationSet | None", check=_system_config),)
        if system
        else ()
    )
    disk = P("os_virtual_hard_disk", "OSVirtualHardDisk | None", REQUIRED if system else None)
    return (
        *head,
        disk,
        P("network_config", "ConfigurationSet | None", None, _network_config),
        P("availability_set_name", OPT, None, c.opt_text),
        P("data_virtual_hard_disks", "Sequence[DataVirtualHardDisk] | None", None),
        P("role_size", OPT, None, v.role_size),
        P("role_type", "str", "PersistentVMRole", c.text),
    )


ROLE_OP = Spec(
    "Operation", [F("OperationType", "operation_type"), F("PostShutdownAction", "post_shutdown_action")]
)
ROLES_OP = Spec(
    "Operation",
    [
        F("OperationType", "operation_type"),
        F("Roles", "role_names", STRLIST, item="Name"),
        F("PostShutdownAction", "post_shutdown_action"),
    ],
)


def _role_operation(name: str, root: str, *extra: P, many: bool = False) -> Op:
    """Start / restart / shutdown one VM (``roleinstances/<role>/Operations``) or several
    (``roles/Operations``, ``many``). They converge on a state: a retry cannot do harm."""
    spec = ROLES_OP if many else ROLE_OP
    fields = spec.fields if extra else spec.fields[:-1]
    who = (P("role_names", "Sequence[str]", check=c.names),) if many else (common.ROLE_NAME,)
    path = "/roles/Operations" if many else "/roleinstances/{role_name}/Operations"
    return Op(
        name,
        "POST",
        DEPLOYMENT + path,
        (*DEPLOYMENT_ID, *who, *extra),
        body=Spec(root, fields),
        const={"operation_type": root},
        target="{service_name}/deployments/{deployment_name}" if many else ROLE_TARGET,
    )


def _dns_server(a: dict[str, Any]) -> DnsServer:
    return DnsServer(a["dns_server_name"], a["address"])


SHUTDOWN = P("post_shutdown_action", "str", "Stopped", c.post_shutdown_action)
EXTENSIONS = P("resource_extension_references", "Sequence[ResourceExtensionReference] | None", None)
GUEST_AGENT = P("provision_guest_agent", "bool | None", None, c.opt_flag)
IMAGE = (P("vm_image_name", OPT, None, c.opt_text), P("media_location", OPT, None, c.opt_text))
DISK_PATH = ROLE + "/DataDisks"
LUN = P("lun", "int", check=c.lun)
SIZE = P("logical_disk_size_in_gb", "int | None", None, c.opt_int)
DATA_DISK = spec_of(DataVirtualHardDisk)
DNS_SERVER = spec_of(DnsServer)
DNS_PATH = DEPLOYMENT + "/dnsservers"

OPS = (
    read(
        "get_role",
        ROLE,
        *ROLE_ID,
        result=PersistentVMRole,
    ),
    Op(
        "create_virtual_machine_deployment",
        "POST",
        "/services/hostedservices/{service_name}/deployments",
        (
            *DEPLOYMENT_ID,
            P("deployment_slot", check=v.slot),
            common.LABEL,
            common.ROLE_NAME,
            *_role_params(system=True),
            P("virtual_network_name", OPT, None, c.opt_text),
            EXTENSIONS,
            GUEST_AGENT,
            *IMAGE,
            P("dns_servers", "Sequence[DnsServer] | None", None),
            P("reserved_ip_name", OPT, None, c.opt_name),
        ),
        body=VM_DEPLOYMENT,
        source=_vm_deployment,
        validate=_disk_or_image,
        resend=False,
        target="{service_name}/deployments/{deployment_name}",
        reconcile=reads_back("get_deployment_by_name", "service_name", "deployment_name", decide=_holds_role),
    ),
    Op(
        "add_role",
        "POST",
        DEPLOYMENT + "/roles",
        (
            *ROLE_ID,
            *_role_params(system=True),
            EXTENSIONS,
            GUEST_AGENT,
            *IMAGE,
        ),
        body=spec_of(PersistentVMRole),
        source=_role,
        validate=_disk_or_image,
        resend=False,
        target=ROLE_TARGET,
        reconcile=reads_back("get_deployment_by_name", "service_name", "deployment_name", decide=_holds_role),
    ),
    Op(
        "update_role",
        "PUT",
        ROLE,
        (
            *ROLE_ID,
            *_role_params(system=False),
            EXTENSIONS,
            GUEST_AGENT,
        ),
        body=spec_of(PersistentVMRole),
        source=lambda a: _role(a, system=False),
        target=ROLE_TARGET,
    ),
    delete(
        "delete_role",
        ROLE,
        *ROLE_ID,
        media="complete",
        target=ROLE_TARGET,
    ),
    Op(
        "capture_role",
        "POST",
        DEPLOYMENT + "/roleinstances/{role_name}/Operations",
        (
            *ROLE_ID,
            P("post_capture_action", check=c.text),
            P("target_image_name", check=c.text),
            P("target_image_label", check=c.text),
            P(
                "provisioning_configuration",
                "LinuxConfigurationSet | WindowsConfigurationSet | None",
                None,
                _system_config,
            ),
        ),
        body=Spec(
            "CaptureRoleOperation",
            [
                F("OperationType", "operation_type"),
                F("PostCaptureAction", "post_capture_action"),
                F("ProvisioningConfiguration", "provisioning_configuration", MODEL),
                F("TargetImageLabel", "target_image_label"),
                F("TargetImageName", "target_image_name"),
            ],
        ),
        const={"operation_type": "CaptureRoleOperation"},
        resend=False,
        target=ROLE_TARGET,
    ),
    _role_operation("start_role", "StartRoleOperation"),
    _role_operation("start_roles", "StartRolesOperation", many=True),
    _role_operation("restart_role", "RestartRoleOperation"),
    _role_operation("shutdown_role", "ShutdownRoleOperation", SHUTDOWN),
    _role_operation("shutdown_roles", "ShutdownRolesOperation", SHUTDOWN, many=True),
    # --- DNS servers of a deployment ------------------------------------------------------------------
    Op(
        "add_dns_server",
        "POST",
        DNS_PATH,
        (
            *DEPLOYMENT_ID,
            DNS_SERVER_NAME,
            P("address", check=c.text),
        ),
        body=DNS_SERVER,
        source=_dns_server,
        resend=False,
        target="{service_name}/deployments/{deployment_name}/dnsservers/{dns_server_name}",
    ),
    Op(
        "update_dns_server",
        "PUT",
        DNS_PATH + "/{dns_server_name}",
        (
            *DEPLOYMENT_ID,
            DNS_SERVER_NAME,
            P("address", check=c.text),
        ),
        body=DNS_SERVER,
        source=_dns_server,
    ),
    delete(
        "delete_dns_server",
        DNS_PATH + "/{dns_server_name}",
        *DEPLOYMENT_ID,
        DNS_SERVER_NAME,
    ),
    # --- data disks of a VM role ----------------------------------------------------------------------
    read(
        "get_data_disk",
        DISK_PATH + "/{lun}",
        *ROLE_ID,
        LUN,
        result=DataVirtualHardDisk,
    ),
    Op(
        "add_data_disk",
        "POST",
        DISK_PATH,
        (
            *ROLE_ID,
            LUN,
            *c.optional_texts("host_caching", "media_link", "disk_label", "disk_name"),
            SIZE,
            *c.optional_texts("source_media_link"),
        ),
        body=DATA_DISK,
        resend=False,
        target=ROLE_TARGET + "/DataDisks/{lun}",
    ),
    Op(
        "update_data_disk",
        "PUT",
        DISK_PATH + "/{lun}",
        (
            *ROLE_ID,
            LUN,
            *c.optional_texts("host_caching", "media_link"),
            P("updated_lun", "int | None", None, c.opt_int),
            *c.optional_texts("disk_label", "disk_name"),
            SIZE,
        ),
        body=DATA_DISK,
        source=lambda a: {**a, "lun": a["updated_lun"], "source_media_link": None},
    ),
    delete(
        "delete_data_disk",
        DISK_PATH + "/{lun}",
        *ROLE_ID,
        LUN,
        media="delete_vhd",
    ),
)

"""Operators for classic virtual machines: a cloud service plus a PersistentVMRole deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, list_of_mappings, optional, secret, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import (
    check_choice,
    check_name,
    check_service_name,
    check_slot,
    check_text,
    choice,
    invalid,
    is_template,
)
from airflow_sm_provider.operators.base import IF_EXISTS, IF_MISSING, AsmBaseOperator, get_or_none

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = ["AsmCreateVirtualMachineOperator", "AsmDeleteVirtualMachineOperator"]


def _mask(value: Any) -> None:
    """Register a password with Airflow's secrets masker so no log line can show it."""
    if isinstance(value, str) and value and not is_template(value):
        from airflow.sdk.log import mask_secret

        mask_secret(value)


class AsmCreateVirtualMachineOperator(AsmBaseOperator):
    """Create a VM: the cloud service (when missing) and a VM deployment with one role.

    The tutorial's ``create_hosted_service`` + ``create_virtual_machine_deployment`` in one task,
    configured from plain arguments. The password is masked in logs and never returned.

    :param service_name: cloud service holding the VM; created when missing.
    :param location: region for a new cloud service (or ``affinity_group``); unused if it exists.
    :param affinity_group: affinity group for a new cloud service.
    :param deployment_name: VM deployment name; defaults to ``service_name``.
    :param role_name: VM (role) name; defaults to ``service_name``.
    :param deployment_slot: slot of the VM deployment, normally "production".
    :param deployment_label: deployment label; defaults to ``deployment_name``.
    :param os_type: "Linux" or "Windows": selects the provisioning configuration.
    :param host_name: host (computer) name; defaults to ``role_name``.
    :param admin_username: the first user (Linux user name / Windows admin name).
    :param admin_password: its password (Linux may omit it with SSH-only access). Masked.
    :param disable_ssh_password_authentication: Linux: allow SSH keys only.
    :param source_image_name: OS image to start from (see ``AsmAddOsImageOperator``).
    :param media_link: URL of the VHD blob to create for the OS disk.
    :param role_size: VM size, e.g. "Small".
    :param endpoints: public endpoints: dicts with ``name``, ``protocol`` (tcp|udp), ``port`` and
        ``local_port``.
    :param if_exists: "fail" (default) or "reuse" a deployment with the same name holding the role.
    """

    service_name: str = argument(reader=text, templated=True)
    os_type: str = argument(reader=choice(protocol.OS_TYPES), templated=True)
    admin_username: str = argument(reader=text, templated=True)
    source_image_name: str = argument(reader=text, templated=True)
    media_link: str = argument(reader=text, templated=True)
    admin_password: str | None = argument(None, reader=optional(secret), templated=True)
    location: str | None = argument(None, reader=optional(text), templated=True)
    affinity_group: str | None = argument(None, reader=optional(text), templated=True)
    deployment_name: str | None = argument(None, reader=optional(text), templated=True)
    role_name: str | None = argument(None, reader=optional(text), templated=True)
    deployment_slot: str = argument("production", reader=text, templated=True)
    deployment_label: str | None = argument(None, reader=optional(text), templated=True)
    host_name: str | None = argument(None, reader=optional(text), templated=True)
    disable_ssh_password_authentication: bool | None = argument(
        None, reader=optional(boolean), templated=True
    )
    role_size: str = argument("Small", reader=text, templated=True)
    endpoints: list[dict[str, Any]] | None = argument(None, reader=optional(list_of_mappings), templated=True)
    if_exists: str = argument("fail", reader=choice(IF_EXISTS), templated=True)
    operation_name = "create virtual machine"
    default_poll_interval = 15.0
    default_timeout = 3600.0

    def validate_inputs(self) -> None:
        _mask(self.admin_password)
        check_service_name("service_name", self.service_name)
        check_name("admin_username", self.admin_username)
        check_name("source_image_name", self.source_image_name)
        check_name("deployment_name", self.deployment_name, required=False)
        check_name("role_name", self.role_name, required=False)
        check_name("host_name", self.host_name, required=False)
        check_slot("deployment_slot", self.deployment_slot)
        check_text("deployment_label", self.deployment_label, protocol.LABEL_MAX_CHARS)
        if self.location and self.affinity_group and not is_template(self.location):
            invalid("location", "give at most one of location or affinity_group")
        if not is_template(self.media_link) and not str(self.media_link or "").startswith(
            ("https://", "http://")
        ):
            invalid("media_link", f"must be the URL of the VHD blob to create, got {self.media_link!r}")
        if self.os_type == "Windows" and self.admin_password is None:
            invalid("admin_password", "is required for Windows")
        if (
            self.os_type == "Linux"
            and self.admin_password is None
            and not self.disable_ssh_password_authentication
        ):
            invalid("admin_password", "is required unless disable_ssh_password_authentication=True")
        for i, ep in enumerate([] if is_template(self.endpoints) else self.endpoints or []):
            if not isinstance(ep, dict) or not {"name", "port"} <= ep.keys():
                invalid("endpoints", f"item {i} must be a dict with at least 'name' and 'port', got {ep!r}")
            check_choice("endpoints", str(ep.get("protocol", "tcp")).lower(), ("tcp", "udp"))

    @property
    def _deployment(self) -> str:
        return self.deployment_name or self.service_name

    @property
    def _role(self) -> str:
        return self.role_name or self.service_name

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        svc = get_or_none(client.get_hosted_service_properties, self.service_name)
        self._service_missing = svc is None
        if svc is None:
            if not (self.location or self.affinity_group):
                invalid(
                    "location",
                    f"cloud service {self.service_name!r} does not exist; give location or affinity_group",
                )
            return None
        dep = get_or_none(
            client.get_deployment_by_slot,
            self.service_name,
            check_slot("deployment_slot", self.deployment_slot),
        )
        if dep is None:
            return None
        what = f"Deployment {dep.name!r} of cloud service {self.service_name!r}"
        roles = [r.role_name for r in (dep.role_list or [])]
        if dep.name == self._deployment and self._role in roles and (adopt or self.if_exists == "reuse"):
            self.log.info("%s already holds VM %r; reusing it.", what, self._role)
            return {**self.build_result(client, None, "Exists"), "reused": True}
        if dep.name == self._deployment and self._role in roles:
            self.exists_error(f"{what} with VM {self._role!r}")
        self.mismatch(
            what, {"deployment_name": (self._deployment, dep.name), "role_name": (self._role, roles)}
        )

    def submit(self, client: ServiceManagementClient) -> Any:
        from airflow_sm_provider import client as asm

        if getattr(self, "_service_missing", False):
            self.run_step(
                client,
                client.create_hosted_service(
                    self.service_name,
                    self.service_name,
                    None,
                    self.location or None,
                    self.affinity_group or None,
                ),
                f"create cloud service {self.service_name!r}",
            )
        host = self.host_name or self._role
        system_config: Any
        if self.os_type == "Windows":
            system_config = asm.WindowsConfigurationSet(
                host, self.admin_password, admin_username=self.admin_username
            )
        else:
            system_config = asm.LinuxConfigurationSet(
                host, self.admin_username, self.admin_password, self.disable_ssh_password_authentication
            )
        network = asm.ConfigurationSet()
        for ep in self.endpoints or []:
            network.input_endpoints.append(
                asm.ConfigurationSetInputEndpoint(
                    name=ep["name"],
                    protocol=str(ep.get("protocol", "tcp")).lower(),
                    port=str(ep["port"]),
                    local_port=str(ep.get("local_port", ep["port"])),
                )
            )
        return client.create_virtual_machine_deployment(
            self.service_name,
            self._deployment,
            check_slot("deployment_slot", self.deployment_slot).lower(),
            self.deployment_label or self._deployment,
            self._role,
            system_config,
            asm.OSVirtualHardDisk(self.source_image_name, self.media_link),
            network_config=network if self.endpoints else None,
            role_size=self.role_size,
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        dep = get_or_none(client.get_deployment_by_name, self.service_name, self._deployment)
        return {
            "service_name": self.service_name,
            "deployment_name": self._deployment,
            "role_name": self._role,
            "deployment_slot": getattr(dep, "deployment_slot", None),
            "url": getattr(dep, "url", None),
            "os_type": self.os_type,
            "request_id": request_id,
            "status": status,
            "reused": False,
        }


class AsmDeleteVirtualMachineOperator(AsmBaseOperator):
    """Delete a VM: its deployment and (by default) its cloud service; disks optional.

    :param service_name: the cloud service holding the VM.
    :param delete_disks: also delete the OS/data disks and their VHD blobs.
    :param delete_service: also delete the cloud service (the tutorial's second step).
    :param if_missing: "ignore" (default) or "fail" when there is nothing to delete.
    """

    service_name: str = argument(reader=text, templated=True)
    delete_disks: bool = argument(False, reader=boolean, templated=True)
    delete_service: bool = argument(True, reader=boolean, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete virtual machine"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        svc = get_or_none(client.get_hosted_service_properties, self.service_name, True)
        self._deployments = [d.name for d in (getattr(svc, "deployments", None) or [])]
        if svc is not None and (self.delete_service or self._deployments):
            return None
        if self.if_missing == "fail" and not adopt:
            self.missing_error(f"Virtual machine deployment in cloud service {self.service_name!r}")
        self.log.info("Nothing to delete in cloud service %r.", self.service_name)
        return self.build_result(client, None, "Absent")

    def submit(self, client: ServiceManagementClient) -> Any:
        if self.delete_service and self.delete_disks:
            return client.delete_hosted_service(self.service_name, complete=True)
        for i, name in enumerate(self._deployments):
            handle = client.delete_deployment(self.service_name, name, delete_vhd=self.delete_disks)
            if not self.delete_service and i == len(self._deployments) - 1:
                return handle
            self.run_step(client, handle, f"delete deployment {name!r}")
        return client.delete_hosted_service(self.service_name)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            "service_name": self.service_name,
            "deployments": list(getattr(self, "_deployments", [])),
            "service_deleted": self.delete_service is True and status == protocol.OP_SUCCEEDED,
            "request_id": request_id,
            "status": status,
        }

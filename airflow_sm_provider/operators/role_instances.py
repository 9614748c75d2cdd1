"""Role instance and role actions: reboot, reimage, rebuild, delete instances; start, shutdown roles.

One request each, on the operators' life cycle (``wait_for_completion``, ``deferrable``, resume after a
crash). Reboot / reimage / rebuild act on one instance: map them over instance names with Airflow's
dynamic task mapping (``.expand(role_instance_name=[...])``). Delete Role Instances takes the list.
A missing instance or role is ``if_missing="fail"`` (default) or ``"ignore"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import is_template, optional, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import check_name, choice, invalid
from airflow_sm_provider.operators.base import IF_MISSING, AsmBaseOperator
from airflow_sm_provider.operators.deployment import _DeploymentTargetMixin

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = [
    "AsmDeleteRoleInstancesOperator",
    "AsmRebootRoleInstanceOperator",
    "AsmRebuildRoleInstanceOperator",
    "AsmReimageRoleInstanceOperator",
    "AsmShutdownRoleOperator",
    "AsmStartRoleOperator",
]


def _names(field: str, value: Any) -> list[str]:
    """A list of names: the list itself, or its rendered text (JSON or a Python literal)."""
    import ast

    if isinstance(value, str):
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            invalid(field, f"must be a list of instance names, got {value!r}")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        invalid(field, f"must be a list of instance names, got {value!r}")
    return list(value)


class _DeploymentAction(_DeploymentTargetMixin, AsmBaseOperator):
    """An action on a deployment's instances or roles, found by deployment name or slot."""

    service_name: str = argument(reader=text, templated=True)
    deployment_name: str | None = argument(None, reader=optional(text), templated=True)
    deployment_slot: str | None = argument(None, reader=optional(text), templated=True)
    if_missing: str = argument("fail", reader=choice(IF_MISSING))
    default_poll_interval = 5.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        self._check_target()

    def deployment(self, client: ServiceManagementClient) -> Any:
        dep = self._find(client)
        if dep is None:
            self.missing_error(self._describe())
        self._deployment_name = str(dep.name)
        return dep

    def absent(self, client: ServiceManagementClient, what: str) -> dict[str, Any]:
        """``if_missing``: raise, or finish without a request."""
        if self.if_missing == "fail":
            self.missing_error(what)
        self.log.info("%s does not exist; nothing to do (if_missing='ignore').", what)
        return self.build_result(client, None, "Absent")

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            "service_name": self.service_name,
            "deployment_name": getattr(self, "_deployment_name", self.deployment_name),
            "request_id": request_id,
            "status": status,
        }


class _RoleInstanceAction(_DeploymentAction):
    """Reboot / reimage / rebuild one role instance."""

    role_instance_name: str = argument(reader=text, templated=True)
    client_method: ClassVar[str] = ""

    def validate_inputs(self) -> None:
        super().validate_inputs()
        check_name("role_instance_name", self.role_instance_name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        dep = self.deployment(client)
        names = {i.instance_name for i in dep.role_instance_list}
        if self.role_instance_name not in names:
            return self.absent(client, f"Role instance {self.role_instance_name!r} of {self._describe()}")
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        method = getattr(client, self.client_method)
        return method(self.service_name, self._deployment_name, self.role_instance_name)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            **super().build_result(client, request_id, status),
            "role_instance_name": self.role_instance_name,
        }


class AsmRebootRoleInstanceOperator(_RoleInstanceAction):
    """Reboot one role instance (old SDK ``reboot_role_instance``); the others keep serving.

    :param service_name: the cloud service.
    :param deployment_name: the deployment; or give ``deployment_slot``.
    :param deployment_slot: "production" or "staging".
    :param role_instance_name: e.g. ``WebRole1_IN_0`` (map over several with ``.expand``).
    :param if_missing: "fail" (default) or "ignore" when the instance does not exist.
    """

    operation_name = "reboot role instance"
    client_method = "reboot_role_instance"


class AsmReimageRoleInstanceOperator(_RoleInstanceAction):
    """Reimage one role instance: a fresh OS disk, the local resources reset (``reimage_role_instance``).

    Parameters as :class:`AsmRebootRoleInstanceOperator`.
    """

    operation_name = "reimage role instance"
    client_method = "reimage_role_instance"


class AsmRebuildRoleInstanceOperator(_RoleInstanceAction):
    """Rebuild one role instance: reinstall the OS and wipe its local resources (``rebuild_role_instance``).

    Parameters as :class:`AsmRebootRoleInstanceOperator`.
    """

    operation_name = "rebuild role instance"
    client_method = "rebuild_role_instance"


class AsmDeleteRoleInstancesOperator(_DeploymentAction):
    """Delete role instances (old SDK ``delete_role_instances``): scale a role in by name.

    With ``if_missing="ignore"`` only the instances that exist are deleted (none left: no request).

    :param role_instance_names: the instances to delete.
    """

    role_instance_names: Sequence[str] | str = argument(reader=_names, templated=True)
    operation_name = "delete role instances"

    def validate_inputs(self) -> None:
        super().validate_inputs()
        names = self.role_instance_names
        if is_template(names):
            return
        if isinstance(names, str) or not names:
            invalid("role_instance_names", f"must be a non-empty list of instance names, got {names!r}")
        for name in names:
            check_name("role_instance_names", name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        dep = self.deployment(client)
        present = {i.instance_name for i in dep.role_instance_list}
        wanted = list(self.role_instance_names)
        missing = [n for n in wanted if n not in present]
        if missing and self.if_missing == "fail" and not adopt:
            self.missing_error(f"Role instances {missing} of {self._describe()}")
        self._to_delete = [n for n in wanted if n in present]
        if not self._to_delete:
            return (
                self.absent(client, f"Role instances {wanted} of {self._describe()}")
                if not adopt
                else (self.build_result(client, None, "Deleted"))
            )
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_role_instances(self.service_name, self._deployment_name, self._to_delete)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            **super().build_result(client, request_id, status),
            "role_instance_names": list(self.role_instance_names),
        }


class _RoleAction(_DeploymentAction):
    """Start / shut down one role (virtual machine roles)."""

    role_name: str = argument(reader=text, templated=True)
    #: Power state meaning "already done": nothing is sent.
    done_power_states: ClassVar[tuple[str, ...]] = ()

    def validate_inputs(self) -> None:
        super().validate_inputs()
        check_name("role_name", self.role_name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        dep = self.deployment(client)
        mine = [i for i in dep.role_instance_list if i.role_name == self.role_name]
        if not mine:
            return self.absent(client, f"Role {self.role_name!r} of {self._describe()}")
        if all(i.power_state in self.done_power_states for i in mine):
            self.log.info("Role %s is already %s; nothing sent.", self.role_name, mine[0].power_state)
            return self.build_result(client, None, f"Already{mine[0].power_state}")
        return None

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {**super().build_result(client, request_id, status), "role_name": self.role_name}


class AsmStartRoleOperator(_RoleAction):
    """Start a role (old SDK ``start_role``); already Started: nothing is sent.

    :param role_name: the role (virtual machine) to start.
    """

    operation_name = "start role"
    done_power_states = ("Started", "Starting")

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.start_role(self.service_name, self._deployment_name, self.role_name)


class AsmShutdownRoleOperator(_RoleAction):
    """Shut a role down (old SDK ``shutdown_role``); already Stopped: nothing is sent.

    :param role_name: the role (virtual machine) to shut down.
    :param post_shutdown_action: "Stopped" (keeps the compute reserved) or "StoppedDeallocated".
    """

    post_shutdown_action: str = argument(
        "Stopped", reader=choice(protocol.POST_SHUTDOWN_ACTIONS), templated=True
    )
    operation_name = "shutdown role"
    done_power_states = ("Stopped", "Stopping")

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.shutdown_role(
            self.service_name, self._deployment_name, self.role_name, self.post_shutdown_action
        )

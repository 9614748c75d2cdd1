"""Role instance and role actions: reboot, reimage, rebuild, delete instances; start, shutdown roles.

One request each, on the operators' life cycle (``wait_for_completion``, ``deferrable``, resume after a
crash). Reboot / reimage / rebuild act on one instance: map them over instance names with Airflow's
dynamic task mapping (``.expand(role_instance_name=[...])``). Delete Role Instances takes the list.
A missing instance or role is ``if_missing="fail"`` (default) or ``"ignore"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import is_template, optional, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import check_name, choice, invalid
from airflow_sm_provider.operators._upgrade_walk import NOT_SENT, RUNNING, deployment_facts
from airflow_sm_provider.operators.base import IF_MISSING, AsmBaseOperator
from airflow_sm_provider.operators.deployment import _DeploymentTargetMixin, deployment_settled

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.operators.base import SettleProbe

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
    """An action on a deployment's instances or roles, found by deployment name or slot.

    Most of these calls are not idempotent (a second reboot restarts the instance again; a second
    upgrade walks every domain again), so a retry after a try that was interrupted while its request
    may have left (the "submitting" mark, or a request id ASM no longer knows) does not send blindly.
    The one place for it: before sending, :meth:`check_existing` keeps the deployment as it was
    (``_upgrade_walk.deployment_facts``: label, configuration digest, LastModifiedTime,
    UpgradeStatus) and what this task asks for (:meth:`asked`) with the mark; the retry compares the
    deployment with them (:meth:`judge`, one rule per call). The interrupted try's operation still
    running is waited for (the deployment settled: unlocked), one that ended is reported as that
    try's (``status`` "Succeeded", ``by_previous_try`` True, no request id), an unchanged deployment
    means the request never took effect and it is sent. Anything else -- an operation that is not
    the one this task asked for, or an interrupted try that asked for something else -- fails with
    ``ConflictError`` before any request, naming what differs (:meth:`not_this_tasks`).
    """

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

    #: The deployment just before this task's request (``deployment_facts``), kept with the mark.
    _before: dict[str, Any] | None = None
    #: What the interrupted try asked for (:meth:`asked`), back from the mark.
    _asked_before: dict[str, Any] | None = None
    #: This try adopted the interrupted try's operation instead of sending.
    _by_previous_try: bool = False

    def target(self, client: ServiceManagementClient) -> Any:
        return self.deployment(client)

    # -- subclass interface
    def asked(self) -> dict[str, Any]:
        """What this task's request asks for, JSON-safe (no secrets: the .cscfg only as a digest)."""
        return {}

    def look(self, client: ServiceManagementClient, dep: Any) -> dict[str, Any] | None:
        """The operator's own look before leaping (on a fresh try, or when nothing is adopted)."""
        return None

    def judge(self, dep: Any, before: dict[str, Any]) -> str:
        """``RUNNING`` / ``DONE`` / ``NOT_SENT`` for the interrupted try's request (or raise
        ``not_this_tasks``), from the deployment now and ``before`` it was sent. Default
        ``NOT_SENT``: the deployment cannot tell, the request is sent again. So far for reboot /
        reimage / rebuild: once a restart is over the instance looks as before, and LastModifiedTime
        has a resolution of one second (a restart in the same second as the mark leaves it equal);
        their evidence would be List Subscription Operations (an operation on the instance's URL
        after the mark)."""
        return NOT_SENT

    # -- the life cycle's hooks
    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        dep = self.target(client)
        if adopt and self._before is not None:
            adopted = self._adopt(client, dep, self._before)
            if adopted is not None:
                return adopted
        result = self.look(client, dep)
        self._before = deployment_facts(dep)
        return result

    def _adopt(
        self, client: ServiceManagementClient, dep: Any, before: dict[str, Any]
    ) -> dict[str, Any] | None:
        verdict = self.judge(dep, before)
        if verdict == NOT_SENT:
            self.log.info(
                "%s: the interrupted try's %s request did not take effect (the deployment is unchanged); "
                "sending it.",
                self._describe(),
                self.operation_name,
            )
            return None
        # What Get Deployment does not show (an upgrade's package URL, its role): as that try asked?
        asked, earlier = self.asked(), self._asked_before or {}
        differing = {k: (v, earlier[k]) for k, v in asked.items() if k in earlier and earlier[k] != v}
        if differing:
            self.not_this_tasks(
                "the request of the interrupted try of this task", differing, found_word="that try asked for"
            )
        self._by_previous_try = True
        self.log.info(
            "%s: the %s the interrupted try sent is %s; adopting it instead of sending again.",
            self._describe(),
            self.operation_name,
            "still running" if verdict == RUNNING else "done",
        )
        return self.build_result(client, None, "Succeeded")

    def not_this_tasks(
        self, what: str, differing: Mapping[str, tuple[Any, Any]], *, found_word: str = "found"
    ) -> NoReturn:
        """Refuse to adopt an operation that is not the one this task asked for (nothing is sent)."""
        from airflow_sm_provider.client.errors import ConflictError

        listing = "; ".join(f"{k}: requested {w!r}, {found_word} {h!r}" for k, (w, h) in differing.items())
        name = self.operation_name
        raise ConflictError(
            f"{self._describe()}: a previous try of this task was interrupted while sending {name}, but "
            f"{what} is not this task's ({listing}): not sending {name} again, nor adopting it. Look at "
            "the deployment; to send it anyway, run the task in a new DAG run (clearing this one does "
            "not help: Airflow keeps the task's state store, which holds the interrupted try's mark)",
            code=protocol.ERR_CONFLICT,
            before_request=True,
        )

    def settle_probe(self, client: ServiceManagementClient) -> SettleProbe | None:
        """An adopted operation is over once the deployment is settled (no operation holds it)."""
        if not self._by_previous_try:
            return None
        what = f"settled (the {self.operation_name} of the interrupted try ended)"
        return deployment_settled(self, client, self.service_name, str(self._deployment_name), what)

    def settled_result(self, client: ServiceManagementClient, result: Any) -> Any:
        """After waiting for an adopted operation: judged again (it may have been rolled back)."""
        if not (isinstance(result, dict) and result.get("by_previous_try")) or self._before is None:
            return result
        self._by_previous_try = True
        if self.judge(self.target(client), self._before) == NOT_SENT:
            from airflow_sm_provider.client.errors import OperationFailedError

            raise OperationFailedError(
                f"{self._describe()}: the {self.operation_name} of the interrupted try ended without "
                "effect (the deployment is as it was before it)",
            )
        return self.build_result(client, None, "Succeeded")

    def submitted_facts(self) -> dict[str, Any]:
        return {**super().submitted_facts(), "before": self._before, "asked": self.asked()}

    def restore_facts(self, facts: Mapping[str, Any]) -> None:
        super().restore_facts(facts)
        self._before = facts.get("before")
        self._asked_before = facts.get("asked")

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

    def look(self, client: ServiceManagementClient, dep: Any) -> dict[str, Any] | None:
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

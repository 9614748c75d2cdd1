"""Sensor: wait for a deployment to be Running with every role instance ReadyRole."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider._rendering import is_template, optional, text
from airflow_sm_provider.operators._checks import invalid
from airflow_sm_provider.sensors._fields import AsmTypedSensor
from airflow_sm_provider.triggers._deployment_target import check_deployment_target, get_deployment

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.polling import PollResult
    from airflow_sm_provider.triggers.deployment import AsmDeploymentReadyTrigger

__all__ = ["AsmDeploymentReadySensor"]


class AsmDeploymentReadySensor(AsmTypedSensor):
    """Wait until a deployment is Running and all of its role instances are ``ReadyRole``.

    Logs progress per role ("WebRole 2/2 ReadyRole, WorkerRole 1/3 ReadyRole 2/3 BusyRole"). Fails
    at once, without retry, when the deployment is hopeless by the one readiness rule
    (``client.polling.readiness``, docs/blue-green.md "What ready means": failed, unresponsive,
    crash-looping or stopped instances, or a Suspended deployment no operation is changing). An
    empty slot counts as "not ready yet". Give exactly one of ``deployment_slot`` and
    ``deployment_name``.

    Every argument may be a template or an XComArg (``prepare.output["deployment_name"]``): they
    are checked once rendered.

    :param service_name: the cloud service (hosted service) name (templated).
    :param deployment_slot: ``production`` or ``staging`` (templated).
    :param deployment_name: the deployment's name (templated).
    :param asm_conn_id: the Airflow connection id.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    """

    template_fields: tuple[str, ...] = (
        *AsmTypedSensor.template_fields,
        "service_name",
        "deployment_slot",
        "deployment_name",
    )
    field_readers = {
        "service_name": text,
        "deployment_slot": optional(text),
        "deployment_name": optional(text),
    }

    def __init__(
        self,
        *,
        service_name: str,
        deployment_slot: str | None = None,
        deployment_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.service_name = service_name
        self.deployment_slot = deployment_slot
        self.deployment_name = deployment_name
        # XComArgs and templates (e.g. ``create.output["deployment_name"]``) are checked once rendered.
        if not any(is_template(v) for v in (service_name, deployment_slot, deployment_name)):
            self.read_fields(final=False)
            self.validate_rendered()

    def validate_rendered(self) -> None:
        """Service name required; exactly one of slot / name; slot production | staging."""
        if not isinstance(self.service_name, str) or not self.service_name.strip():
            invalid("service_name", f"must be a non-empty string, got {self.service_name!r}")
        try:
            self.deployment_slot = check_deployment_target(
                self.deployment_slot or None, self.deployment_name or None
            )
        except ValueError as exc:
            invalid("deployment_slot", str(exc))

    @property
    def target_ids(self) -> dict[str, Any]:
        """Service name plus slot or deployment name."""
        return {
            "service_name": self.service_name,
            "deployment_slot": self.deployment_slot,
            "deployment_name": self.deployment_name,
        }

    @property
    def target_description(self) -> str:
        """``deployment <service>/<slot or name>``."""
        return f"deployment {self.service_name}/{self.deployment_slot or self.deployment_name}"

    def check(self, client: ServiceManagementClient) -> PollResult:
        """Get Deployment (by slot or name), judged by the shared deployment-ready condition."""
        from airflow_sm_provider.client.polling import deployment_ready_condition

        dep = get_deployment(client, self.service_name, self.deployment_slot, self.deployment_name)
        return deployment_ready_condition(dep)

    def make_trigger(self, deadline: float) -> AsmDeploymentReadyTrigger:
        """A deployment-ready trigger polling every ``poke_interval`` until ``deadline``."""
        from airflow_sm_provider.triggers.deployment import AsmDeploymentReadyTrigger

        return AsmDeploymentReadyTrigger(
            self.service_name,
            self.deployment_slot,
            self.deployment_name,
            asm_conn_id=self.asm_conn_id,
            deadline=deadline,
            poll_interval=float(self.poke_interval),
        )

"""Wait for a deployment to be Running with every role instance ``ReadyRole``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider.triggers._deployment_target import (
    check_deployment_target,
    is_service_missing,
    missing_deployment_result,
)
from airflow_sm_provider.triggers.base import DEFAULT_POLL_INTERVAL, AsmPollTrigger

if TYPE_CHECKING:
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient
    from airflow_sm_provider.client.polling import PollResult

__all__ = [
    "AsmDeploymentReadyTrigger",
    "check_deployment_target",
    "is_service_missing",
    "missing_deployment_result",
]


class AsmDeploymentReadyTrigger(AsmPollTrigger):
    """Poll the deployment until Running with every instance ``ReadyRole``.

    Fails fast (``failed`` event, ``error_code`` = the instance state) when an instance is in
    ``FailedStartingRole`` / ``FailedStartingVM``. An empty slot (or a deployment name not there
    yet) is "not ready yet", not an error; a missing cloud service is an error.

    :param service_name: the cloud service (hosted service) name.
    :param deployment_slot: ``production`` or ``staging``; give this or ``deployment_name``.
    :param deployment_name: the deployment's name; give this or ``deployment_slot``.
    :param asm_conn_id: the Airflow connection id.
    :param deadline: absolute epoch seconds; past it the event is ``timeout``.
    :param poll_interval: seconds between checks.
    """

    def __init__(
        self,
        service_name: str,
        deployment_slot: str | None = None,
        deployment_name: str | None = None,
        *,
        asm_conn_id: str = "asm_default",
        deadline: float,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        super().__init__(asm_conn_id=asm_conn_id, deadline=deadline, poll_interval=poll_interval)
        self.service_name = service_name
        self.deployment_slot = check_deployment_target(deployment_slot, deployment_name)
        self.deployment_name = deployment_name

    @property
    def serialized_fields(self) -> dict[str, Any]:
        """Service name plus the slot or the deployment name."""
        return {
            "service_name": self.service_name,
            "deployment_slot": self.deployment_slot,
            "deployment_name": self.deployment_name,
        }

    async def fetch(self, client: AsyncServiceManagementClient) -> Any:
        """Get Deployment by slot or name; None when there is no such deployment (yet)."""
        from airflow_sm_provider.client.errors import NotFoundError

        try:
            if self.deployment_slot:
                return await client.get_deployment_by_slot(self.service_name, self.deployment_slot)
            return await client.get_deployment_by_name(self.service_name, str(self.deployment_name))
        except NotFoundError as exc:
            if is_service_missing(exc):
                raise
            return None

    def condition(self, value: Any) -> PollResult:
        """The shared deployment-ready condition; a missing deployment is "not ready yet"."""
        from airflow_sm_provider.client.polling import deployment_ready_condition

        if value is None:
            return missing_deployment_result(self.service_name, self.deployment_slot, self.deployment_name)
        return deployment_ready_condition(value)

"""Wait for deployments to reach a state: ready, settled, or "the slot holds X, and then ...".

One trigger for every deployment wait (the sensor's, the operators' settle waits, the guarded
swap's lock wait and post-flip verification, the rolling upgrade's domain waits): it fetches the
listed slots or deployments and judges each with a named condition of ``client.polling``, so all
of them share one readiness rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

from airflow_sm_provider.triggers._deployment_target import check_deployment_target, fetch_deployment
from airflow_sm_provider.triggers.base import AsmPollTrigger, PollTriggerArgs

if TYPE_CHECKING:
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient
    from airflow_sm_provider.client.polling import PollResult

__all__ = ["AsmDeploymentReadyTrigger", "AsmDeploymentTrigger", "DeploymentCheck", "check_deployment_target"]

#: One check: ``{"slot": "staging"} | {"name": "v2"}``, ``"condition": "ready" | "settled"``,
#: optional ``"expected"`` (the deployment the slot must hold).
DeploymentCheck = dict[str, Any]


def judge_deployments(service_name: str, checks: list[DeploymentCheck], values: list[Any]) -> PollResult:
    """Each fetched deployment judged by its check's named condition; combined with ``all_of``."""
    from dataclasses import replace

    from airflow_sm_provider.client.polling import all_of, deployment_condition

    results = []
    for check, value in zip(checks, values, strict=True):
        where = f"slot {check['slot']}" if check.get("slot") else f"deployment {check.get('name')}"
        condition = deployment_condition(
            check.get("condition", "ready"), check.get("expected"), check.get("upgrade_domain")
        )
        result = condition(value)
        if value is None and not result.done:
            result = replace(result, message=f"cloud service {service_name} has no {where} yet")
        elif len(checks) > 1:
            result = replace(result, message=f"{where}: {result.message}")
        results.append(result)
    return all_of(results)


class AsmDeploymentTrigger(AsmPollTrigger):
    """Poll one or more deployments of a cloud service until every check holds (or one fails).

    :param service_name: the cloud service.
    :param checks: what to wait for, e.g. ``[{"slot": "staging", "condition": "ready", "expected":
        "v2"}, {"slot": "production", "condition": "settled"}]``.
    :param asm_conn_id: the Airflow connection id.
    :param deadline: absolute epoch seconds; past it the event is ``timeout``.
    :param poll_interval: steady seconds between checks.
    """

    def __init__(
        self,
        service_name: str,
        checks: list[DeploymentCheck],
        **wait: Unpack[PollTriggerArgs],
    ) -> None:
        super().__init__(**wait)
        if not checks:
            raise ValueError("AsmDeploymentTrigger needs at least one check")
        for check in checks:
            check_deployment_target(check.get("slot"), check.get("name"))
        self.service_name = service_name
        self.checks = [dict(c) for c in checks]

    @property
    def serialized_fields(self) -> dict[str, Any]:
        """Service name and the checks."""
        return {"service_name": self.service_name, "checks": self.checks}

    def description(self) -> str:
        parts = [
            f"{c.get('slot') or c.get('name')} {c.get('condition', 'ready')}"
            + (f" holding {c['expected']}" if c.get("expected") else "")
            for c in self.checks
        ]
        return self.what or f"cloud service {self.service_name}: {', '.join(parts)}"

    async def fetch(self, client: AsyncServiceManagementClient) -> Any:
        """Get each listed deployment (None for an empty slot)."""
        return [
            await fetch_deployment(client, self.service_name, c.get("slot"), c.get("name"))
            for c in self.checks
        ]

    def condition(self, value: Any) -> PollResult:
        """Every check's named condition (see ``client.polling.CONDITIONS``)."""
        return judge_deployments(self.service_name, self.checks, value)


class AsmDeploymentReadyTrigger(AsmDeploymentTrigger):
    """Poll the deployment until Running with every instance ``ReadyRole`` (the readiness rule of
    ``client.polling.readiness``: hopeless states end the wait at once with a ``failed`` event whose
    ``error_code`` is the deciding state). An empty slot (or a deployment name not there yet) is "not
    ready yet", not an error; a missing cloud service is an error.

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
        **wait: Unpack[PollTriggerArgs],
    ) -> None:
        slot = check_deployment_target(deployment_slot, deployment_name)
        target: DeploymentCheck = {"slot": slot} if slot else {"name": deployment_name}
        super().__init__(
            service_name,
            [{**target, "condition": "ready"}],
            **wait,
        )
        self.deployment_slot = slot
        self.deployment_name = deployment_name

    @property
    def serialized_fields(self) -> dict[str, Any]:
        """Service name plus the slot or the deployment name."""
        return {
            "service_name": self.service_name,
            "deployment_slot": self.deployment_slot,
            "deployment_name": self.deployment_name,
        }

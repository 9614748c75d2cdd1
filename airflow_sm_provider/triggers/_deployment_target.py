"""What a deployment target is: "exactly one of slot / name", and how a missing one reads.

Shared by ``AsmDeploymentReadyTrigger`` and ``AsmDeploymentReadySensor``. Kept apart from
``triggers/deployment.py`` because the sensor checks its arguments at construction (DAG parse) and
must not import trigger classes (and with them ``airflow.triggers.base``) to do so (issue 6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_sm_provider.client.polling import PollResult

__all__ = ["SLOTS", "check_deployment_target", "is_service_missing", "missing_deployment_result"]

SLOTS = ("production", "staging")


def check_deployment_target(deployment_slot: str | None, deployment_name: str | None) -> str | None:
    """Validate "exactly one of slot / name"; return the slot normalised to lower case.

    :param deployment_slot: ``production`` or ``staging`` (any case), or None.
    :param deployment_name: the deployment's name, or None.
    """
    if bool(deployment_slot) == bool(deployment_name):
        raise ValueError(
            "Give exactly one of deployment_slot (production | staging) or deployment_name, "
            f"got deployment_slot={deployment_slot!r}, deployment_name={deployment_name!r}."
        )
    if deployment_slot is None:
        return None
    slot = deployment_slot.strip().lower()
    if slot not in SLOTS and "{{" not in deployment_slot:
        raise ValueError(f"deployment_slot must be 'production' or 'staging', got {deployment_slot!r}.")
    return slot


def is_service_missing(exc: Exception) -> bool:
    """True when a 404 means the cloud service itself is missing (an error, unlike an empty slot)."""
    return "hosted service does not exist" in (getattr(exc, "message", "") or str(exc)).lower()


def missing_deployment_result(
    service_name: str, deployment_slot: str | None, deployment_name: str | None
) -> PollResult:
    """Not-ready verdict for "no deployment there (yet)": an empty slot is a state, not an error."""
    from airflow_sm_provider.client.polling import PollResult

    where = f"slot {deployment_slot}" if deployment_slot else f"deployment {deployment_name}"
    return PollResult(
        False,
        False,
        f"cloud service {service_name} has no {where} yet",
        {
            "deployment_slot": deployment_slot or "",
            "deployment_name": deployment_name or "",
            "instances_ready": 0,
            "instances_total": 0,
        },
    )

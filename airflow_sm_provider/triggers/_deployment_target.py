"""What a deployment target is: "exactly one of slot / name", and when a 404 is an error.

Shared by the deployment triggers and ``AsmDeploymentReadySensor``. Kept apart from
``triggers/deployment.py`` because the sensor checks its arguments at construction (DAG parse) and
must not import trigger classes (and with them ``airflow.triggers.base``) to do so (issue 6).
"""

from __future__ import annotations

__all__ = ["SLOTS", "check_deployment_target", "is_service_missing"]

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

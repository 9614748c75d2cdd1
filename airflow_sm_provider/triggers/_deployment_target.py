"""What a deployment target is: "exactly one of slot / name", how it is read, when a 404 is an error.

Shared by the deployment triggers, the release steps (``triggers/release.ReleaseIO``) and
``AsmDeploymentReadySensor``: one fetch of a target, sync (:func:`get_deployment`) and async
(:func:`fetch_deployment`), so every wait judges the same value by the one readiness rule of
``client.polling``. Kept apart from ``triggers/deployment.py`` because the sensor checks its arguments
at construction (DAG parse) and must not import trigger classes (and with them
``airflow.triggers.base``) to do so (issue 6); the client's error class is imported on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SLOTS", "check_deployment_target", "fetch_deployment", "get_deployment", "is_service_missing"]

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


def _get(client: Any, service_name: str, slot: str | None, name: str | None) -> Any:
    """The Get Deployment call of a target: its value (sync client) or its awaitable (async client)."""
    if slot:
        return client.get_deployment_by_slot(service_name, slot)
    return client.get_deployment_by_name(service_name, str(name))


def _raise_if_service_missing(exc: Exception) -> None:
    """A 404 is a state (no such deployment: an empty slot) unless the cloud service itself is missing."""
    if is_service_missing(exc):
        raise exc


def get_deployment(client: Any, service_name: str, slot: str | None, name: str | None) -> Any:
    """The deployment in ``slot`` (or named ``name``), or None when there is none (sync client)."""
    from airflow_sm_provider.client.errors import NotFoundError

    try:
        return _get(client, service_name, slot, name)
    except NotFoundError as exc:
        _raise_if_service_missing(exc)
        return None


async def fetch_deployment(client: Any, service_name: str, slot: str | None, name: str | None) -> Any:
    """Async twin of :func:`get_deployment` (the same call and the same reading of a 404)."""
    from airflow_sm_provider.client.errors import NotFoundError

    try:
        return await _get(client, service_name, slot, name)
    except NotFoundError as exc:
        _raise_if_service_missing(exc)
        return None

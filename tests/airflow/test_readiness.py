"""The readiness table: every deployment status and instance state through the sensor, the trigger and
the guarded swap's gate, which must give the same answer (issue 12: they used to disagree on
``UnresponsiveRole`` and ``Suspended``). docs/blue-green.md "What ready and hopeless mean" is this table.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace as NS
from typing import Any

import pytest

from airflow_sm_provider import protocol

READY, WAIT, HOPELESS = "ready", "wait", "hopeless"

#: Instance state -> verdict for an unlocked Running deployment whose other instance is ReadyRole.
INSTANCE_TABLE = {
    "ReadyRole": READY,
    "RoleStateUnknown": WAIT,
    "CreatingVM": WAIT,
    "StartingVM": WAIT,
    "CreatingRole": WAIT,
    "StartingRole": WAIT,
    "BusyRole": WAIT,
    "RestartingRole": WAIT,
    "Preparing": WAIT,
    "CyclingRole": HOPELESS,
    "UnresponsiveRole": HOPELESS,
    "FailedStartingRole": HOPELESS,
    "FailedStartingVM": HOPELESS,
    "StoppingRole": HOPELESS,
    "StoppingVM": HOPELESS,
    "StoppedVM": HOPELESS,
    "StoppedDeallocated": HOPELESS,
    "DeletingVM": HOPELESS,
}
#: Deployment status -> verdict (unlocked, every instance ReadyRole).
STATUS_TABLE = {
    "Running": READY,
    "RunningTransitioning": WAIT,
    "SuspendedTransitioning": WAIT,
    "Starting": WAIT,
    "Deploying": WAIT,
    "Suspended": HOPELESS,
    "Suspending": HOPELESS,
    "Deleting": HOPELESS,
}


def test_the_tables_cover_every_state_of_the_protocol() -> None:
    assert set(INSTANCE_TABLE) == set(protocol.INSTANCE_STATUSES)
    assert set(STATUS_TABLE) == set(protocol.DEPLOYMENT_STATUSES)


def dep(status: str = "Running", state: str = "ReadyRole", *, locked: bool = False) -> Any:
    instances = [
        NS(role_name="WebRole", instance_name="WebRole_IN_0", instance_status="ReadyRole"),
        NS(role_name="WebRole", instance_name="WebRole_IN_1", instance_status=state),
    ]
    return NS(
        name="v2",
        status=status,
        deployment_slot="Staging",
        locked=locked,
        label="v2",
        url="https://h/",
        role_instance_list=instances,
    )


class FakeClient:
    """Answers Get Deployment with one deployment in staging and nothing in production."""

    def __init__(self, staging: Any) -> None:
        self.staging = staging

    def _get(self, slot: str) -> Any:
        from airflow_sm_provider.client.errors import NotFoundError

        if slot.lower() == "staging":
            return self.staging
        raise NotFoundError("No deployments were found.", status_code=404, code=protocol.ERR_NOT_FOUND)

    def get_deployment_by_slot(self, service: str, slot: str) -> Any:
        return self._get(slot)


class AsyncFakeClient(FakeClient):
    async def get_deployment_by_slot(self, service: str, slot: str) -> Any:  # type: ignore[override]
        return self._get(slot)


def _verdict(outcome: str) -> str:
    return {"success": READY, "failed": HOPELESS, "waiting": WAIT, "timeout": WAIT}[outcome]


def through_sensor(d: Any) -> str:
    from airflow_sm_provider.sensors.deployment import AsmDeploymentReadySensor

    sensor = AsmDeploymentReadySensor(task_id="s", service_name="svc", deployment_slot="staging")
    return _verdict(sensor.check(FakeClient(d)).outcome.value)  # type: ignore[arg-type]


def through_trigger(d: Any) -> str:
    from airflow_sm_provider.triggers.deployment import AsmDeploymentReadyTrigger

    trigger = AsmDeploymentReadyTrigger("svc", "staging", deadline=time.time() + 60)
    value = asyncio.run(trigger.fetch(AsyncFakeClient(d)))  # type: ignore[arg-type]
    return _verdict(trigger.condition(value).outcome.value)


def through_gate(d: Any) -> str:
    """The guarded swap's own gate: its lock-wait step, run once (deadline now) by the step runner."""
    import ssl

    from airflow_sm_provider.triggers.release import ReleaseIO, run_steps_sync

    lock_wait = {
        "kind": "deployments",
        "name": "lock_wait",
        "checks": [
            {"slot": "staging", "condition": "ready", "expected": "v2"},
            {"slot": "production", "condition": "settled"},
        ],
        "deadline": time.time() - 1,
    }
    io = ReleaseIO("svc", ssl.create_default_context(), client=FakeClient(d))
    (outcome,) = run_steps_sync([lock_wait], io)
    return _verdict(outcome["outcome"])


PATHS = [through_sensor, through_trigger, through_gate]


@pytest.mark.parametrize(("state", "expected"), sorted(INSTANCE_TABLE.items()))
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
def test_instance_states(state: str, expected: str, path: Any) -> None:
    assert path(dep(state=state)) == expected


@pytest.mark.parametrize(("status", "expected"), sorted(STATUS_TABLE.items()))
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
def test_deployment_statuses(status: str, expected: str, path: Any) -> None:
    assert path(dep(status=status)) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (dep("Suspended", locked=True), WAIT),  # an operation (e.g. a start) is moving it
        (dep(state="StoppedVM", locked=True), WAIT),  # a reboot or shutdown in progress
        (dep(state="UnresponsiveRole", locked=True), WAIT),
        (dep(state="FailedStartingRole", locked=True), HOPELESS),  # failed to start: even when locked
        (
            NS(name="v2", status="Running", deployment_slot="Staging", locked=False, role_instance_list=[]),
            WAIT,
        ),
    ],
    ids=["suspended-locked", "stopped-locked", "unresponsive-locked", "failedstart-locked", "no-instances"],
)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
def test_locks_and_edges(d: Any, expected: str, path: Any) -> None:
    assert path(d) == expected

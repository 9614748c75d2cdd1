"""Triggers: serialization round trip, and run() against the emulator over real mTLS.

Each run() is driven to its end with ``asyncio.run`` as the triggerer would: the trigger must
yield exactly one event. Blocking work (certificate loading, SSL context) must run off the loop:
checked by thread identity, not by timing.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from typing import Any

import pytest
from harness import (
    add_fault,
    asm_connection_json,
    clear_faults,
    conn_env,
    create_deployment,
    create_service,
    start_storage_create,
)

from airflow_sm_provider.triggers import base as trigger_base
from airflow_sm_provider.triggers.base import AsmPollTrigger
from airflow_sm_provider.triggers.deployment import AsmDeploymentReadyTrigger
from airflow_sm_provider.triggers.operation import AsmOperationTrigger


def run_trigger(trigger: AsmPollTrigger) -> list[dict[str, Any]]:
    """Run a trigger to completion after a serialize/rebuild round trip; return its events."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)

    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in rebuilt.run()]

    return asyncio.run(collect())


@pytest.fixture(autouse=True)
def _no_faults(asm_endpoint: dict[str, Any]) -> Any:
    clear_faults(asm_endpoint)
    yield
    clear_faults(asm_endpoint)


# --- serialization -------------------------------------------------------------------------------
def test_operation_trigger_serialize_round_trip() -> None:
    trigger = AsmOperationTrigger("ab" * 16, asm_conn_id="c1", deadline=1234.5, poll_interval=7)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_sm_provider.triggers.operation.AsmOperationTrigger"
    assert kwargs == {
        "asm_conn_id": "c1",
        "deadline": 1234.5,
        "poll_interval": 7.0,
        "request_id": "ab" * 16,
        "what": "",
        "carry": {},
    }
    assert AsmOperationTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_deployment_trigger_serialize_round_trip() -> None:
    trigger = AsmDeploymentReadyTrigger("svc", deployment_slot="Staging", deadline=99.0)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_sm_provider.triggers.deployment.AsmDeploymentReadyTrigger"
    assert kwargs["deployment_slot"] == "staging" and kwargs["deployment_name"] is None
    assert AsmDeploymentReadyTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_airflow_serde_accepts_kwargs() -> None:
    from airflow.serialization.serialized_objects import BaseSerialization

    _, kwargs = AsmDeploymentReadyTrigger("svc", deployment_name="d1", deadline=5.0).serialize()
    assert BaseSerialization.deserialize(BaseSerialization.serialize(kwargs)) == kwargs


@pytest.mark.parametrize(
    ("slot", "name", "needle"),
    [(None, None, "exactly one"), ("staging", "d", "exactly one"), ("blue", None, "production")],
)
def test_deployment_trigger_validates_target(slot: str | None, name: str | None, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        AsmDeploymentReadyTrigger("svc", deployment_slot=slot, deployment_name=name, deadline=1.0)


def test_poll_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        AsmOperationTrigger("x", deadline=1.0, poll_interval=0)


# --- operation trigger against the emulator ------------------------------------------------------
def test_operation_success(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    request_id = start_storage_create(asm_endpoint)
    events = run_trigger(AsmOperationTrigger(request_id, deadline=time.time() + 60, poll_interval=0.05))
    assert len(events) == 1
    assert events[0]["status"] == "success"
    assert events[0]["request_id"] == request_id
    assert events[0]["operation_status"] == "Succeeded"
    assert "error_code" not in events[0]


def test_operation_failed_carries_asm_code(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    request_id = start_storage_create(asm_endpoint, fail_with="StorageQuotaExceeded")
    events = run_trigger(AsmOperationTrigger(request_id, deadline=time.time() + 60, poll_interval=0.05))
    assert len(events) == 1
    assert events[0]["status"] == "failed"
    assert events[0]["error_code"] == "StorageQuotaExceeded"
    assert "StorageQuotaExceeded" in events[0]["message"]


def test_throttling_does_not_end_the_wait(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    # max_retries=0: the client does not retry, so every 429/409/503 reaches the polling loop.
    request_id = start_storage_create(asm_endpoint)
    add_fault(asm_endpoint, action="429", path="/operations/", count=3, retry_after=0)
    add_fault(asm_endpoint, action="409", path="/operations/", count=1)
    add_fault(asm_endpoint, action="503", path="/operations/", count=1, retry_after=0)
    with conn_env("asm_noretry", asm_connection_json(asm_endpoint, max_retries=0)):
        events = run_trigger(
            AsmOperationTrigger(
                request_id, asm_conn_id="asm_noretry", deadline=time.time() + 120, poll_interval=0.05
            )
        )
    assert [e["status"] for e in events] == ["success"]
    assert _fired(asm_endpoint) == 5


def _fired(endpoint: dict[str, Any]) -> int:
    from airflow_sm_provider.emulator.pytest_plugin import admin_session

    with admin_session(endpoint) as session:
        rules = session.get(endpoint["admin_url"] + "faults", timeout=10).json()["rules"]
    return sum(int(r["fired"]) for r in rules)


def test_deadline_gives_timeout_event(asm_emulator_factory: Any) -> None:
    slow = asm_emulator_factory(speed=1.0)  # create storage takes ~21 s here
    ep = slow.endpoint
    with conn_env("asm_slow", asm_connection_json(ep)):
        request_id = start_storage_create(ep)
        events = run_trigger(
            AsmOperationTrigger(
                request_id, asm_conn_id="asm_slow", deadline=time.time() + 0.3, poll_interval=0.1
            )
        )
    assert len(events) == 1
    assert events[0]["status"] == "timeout"
    assert events[0]["request_id"] == request_id
    assert "timed out" in events[0]["message"]


def test_unknown_operation_is_failed_with_type(asm_conn_id: str) -> None:
    events = run_trigger(AsmOperationTrigger("0" * 32, deadline=time.time() + 30, poll_interval=0.05))
    assert len(events) == 1
    assert events[0]["status"] == "failed"
    assert events[0]["error_type"] == "NotFoundError"


def test_bad_connection_is_failed_with_type(asm_endpoint: dict[str, Any]) -> None:
    with conn_env("asm_broken", asm_connection_json(asm_endpoint, certificate_path=None)):
        events = run_trigger(
            AsmOperationTrigger("0" * 32, asm_conn_id="asm_broken", deadline=time.time() + 5)
        )
    assert [e["status"] for e in events] == ["failed"]
    assert events[0]["error_type"] == "InvalidInputError"  # a ValueError naming the field
    assert "certificate_path" in events[0]["message"]


# --- deployment trigger --------------------------------------------------------------------------
def test_deployment_ready(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    service, name = create_deployment(asm_endpoint, slot="staging", count=3)
    events = run_trigger(
        AsmDeploymentReadyTrigger(
            service, deployment_slot="staging", deadline=time.time() + 60, poll_interval=0.05
        )
    )
    assert len(events) == 1
    event = events[0]
    assert event["status"] == "success", event
    assert event["instances_ready"] == event["instances_total"] == 3
    assert event["deployment_name"] == name and event["service_name"] == service


def test_deployment_ready_by_name(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    service, name = create_deployment(asm_endpoint, slot="production", count=1)
    events = run_trigger(
        AsmDeploymentReadyTrigger(
            service, deployment_name=name, deadline=time.time() + 60, poll_interval=0.05
        )
    )
    assert [e["status"] for e in events] == ["success"]


def test_deployment_fails_fast_on_failed_starting_role(
    asm_conn_id: str, asm_endpoint: dict[str, Any]
) -> None:
    service, _ = create_deployment(asm_endpoint, slot="production", health="fail-start")
    events = run_trigger(
        AsmDeploymentReadyTrigger(
            service, deployment_slot="production", deadline=time.time() + 600, poll_interval=0.05
        )
    )
    assert len(events) == 1
    assert events[0]["status"] == "failed"
    assert events[0]["error_code"] == "FailedStartingRole"


def test_empty_slot_is_not_ready_then_timeout(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    service = create_service(asm_endpoint)
    events = run_trigger(
        AsmDeploymentReadyTrigger(
            service, deployment_slot="staging", deadline=time.time() + 0.3, poll_interval=0.1
        )
    )
    assert [e["status"] for e in events] == ["timeout"]
    assert "no slot staging" in events[0]["message"]


def test_missing_service_is_an_error(asm_conn_id: str) -> None:
    events = run_trigger(
        AsmDeploymentReadyTrigger(
            "nosuchservice1", deployment_slot="staging", deadline=time.time() + 30, poll_interval=0.05
        )
    )
    assert [e["status"] for e in events] == ["failed"]
    assert events[0]["error_type"] == "NotFoundError"


# --- one async client per (connection, loop) -----------------------------------------------------
def test_concurrent_triggers_share_one_client(asm_conn_id: str, asm_endpoint: dict[str, Any]) -> None:
    ids = [start_storage_create(asm_endpoint) for _ in range(5)]
    seen: set[int] = set()

    async def go() -> list[str]:
        async def one(rid: str) -> str:
            trigger = AsmOperationTrigger(rid, deadline=time.time() + 60, poll_interval=0.05)
            async with trigger_base.shared_async_client(asm_conn_id) as client:
                seen.add(id(client))
                events = [e.payload async for e in trigger.run()]
                return str(events[0]["status"])

        return await asyncio.gather(*(one(r) for r in ids))

    assert asyncio.run(go()) == ["success"] * 5
    assert len(seen) == 1
    assert not trigger_base._shared  # released and closed by the last user


def test_blocking_client_setup_runs_off_the_event_loop(
    asm_conn_id: str, asm_endpoint: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_sm_provider.hooks import service_management as hook_module

    threads: list[int] = []
    real = hook_module.AsmConnectionSettings.load_credentials

    def spy(self: Any) -> Any:
        threads.append(threading.get_ident())
        return real(self)

    monkeypatch.setattr(hook_module.AsmConnectionSettings, "load_credentials", spy)
    request_id = start_storage_create(asm_endpoint)
    loop_thread: list[int] = []

    async def go() -> list[dict[str, Any]]:
        loop_thread.append(threading.get_ident())
        trigger = AsmOperationTrigger(request_id, deadline=time.time() + 60, poll_interval=0.05)
        return [e.payload async for e in trigger.run()]

    assert [e["status"] for e in asyncio.run(go())] == ["success"]
    assert threads and loop_thread[0] not in threads

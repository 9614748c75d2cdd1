"""The guarded swap deferred, and resumed after crashes, against the real emulator over mTLS.

``dag.test`` runs each deferral's trigger inline (the same trigger code the triggerer runs) and resumes
the task with its event, so these tests drive the whole deferred life cycle: gate in the trigger,
the swap request from the worker, swap + verification + bake in the trigger. A crash is an exception
raised at a seam on try 1 (``retries=1``): try 2 must resume from the task state store without a
second Swap Deployment (counted by the emulator).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from test_blue_green_support import CONFIG, check_names, deploy, ensure_pool, make_client, new_service, slots
from test_operators_helpers import request_counter, requests_seen

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    ensure_pool()
    with make_client(asm_endpoint) as c:
        yield c


def _two_slots(client: Any, *, staging_cscfg: str = "v1.cscfg") -> str:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(client, service, "staging", "v2", staging_cscfg)
    return service


def _dag(dag_id: str, service: str, cls: type = AsmGuardedSwapOperator, **kwargs: Any) -> Any:
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        cls(
            task_id="guarded_swap",
            service_name=service,
            poll_interval=0.1,
            health_interval=0.1,
            bake_interval=0.3,
            retries=1,
            retry_delay=timedelta(0),
            **kwargs,
        )
    return dag


def _run(dag: Any) -> tuple[Any, dict[str, Any]]:
    dr = run_dag(dag)
    return dr, xcom_value(dr, "guarded_swap", "release_report")


def test_deferred_release_swaps_bakes_and_reports_the_contract_shape(client: Any, asm_emulator: Any) -> None:
    from airflow_sm_provider.release_report import report_problems

    service = _two_slots(client)
    swaps = request_counter(asm_emulator, "swap_deployment")
    dr, report = _run(_dag("bgd_ok", service, deferrable=True, expected_new_deployment="v2", bake_seconds=1))
    assert dr.state == "success", task_states(dr)
    assert slots(client, service) == {"production": "v2", "staging": "v1"}
    assert requests_seen(asm_emulator, swaps) == 1
    assert report_problems(report) == []
    assert report["strategy"] == "vip_swap" and report["outcome"] == "released"
    assert report["swap_outcome"] == "swapped" and report["old_production"] == "v1"
    checks = check_names(report)
    assert checks["no_operation_in_flight"] and checks["staging_health"] and checks["swap_operation"]
    assert checks["production_ready"] and checks["production_health"] and checks["bake"]
    samples = [c for c in report["checks"] if c["name"].startswith("bake_health_")]
    assert len(samples) >= 2 and all(c["ok"] for c in samples)  # one sample per bake_interval
    steps = {(e["lane"], e["step"]) for e in report["events"]}
    assert {
        ("staging", "gate"),
        ("production", "flip"),
        ("production", "bake"),
        ("production", "sample"),
    } <= steps
    assert xcom_value(dr, "guarded_swap", "swap_report") == report  # today's key stays


def test_deferred_failure_after_swap_swaps_back(client: Any, asm_emulator: Any) -> None:
    service = _two_slots(client, staging_cscfg="v3-fails-in-production.cscfg")
    swaps = request_counter(asm_emulator, "swap_deployment")
    dr, report = _run(_dag("bgd_back", service, deferrable=True, expected_new_deployment="v2"))
    assert dr.state == "failed"
    assert task_states(dr)["guarded_swap"] == "failed"
    assert slots(client, service) == {"production": "v1", "staging": "v2"}
    assert requests_seen(asm_emulator, swaps) == 2  # the swap and the swap back, no more
    assert report["outcome"] == "rolled_back" and report["swap_outcome"] == "rolled_back"
    checks = check_names(report)
    assert (
        checks["production_health"] is False and checks["swap_back_operation"] and checks["rollback_restored"]
    )
    assert any(e["step"] == "swap_back" for e in report["events"])


def test_refused_release_reports_the_production_it_left_alone(client: Any) -> None:
    """Regression (issue 12): a refused release recorded "old_production": null although v1 was live."""
    service = _two_slots(client, staging_cscfg="v3-broken.cscfg")
    dr, report = _run(_dag("bgd_refused", service, deferrable=True, expected_new_deployment="v2"))
    assert dr.state == "failed"
    assert report["outcome"] == "refused" and report["before"]["production"]["name"] == "v1"
    assert report["old_production"] == "v1"
    assert slots(client, service) == {"production": "v1", "staging": "v2"}


TRIES: list[int] = []


class CrashBeforeFlip(AsmGuardedSwapOperator):
    def before_flip(self) -> None:
        TRIES.append(self.context["ti"].try_number)
        if self.context["ti"].try_number == 1:
            raise RuntimeError("simulated worker crash right before the swap request")


class CrashAfterFlip(AsmGuardedSwapOperator):
    def after_flip(self) -> None:
        TRIES.append(self.context["ti"].try_number)
        if self.context["ti"].try_number == 1:
            raise RuntimeError("simulated worker crash right after the swap request")


class CrashMidBake(AsmGuardedSwapOperator):
    """The worker dies while it bakes (sync mode: the bake runs in the worker)."""

    def _open(self, context: Any) -> None:
        super()._open(context)
        progress = self.io.progress

        def crash_mid_bake(message: str) -> None:
            progress(message)
            if context["ti"].try_number == 1 and "bake sample 2" in message:
                TRIES.append(1)
                raise RuntimeError("simulated worker crash mid-bake")

        self.io.progress = crash_mid_bake  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("cls", "deferrable"),
    [(CrashBeforeFlip, True), (CrashAfterFlip, True), (CrashAfterFlip, False), (CrashMidBake, False)],
    ids=["before-flip", "after-flip", "after-flip-sync", "mid-bake-sync"],
)
def test_a_crash_resumes_without_a_second_swap(
    client: Any, asm_emulator: Any, cls: type, deferrable: bool
) -> None:
    TRIES.clear()
    service = _two_slots(client)
    swaps = request_counter(asm_emulator, "swap_deployment")
    dag = _dag(
        f"bgd_crash_{cls.__name__}_{deferrable}",
        service,
        cls,
        deferrable=deferrable,
        expected_new_deployment="v2",
        bake_seconds=1.5,
    )
    dr, report = _run(dag)
    assert dr.state == "success", task_states(dr)
    assert 1 in TRIES  # the crash did happen
    assert requests_seen(asm_emulator, swaps) == 1  # ... and the retry did not swap again
    assert slots(client, service) == {"production": "v2", "staging": "v1"}
    assert report["outcome"] == "released" and report["old_production"] == "v1"
    assert any(e["step"] == "resume" for e in report["events"])
    assert check_names(report)["bake"]


def test_a_triggerer_restart_mid_bake_reruns_only_reads(
    client: Any, asm_emulator: Any, asm_conn_id: str
) -> None:
    """The bake trigger is cancelled mid-bake (triggerer died) and re-created from its serialized form:
    it finishes with success and sends nothing (only reads: no swap is ever sent by a trigger)."""
    import asyncio

    from airflow_sm_provider.triggers.release import AsmReleaseTrigger

    service = _two_slots(client)
    client.swap_deployment(service, "v1", "v2").wait(timeout=60, poll_interval=0.05)
    health = {
        "url": "{deployment_url}health",
        "headers": {},
        "expected_status": [200],
        "body_contains": None,
        "retries": 2,
        "timeout": 5.0,
        "interval": 0.1,
    }
    steps = [
        {
            "kind": "bake",
            "name": "bake",
            "slot": "production",
            "expected": "v2",
            "health": health,
            "seconds": 1.0,
            "interval": 0.2,
        }
    ]
    trigger = AsmReleaseTrigger(
        service, steps, asm_conn_id=asm_conn_id, poll_interval=0.1, carry={"phase": "flipped"}
    )
    swaps = request_counter(asm_emulator, "swap_deployment")

    async def first_then_cancel() -> None:
        task = asyncio.ensure_future(trigger.run().__anext__())
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(first_then_cancel())
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_sm_provider.triggers.release.AsmReleaseTrigger"
    again = AsmReleaseTrigger(**kwargs)

    async def collect() -> list[Any]:
        return [e.payload async for e in again.run()]

    (event,) = asyncio.run(collect())
    assert event["status"] == "success" and event["phase"] == "flipped"
    assert event["steps"][0]["samples"] and all(s["ok"] for s in event["steps"][0]["samples"])
    assert requests_seen(asm_emulator, swaps) == 0


def test_health_check_pointed_at_the_app_with_body_check(client: Any) -> None:
    service = _two_slots(client)
    dr, report = _run(
        _dag(
            "bgd_body",
            service,
            deferrable=True,
            expected_new_deployment="v2",
            health_url="{deployment_url}health",
            expected_status=[200, 204],
            health_body_contains="definitely-not-in-the-body",
            health_retries=2,
        )
    )
    assert dr.state == "failed"
    assert report["outcome"] == "refused" and check_names(report)["staging_health"] is False
    assert "lacks 'definitely-not-in-the-body'" in next(
        c["detail"] for c in report["checks"] if c["name"] == "staging_health"
    )
    assert slots(client, service) == {"production": "v1", "staging": "v2"}


assert CONFIG.is_dir()


class CrashBeforeRequestIdSaved(AsmGuardedSwapOperator):
    """The worker dies after ASM accepted the swap but before its request id reached the task state."""

    def remember_request(self, key: str, request_id: str | None) -> None:
        if key == "swap_request_id" and self.context["ti"].try_number == 1:
            TRIES.append(1)
            raise RuntimeError("simulated worker crash before the swap's request id was saved")
        super().remember_request(key, request_id)


def test_a_swap_sent_without_its_request_id_saved_is_never_sent_again(client: Any, asm_emulator: Any) -> None:
    """Without expected_new_deployment and with retries left, the worst case: the resumed try finds
    the slots locked or swapped by its own unsaved swap. It must not refuse-and-forget (a later try
    would then swap v1 back in): one Swap Deployment in all, whatever the timing."""
    from airflow.sdk import DAG

    TRIES.clear()
    service = _two_slots(client)
    swaps = request_counter(asm_emulator, "swap_deployment")
    with DAG("bgd_crash_unsaved_rid", schedule=None, start_date=START, catchup=False) as dag:
        CrashBeforeRequestIdSaved(
            task_id="guarded_swap",
            service_name=service,
            poll_interval=0.1,
            health_interval=0.1,
            bake_interval=0.3,
            bake_seconds=0.5,
            retries=2,
            retry_delay=timedelta(0),
            deferrable=False,
        )
    dr, report = _run(dag)
    client.get_deployment_by_slot(service, "production")  # the emulator settles what was in flight
    assert TRIES == [1]
    assert requests_seen(asm_emulator, swaps) == 1
    if dr.state == "success":  # the resumed try saw the swap done: verified, not sent again
        assert report["outcome"] == "released"
    else:  # it saw the swap in flight: final, says so, and no third try swapped back
        assert "may have sent the swap" in report["message"], report["message"]


@pytest.mark.parametrize("seen", [("v1", "v2", True), ("v1", None, False)], ids=["locked", "changed"])
def test_a_resumed_flip_with_an_unsaved_swap_ends_final(seen: tuple[str, str | None, bool]) -> None:
    """The timing the test above cannot force: the resumed try finds its intent saved, no request
    id, and the slots locked (its own swap in flight) or changed. That must end final, never
    "refused" (retryable, and it forgets the task state, so a later try could swap again)."""
    from types import SimpleNamespace

    from airflow_sm_provider.release_report import ReleaseRecorder

    prod_name, stag_name, locked = seen
    op = AsmGuardedSwapOperator(task_id="t", service_name="svc", deferrable=False)
    op.recorder = ReleaseRecorder("vip_swap", "svc", report=op.new_report())
    op.state = {"gate": {"production": "v1", "staging": "v2"}, "intent": {"old": "v1", "new": "v2"}}
    slot = {n: SimpleNamespace(name=n, locked=locked) for n in ("v1", "v2")}
    op._slots = lambda: (slot[prod_name], slot.get(stag_name) if stag_name else None)  # type: ignore[method-assign]
    done = op.phase_flip(None)
    assert done.final and done.outcome == "failed", done
    assert "may have sent the swap" in done.message


def _resumed_swap_op(prod: str, stag: str, *, locked: bool, **state: Any) -> AsmGuardedSwapOperator:
    from types import SimpleNamespace

    from airflow_sm_provider.release_report import ReleaseRecorder

    op = AsmGuardedSwapOperator(task_id="t", service_name="svc", deferrable=False)
    op.recorder = ReleaseRecorder("vip_swap", "svc", report=op.new_report())
    op.state = {"intent": {"old": "v1", "new": "v2"}, **state}
    slot = {n: SimpleNamespace(name=n, locked=locked) for n in ("v1", "v2")}
    op._slots = lambda: (slot[prod], slot[stag])  # type: ignore[method-assign]
    return op


def test_a_resumed_swap_back_is_never_sent_twice() -> None:
    """Intent saved, no request id: done (v1 back in production) -> verify only; locked -> final."""
    done_op = _resumed_swap_op("v1", "v2", locked=False, swap_back_intent=True)
    step = done_op.phase_swap_back(None)
    assert step.phase == "swapped_back" and [s["name"] for s in step.steps] == [
        "restored_ready",
        "restored_production_health",
    ]
    locked = _resumed_swap_op("v2", "v1", locked=True, swap_back_intent=True).phase_swap_back(None)
    assert locked.final and "may have sent the swap back" in locked.message


def test_a_swap_back_whose_restored_production_fails_is_not_called_restored() -> None:
    op = _resumed_swap_op("v1", "v2", locked=False)
    at = "2026-12-01T00:00:00.000+00:00"
    event = {
        "steps": [
            {"name": "swap_back_operation", "ok": True, "message": "done", "at": at, "target": "r"},
            {"name": "restored_ready", "ok": False, "message": "v1 is Running: 0/2 ReadyRole", "at": at},
        ]
    }
    done = op.phase_swapped_back(event)
    assert done.final and done.outcome == "failed" and "production needs attention" in done.message
    assert op.state["swap_outcome"] == "rolled_back_unhealthy" and op.report["rolled_back"] is True


def test_a_swap_back_whose_wait_broke_is_not_called_restored() -> None:
    # The wait after the swap back broke (no step failed; no check ran): not a clean rollback.
    op = _resumed_swap_op("v1", "v2", locked=False)
    event = {
        "status": "failed",
        "message": "ConnectError: triggerer lost ASM",
        "steps": [],
        "error_type": "X",
    }
    done = op.phase_swapped_back(event)
    assert done.final and done.outcome == "failed" and "could not be verified" in done.message
    assert "check production" in done.message and "triggerer lost ASM" in done.message
    assert op.state["swap_outcome"] == "rolled_back_unverified" and op.report["rolled_back"] is False


def test_a_swap_back_seen_done_is_reported_rolled_back_when_its_verification_broke() -> None:
    # Resumed after the swap back was sent (intent, no request id) and production holds v1 again:
    # the swap back is known done, so a broken verification leaves it unverified, yet rolled back.
    op = _resumed_swap_op("v1", "v2", locked=False, swap_back_intent=True)
    step = op.phase_swap_back(None)
    assert step.phase == "swapped_back" and "swap_back_operation" not in [s["name"] for s in step.steps]
    event = {"status": "failed", "message": "ConnectError: lost ASM", "steps": [], "error_type": "X"}
    done = op.phase_swapped_back(event)
    assert op.state["swap_outcome"] == "rolled_back_unverified" and done.outcome == "failed"
    assert op.report["rolled_back"] is True

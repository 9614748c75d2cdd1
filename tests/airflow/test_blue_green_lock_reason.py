"""The guarded swap tells a lock time-out from "staging is not ready" by a typed reason, never by text.

The lock wait (staging ready AND production settled) ends ``timeout`` in both cases. Only a time-out
while an operation held a deployment is "another operation held the deployments"; one where staging
was still starting is "staging is not ready", whatever words the messages use (a deployment may be
called ``unlocked-build``, a message may be reworded). Each case runs the real step runner on fake
deployments, then the operator's own judgement of its outcome.
"""

from __future__ import annotations

import ssl
import time
from types import SimpleNamespace as NS
from typing import Any

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator


def _dep(name: str, slot: str, *, locked: bool = False, state: str = "ReadyRole") -> Any:
    instances = [
        NS(role_name="WebRole", instance_name=f"WebRole_IN_{n}", instance_status=state) for n in (0, 1)
    ]
    return NS(name=name, status="Running", deployment_slot=slot, locked=locked, role_instance_list=instances)


class _Slots:
    """Get Deployment answered from a fixed production and staging."""

    def __init__(self, production: Any, staging: Any) -> None:
        self.by_slot = {"production": production, "staging": staging}

    def get_deployment_by_slot(self, service: str, slot: str) -> Any:
        return self.by_slot[slot.lower()]


def _lock_wait_outcome(client: _Slots, staging: str) -> dict[str, Any]:
    from airflow_sm_provider.triggers.release import ReleaseIO, run_steps_sync

    lock_wait = {
        "kind": "deployments",
        "name": "lock_wait",
        "checks": [
            {"slot": "staging", "condition": "ready", "expected": staging},
            {"slot": "production", "condition": "settled"},
        ],
        "deadline": time.time() - 1,  # one look, then the time-out
    }
    io = ReleaseIO("svc", ssl.create_default_context(), client=client)
    (outcome,) = run_steps_sync([lock_wait], io)
    assert outcome["outcome"] == "timeout", outcome
    return outcome


def _judged(outcome: dict[str, Any], staging: str) -> tuple[Any, dict[str, bool]]:
    """The operator's verdict on the gate's event (the health step never ran: not reached)."""
    from airflow_sm_provider.release_report import ReleaseRecorder

    op = AsmGuardedSwapOperator(task_id="t", service_name="svc", deferrable=False)
    op.recorder = ReleaseRecorder("vip_swap", "svc", report=op.new_report())
    op.state = {"gate": {"production": "v1", "staging": staging}}
    done = op.phase_gated({"status": outcome["outcome"], "message": outcome["message"], "steps": [outcome]})
    return done, {c["name"]: c["ok"] for c in op.report["checks"]}


def test_a_time_out_while_a_deployment_is_locked_is_a_lock_time_out() -> None:
    from airflow_sm_provider.triggers.release import LOCKED

    outcome = _lock_wait_outcome(_Slots(_dep("v1", "Production", locked=True), _dep("v2", "Staging")), "v2")
    assert outcome["reason"] == LOCKED
    done, checks = _judged(outcome, "v2")
    assert done.outcome == "refused" and "another operation held the deployments" in done.message
    assert checks == {"no_operation_in_flight": False}


def test_a_lock_time_out_does_not_depend_on_the_message_words() -> None:
    """A reworded message (no "locked" in it) is still a lock time-out: the reason decides."""
    from airflow_sm_provider.triggers.release import LOCKED

    outcome = _lock_wait_outcome(_Slots(_dep("v1", "Production", locked=True), _dep("v2", "Staging")), "v2")
    outcome["message"] = "timed out; last state: production is held by Update Deployment Status"
    done, _ = _judged({**outcome, "reason": LOCKED}, "v2")
    assert "another operation held the deployments" in done.message


def test_a_not_ready_staging_whose_text_says_locked_is_not_a_lock_time_out() -> None:
    """Nothing locked, staging still starting; its name puts "locked" in the message."""
    name = "unlocked-build"
    outcome = _lock_wait_outcome(
        _Slots(_dep("v1", "Production"), _dep(name, "Staging", state="StartingRole")), name
    )
    assert "locked" in outcome["message"]
    done, checks = _judged(outcome, name)
    assert done.outcome == "refused" and "staging is not ready" in done.message, done.message
    assert "another operation" not in done.message
    assert checks == {"staging_ready": False}

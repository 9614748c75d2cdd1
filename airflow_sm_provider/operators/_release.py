"""The life cycle of a release operator: phases, waits that defer, one memory, one report.

A release (guarded swap, guarded rolling upgrade) is a few decisions and requests separated by long
waits. :class:`AsmReleaseOperator` runs it as named phases on :class:`AsmBaseOperator`'s life cycle:

* a phase method ``phase_<name>(event)`` decides, sends at most one request and returns
  :class:`Next` (the next phase, and the steps to wait for first -- ``triggers/release.py``) or
  :class:`Done` (the outcome);
* a wait runs in the triggerer (``AsmReleaseTrigger``) when ``deferrable``, else in the worker on the
  same step runner -- the worker only decides and sends requests;
* the phase, the pending steps and the report live in the task state store (``OperationMemo``, the
  operators' one task-state memory) from before every request and wait, so a worker or triggerer
  crash at any point resumes at that phase: pending steps are waited for again (their deadlines are
  absolute; a resumed bake starts over, so it is never shorter than asked), a request is never sent
  twice blindly (the phase that sends checks the slots first);
* the report is a :class:`~airflow_sm_provider.release_report.ReleaseRecorder` report, pushed to XCom
  ``release_report`` (and returned) at the end, whatever the outcome.

ASM cannot cancel an operation: :meth:`on_kill` (the base's one kill path) names the in-flight
request, and a retry resumes at the saved phase.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_sm_provider.operators._memo import OperationMemo
from airflow_sm_provider.operators.base import AsmBaseOperator
from airflow_sm_provider.operators.links import keep_for_links

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_sm_provider.release_report import ReleaseRecorder
    from airflow_sm_provider.triggers.release import ReleaseIO

__all__ = ["AsmReleaseOperator", "Done", "Next", "ReleaseStopped"]


@dataclass
class Next:
    """Go to ``phase`` once ``steps`` (possibly none) have been waited for."""

    phase: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    #: Check the steps once in the worker first (no waiting: one read, one health GET); defer only
    #: when that single look does not already pass. For gates that usually pass at once.
    look_first: bool = False
    #: Ask a human first (Airflow's ApprovalOperator): ``{"subject": ..., "body": ...}``; the next
    #: phase receives ``{"status": "success" | "failed", "approved": bool, "by": ..., "timed_out": ...}``.
    approval: dict[str, str] | None = None


@dataclass
class Done:
    """The release ended: ``outcome`` is the report's; ``final`` means a retry must not act again."""

    outcome: str
    message: str
    final: bool = True
    #: Raised instead of Airflow's failure once the report is pushed: a typed error (an
    #: ``InvalidInputError`` naming the argument) that the deployment's state revealed.
    error: Exception | None = None


class ReleaseStopped(Exception):
    """Raised inside a phase to end the release with a report (refused, failed, rolled back)."""

    def __init__(self, done: Done) -> None:
        super().__init__(done.message)
        self.done = done


class AsmReleaseOperator(AsmBaseOperator):
    """Base of the release operators (see the module docstring).

    Subclasses set :attr:`strategy`, implement :meth:`new_report` and the ``phase_*`` methods
    (``phase_start`` first), and may override :meth:`summarise`.
    """

    strategy: ClassVar[str] = "vip_swap"
    service_name: str
    memo_key: ClassVar[str] = "asm_release"

    # --- state ---------------------------------------------------------------------------------
    def validate_inputs(self) -> None:
        """Every release acts on one cloud service; subclasses add theirs (``super()`` first)."""
        from airflow_sm_provider.operators._checks import check_service_name, invalid

        check_service_name("service_name", self.service_name)
        gated = getattr(self, "require_approval", False) is True
        if self.durable is False and (self.deferrable is True or gated):
            # A deferred or approval-gated release resumes in a new try from the task state store.
            invalid(
                "durable",
                "durable=False cannot be combined with deferrable=True or require_approval=True: the "
                "release resumes from the task state store; keep durable=True (the default).",
            )

    def mask_health_headers(self) -> None:
        """Mask secret argument values before any probe; ``HealthCheckArgsMixin`` masks its headers."""

    def _open(self, context: Context) -> None:
        from airflow_sm_provider.operators.health import tls_context
        from airflow_sm_provider.release_report import ReleaseRecorder
        from airflow_sm_provider.triggers.release import ReleaseIO

        self.context = context
        self.mask_health_headers()  # every entry (start, resume, approval answer), before any probe
        self.memo = OperationMemo(context, enabled=self.durable, log=self.log, key=self.memo_key)
        self.client = self.hook.get_conn()
        self.io: ReleaseIO = ReleaseIO(
            self.service_name,
            tls_context(self.hook.settings),
            client=self.client,
            poll_interval=self.poll_interval,
            log=self.log,
        )
        self.state: dict[str, Any] = self.memo.get() or {}
        if self.state.get("run_id") != context.get("run_id"):
            self.state = {}
        report = self.state.get("report") or self.new_report()
        self.recorder: ReleaseRecorder = ReleaseRecorder(self.strategy, self.service_name, report=report)
        self.state["report"] = self.recorder.report
        self.state["run_id"] = context.get("run_id")

    @property
    def report(self) -> dict[str, Any]:
        return self.recorder.report

    def save(self) -> None:
        """Write the phase, pending steps and report to the task state store (before acting)."""
        self.memo.set(self.state)

    def new_report(self) -> dict[str, Any]:
        """The report keys every strategy has; a subclass adds its own (the recorder adds the
        shared ones of release_report.py)."""
        return {
            "service_name": self.service_name,
            "outcome": "running",
            "message": "",
            "before": {},
            "after": {},
            "rolled_back": False,
            "rollback_request_id": None,
            "finished_at": None,
            "checks": [],
        }

    # --- Airflow entry points ------------------------------------------------------------------------
    def _execute(self, context: Context) -> Any:
        """Start, or resume at the phase an interrupted earlier try saved."""
        self.final_inputs()
        self._open(context)
        phase = self.state.get("phase")
        if phase:
            self.log.warning(
                "Resuming the release of %s at phase %r saved by an interrupted earlier try; "
                "nothing already sent is sent again.",
                self.service_name,
                phase,
            )
            self.recorder.event(
                self.default_lane, "resume", "info", f"resumed at phase {phase} after an interruption"
            )
            pending = self.state.get("pending") or []
            return self._drive(phase, None, pending)
        self.state["phase"] = "start"
        return self._drive("start", None, [])

    def resume_release(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the triggerer ran a wait; the event carries every step's outcome."""
        self._open(context)
        phase = self.state.get("phase")
        if not phase:
            raise RuntimeError(
                f"{self.operation_name}: resumed with no saved phase (task state store cleared?); "
                "inspect the slots before retrying"
            )
        if event and event.get("phase") not in (None, phase):
            self.log.warning("Event for phase %r while the saved phase is %r", event.get("phase"), phase)
        if event and event.get("error_type") == "SealedHeadersError":
            return self._headers_not_opened(phase, event)
        self.state.pop("resealed", None)
        self.state["pending"] = []
        return self._drive(phase, event or {"status": "failed", "message": "no event", "steps": []}, [])

    def _headers_not_opened(self, phase: str, event: dict[str, Any]) -> Any:
        """The triggerer could not open the health headers: never a verdict on the application.

        Sealed again once with this worker's certificate and the headers it just rendered, and waited
        for again; a second failure means the worker and the triggerer load different certificates.
        """
        from airflow.sdk.exceptions import AirflowException

        pending = self.state.get("pending") or []
        if pending and not self.state.get("resealed"):
            self.state["resealed"] = True
            self.log.warning(
                "The triggerer could not open the health headers (%s); sealing them again with this "
                "worker's certificate and waiting again.",
                event.get("message"),
            )
            return self._drive(phase, None, pending)
        raise AirflowException(
            f"{self.operation_name}: the triggerer could not open the health headers "
            f"({event.get('message')}). The worker and the triggerer must load the same management "
            f"certificate from connection {self.asm_conn_id!r}; nothing was judged, and a retry resumes "
            f"at phase {phase!r}."
        )

    default_lane: ClassVar[str] = "production"

    # --- the driver ----------------------------------------------------------------------------------
    def _drive(self, phase: str, event: dict[str, Any] | None, pending: list[dict[str, Any]]) -> Any:
        from airflow_sm_provider._sealed import reseal_steps, seal_steps
        from airflow_sm_provider.triggers.release import run_steps_sync, steps_event

        try:
            if pending:  # an interrupted try was waiting: wait again (absolute deadlines)
                # Sealed anew with the headers this try rendered and the certificate it holds: an old
                # seal may be another certificate's (rotated), or missing (saved before sealing).
                headers = dict(getattr(self, "health_headers", None) or {})
                pending = reseal_steps(pending, headers, self.client.credentials)
                self.state["pending"] = pending
                self.save()
                event = self._wait_steps(phase, pending)
                if event is None:
                    event = steps_event(pending, run_steps_sync(pending, self.io), {"phase": phase})
            while True:
                step = getattr(self, f"phase_{phase}")(event)
                if isinstance(step, Done):
                    return self._end(step)
                phase, event = step.phase, None
                # Sealed before they are saved or deferred: both land in the metadata DB as JSON.
                steps = seal_steps(step.steps, self.client.credentials) if step.steps else []
                self.state["phase"] = phase
                self.state["pending"] = steps
                if step.approval is not None:
                    self.state["approval"] = step.approval
                self.save()
                if step.approval is not None:
                    self._ask(step.approval)
                if steps and step.look_first and self.deferrable:
                    event = self._look(phase, steps)
                if steps and event is None:
                    event = self._wait_steps(phase, steps)
                    if event is None:
                        event = steps_event(steps, run_steps_sync(steps, self.io), {"phase": phase})
                    self.state["pending"] = []
        except ReleaseStopped as stopped:
            return self._end(stopped.done)

    # --- the manual promotion gate (operators/_approval.py) ----------------------------------------
    approval_timeout: float | None  # declared by ApprovalArgsMixin

    def _ask(self, approval: dict[str, str]) -> None:
        """Park the task until a human answers (raises Airflow's TaskAwaitingInput, or defers)."""
        from airflow_sm_provider.operators._approval import approval_operator

        self.recorder.event(
            self.default_lane, "approval", "info", f"waiting for approval: {approval['subject']}"
        )
        self.save()
        self.log.info("Asking for approval: %s", approval["subject"])
        gate = approval_operator(self.task_id, approval["subject"], approval["body"], self.approval_timeout)
        gate.execute(self.context)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the human answered (Airflow's HITL machinery calls this method)."""
        from airflow_sm_provider.operators._approval import APPROVE, approval_operator

        self._open(context)
        phase, approval = self.state.get("phase"), self.state.get("approval") or {}
        if not phase or not approval:
            raise RuntimeError(f"{self.operation_name}: an approval answer arrived but none was asked for")
        gate = approval_operator(self.task_id, approval["subject"], approval["body"], self.approval_timeout)
        answer = gate.execute_complete(context, dict(event or {}))
        chosen = list(answer.get("chosen_options") or [])
        user = answer.get("responded_by_user") or {}
        timed_out = bool((event or {}).get("timedout"))
        approved = chosen == [APPROVE] and not timed_out
        who = "nobody (timed out)" if timed_out else (user.get("name") or user.get("id") or "someone")
        detail = f"{'approved' if approved else 'rejected'} by {who}"
        self.recorder.event(self.default_lane, "approval", "ok" if approved else "failed", detail)
        self.report["approval"] = {"approved": approved, "by": who, "timed_out": timed_out, "chosen": chosen}
        self.state.pop("approval", None)
        verdict: dict[str, Any] = {
            "status": "success" if approved else "failed",
            "approved": approved,
            "by": who,
            "timed_out": timed_out,
            "message": detail,
            "steps": [],
        }
        return self._drive(phase, verdict, [])

    def _look(self, phase: str, steps: list[dict[str, Any]]) -> dict[str, Any] | None:
        """One look at ``steps`` without waiting; their event when all pass, else None (then wait)."""
        from airflow_sm_provider.triggers.release import run_steps_sync, single_look, steps_event

        event = steps_event(steps, run_steps_sync(single_look(steps), self.io), {"phase": phase})
        if event["status"] == "success":
            self.log.info("The gate passed at the first look; no wait needed.")
            return event
        return None

    def _wait_steps(self, phase: str, steps: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Defer the steps (never returns) or return None to run them here."""
        if not self.deferrable:
            return None
        from airflow_sm_provider.triggers.release import AsmReleaseTrigger

        trigger = AsmReleaseTrigger(
            self.service_name,
            steps,
            asm_conn_id=self.asm_conn_id,
            poll_interval=self.poll_interval,
            carry={"phase": phase},
        )
        self.log.info("Deferring to the triggerer: %s", trigger.describe())
        self.defer(trigger=trigger, method_name="resume_release", timeout=None)
        return None  # pragma: no cover -- defer raises

    def _end(self, done: Done) -> Any:
        from airflow.sdk.exceptions import AirflowException, AirflowFailException

        from airflow_sm_provider.release_report import XCOM_KEY, format_timeline

        self._in_flight = None
        self.finish_report(done)
        self.recorder.finish(done.outcome)
        self.memo.clear()
        report = self.report
        ti = self.context.get("ti")
        if ti is not None:
            ti.xcom_push(key=XCOM_KEY, value=report)
            keep_for_links(self, XCOM_KEY, report)  # the timeline link, also when the release failed
            for key in self.extra_xcom_keys:
                ti.xcom_push(key=key, value=report)
        text = f"{self.summarise()}\n{format_timeline(report)}"
        if done.outcome == "released":
            self.log.info("Release report:\n%s", text)
            return report
        self.log.error("Release report:\n%s", text)
        if done.error is not None:
            raise done.error
        if done.final:
            # After a flip (and a swap back) retrying would flip a known-bad build in again.
            raise AirflowFailException(text)
        raise AirflowException(text)

    extra_xcom_keys: ClassVar[tuple[str, ...]] = ()

    def finish_report(self, done: Done) -> None:
        """Fill today's closing keys (message, after-state) before the recorder closes the report."""
        self.report["message"] = done.message

    def summarise(self) -> str:
        return f"{self.service_name}: {self.report.get('outcome')} -- {self.report.get('message')}"

    # --- helpers for phases --------------------------------------------------------------------------
    #: Where each check sits on the timeline: name -> (lane, step); the rest go to ``default_lane``.
    timeline: ClassVar[dict[str, tuple[str, str]]] = {}

    def check(
        self,
        name: str,
        ok: bool,
        detail: str,
        *,
        at: str | None = None,
        lane: str | None = None,
        step: str | None = None,
        **extra: Any,
    ) -> bool:
        """One gate in the report's ``checks`` (today's shape) and on its timeline (``events``)."""
        from airflow_sm_provider.release_report import utcnow_iso

        entry: dict[str, Any] = {"name": name, "ok": ok, "detail": detail, "at": at or utcnow_iso()}
        entry.update({k: v for k, v in extra.items() if v is not None})
        self.report.setdefault("checks", []).append(entry)
        where = self.timeline.get(name, (self.default_lane, name))
        event = self.recorder.event(
            lane or where[0], step or where[1], "ok" if ok else "failed", f"{name}: {detail}"
        )
        if at:
            event["at"] = at
        (self.log.info if ok else self.log.warning)(
            "Gate %s: %s -- %s", name, "ok" if ok else "FAILED", detail
        )
        return ok

    def approval_check(self, event: dict[str, Any], name: str, **where: Any) -> bool:
        """Record the human's answer (the event :meth:`execute_complete` built) as the check ``name``
        (``where``: its lane and step); True when approved."""
        approved = bool(event.get("approved"))
        self.check(name, approved, event.get("message", "approved" if approved else "rejected"), **where)
        return approved

    def stop(self, outcome: str, message: str, *, final: bool = False) -> ReleaseStopped:
        return ReleaseStopped(Done(outcome, message, final))

    def remember_request(self, key: str, request_id: str | None) -> None:
        self._in_flight = request_id
        self.state[key] = request_id
        self.save()

    @staticmethod
    def steps_of(event: dict[str, Any] | None) -> list[dict[str, Any]]:
        return list((event or {}).get("steps") or [])

    @staticmethod
    def deadline(seconds: Any) -> float:
        return time.time() + float(seconds)

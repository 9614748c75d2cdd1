"""Answer a release's approval requests through Airflow's own HITL machinery, without racing ``dag.test``.

Why this exists (the hang of ``test_release_approval.py``): ``dag.test()`` runs a task in process
(``airflow.sdk.definitions.dag._run_task``); when the task parks on a human-in-the-loop request the
in-process execution API writes ``awaiting_input`` to the metadata DB, and only *then*, once
``run_task_in_process`` has returned, ``_run_task`` calls ``ti.set_state(awaiting_input)`` again: it
re-reads the row and writes the state back. A responder that polled the DB saw ``awaiting_input`` in
between, answered (the HITL API moved the task to ``scheduled`` with the answer in ``next_kwargs``),
and the late ``set_state`` parked the task again -- answered, but ``awaiting_input`` for ever, and
``dag.test()`` waited for an answer that had already been given.

So the responder here never polls. It is told that a task is parked by a wrapper around
``_run_task``: the wrapper reports the task instance once ``_run_task`` has returned with it in
``awaiting_input``, i.e. after the last write of the main thread. Answers go through the core API's
``PATCH .../hitlDetails`` (what the "Required Actions" view calls); a time-out is resolved by the
scheduler's own sweep (``SchedulerJobRunner.check_awaiting_input_timeouts``), as in production.

Every wait is bounded: a run that never parks, or stays parked after its answer, has its parked task
failed so ``dag.test()`` returns, and the test fails with the reason instead of hanging.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import pytest

__all__ = ["TIMEOUT", "Answers", "answering"]

#: The one answer that is not a choice: let the request time out (the scheduler sweep takes the default).
TIMEOUT = "<time out>"


@dataclass
class Answers:
    """What the responder did: the HITL details it read, the answers it sent, and what went wrong."""

    details: list[dict[str, Any]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check(self, expected: int) -> None:
        assert not self.errors, self.errors
        assert len(self.sent) == expected, f"answered {self.sent}, expected {expected} answers"


def _parked_in_db(ti_id: str) -> bool:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = session.get(TaskInstance, uuid.UUID(ti_id))
        return ti is not None and str(getattr(ti.state, "value", ti.state)) == "awaiting_input"


def _fail_parked(dag_id: str) -> None:
    """End a run parked on a HITL task (``dag.test()`` waits for an answer otherwise)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    with create_session() as session:
        for ti in session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag_id)):
            if str(getattr(ti.state, "value", ti.state)) == "awaiting_input":
                ti.state = TaskInstanceState.FAILED


def _sweep_timeouts() -> None:
    """The scheduler's own awaiting-input time-out sweep (``dag.test`` runs no scheduler)."""
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner

    class _Sweeper:  # the sweep needs only a logger from its runner
        log = logging.getLogger("tests.hitl.sweep")

    SchedulerJobRunner.check_awaiting_input_timeouts(_Sweeper())  # type: ignore[arg-type]


@contextmanager
def answering(
    api: Any, answers: Sequence[str], *, wait: float = 120.0, settle: float = 60.0
) -> Iterator[Answers]:
    """Answer each approval request of the DAG run started inside the block, in order.

    :param api: a test client of Airflow's core API (FastAPI ``TestClient``).
    :param answers: one per expected request: an option ("Approve", "Reject") or :data:`TIMEOUT`.
    :param wait: seconds to wait for each request before giving up (and failing the parked task).
    :param settle: seconds the run may stay parked after its last answer before it is failed.
    """
    import airflow.sdk.definitions.dag as dag_module

    parked: queue.Queue[Any] = queue.Queue()
    finished = threading.Event()
    result = Answers()
    original = dag_module._run_task

    def run_task(*, ti: Any, task: Any, run_triggerer: bool = False) -> Any:
        outcome = original(ti=ti, task=task, run_triggerer=run_triggerer)
        if str(getattr(ti.state, "value", ti.state)) == "awaiting_input":
            # _run_task has written its last state: an answer from now on cannot be overwritten.
            parked.put((ti.dag_id, ti.run_id, ti.task_id, ti.map_index, str(ti.id)))
        return outcome

    def next_request() -> tuple[str, str, str, int, str]:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                return parked.get(timeout=0.2)  # type: ignore[no-any-return]
            except queue.Empty:
                if finished.is_set():
                    raise RuntimeError("the run ended without asking for (another) approval") from None
        raise TimeoutError(f"no task asked for approval within {wait:g}s")

    def respond() -> None:
        dag_id = ""
        try:
            from airflow import settings

            if settings.Session is None:  # a thread of its own may find the ORM not set up yet
                settings.configure_orm()
            for answer in answers:
                dag_id, run_id, task_id, map_index, ti_id = next_request()
                url = (
                    f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails"
                )
                detail = api.get(url)
                if detail.status_code != 200:
                    raise RuntimeError(f"GET {url}: {detail.status_code} {detail.text}")
                result.details.append(detail.json())
                if answer == TIMEOUT:
                    timeout_at = time.monotonic() + wait
                    while _parked_in_db(ti_id) and time.monotonic() < timeout_at:
                        _sweep_timeouts()  # resolves the request once its deadline has passed
                        time.sleep(0.2)
                    if _parked_in_db(ti_id):
                        raise TimeoutError("the awaiting-input sweep never timed the request out")
                else:
                    sent = api.patch(url, json={"chosen_options": [answer], "params_input": {}})
                    if sent.status_code != 200:
                        raise RuntimeError(f"PATCH {url}: {sent.status_code} {sent.text}")
                result.sent.append(answer)
            if not finished.wait(timeout=settle):
                raise TimeoutError(f"the run did not end within {settle:g}s of its last answer")
        except Exception as exc:  # never leave dag.test() waiting for an answer for ever
            result.errors.append(repr(exc))
            if dag_id:
                _fail_parked(dag_id)
            else:  # nothing parked yet: fail whatever parks later, bounded by the same wait
                with suppress(RuntimeError, TimeoutError):
                    _fail_parked(next_request()[0])

    patcher = pytest.MonkeyPatch()
    patcher.setattr(dag_module, "_run_task", run_task)
    responder = threading.Thread(target=respond, name="hitl-responder", daemon=True)
    responder.start()
    try:
        yield result
    finally:
        finished.set()
        responder.join(timeout=30)
        patcher.undo()

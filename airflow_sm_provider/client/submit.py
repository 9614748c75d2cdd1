"""Sending a write and reconciling an unknown outcome: ONE sans-I/O plan for both clients.

Why: the sync and the async client each had their own copy of "send once; if the outcome is
unknown, read the resource back and decide", and a fix to one would not reach the other. Now the
decision is the generator ``submission`` (shaped like ``plan.request_plan``); each client only
performs its steps -- ``Send`` (the request through its transport) and ``Read`` (one of its own read
methods) -- with or without ``await``, through ``Submission``.

The rule (design.md 1.9): a non-idempotent write (``Op.resend=False``) is sent once. When its
outcome is unknown -- ``TransportError(ambiguous=True)`` or a 5xx -- the entry's ``Reconcile``
reads decide: "applied" -> a handle with ``request_id=None``; "absent" -> sent once more;
"unknown" -> the original error is raised. A read answering 404 counts as None.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from airflow_sm_provider.client.errors import AsmError, NotFoundError, ServerError, TransportError
from airflow_sm_provider.client.handle import OperationHandle, handle_for
from airflow_sm_provider.client.models import Operation
from airflow_sm_provider.client.operation import Op
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse

__all__ = ["Read", "Send", "Submission", "submission"]


@dataclass(frozen=True, slots=True)
class Send:
    """Step: send ``request`` through the client's transport; the outcome is its ``ApiResponse``."""

    request: ApiRequest


@dataclass(frozen=True, slots=True)
class Read:
    """Step: call the client's read method ``name(*args)``; the outcome is its result."""

    name: str
    args: tuple[Any, ...]


Step = Send | Read


def _outcome_unknown(exc: AsmError) -> bool:
    return isinstance(exc, ServerError) or (isinstance(exc, TransportError) and exc.ambiguous)


def submission(
    op: Op, request: ApiRequest, values: dict[str, Any]
) -> Generator[Step, Any, ApiResponse | None]:
    """The plan of one write: returns its response, or None when reconciliation found it applied.

    A failed step is thrown into the generator (``Submission.fail``); what it does not handle
    propagates to the caller unchanged.
    """
    try:
        return (yield Send(request))
    except (TransportError, ServerError) as exc:
        if op.resend or op.reconcile is None or not _outcome_unknown(exc):
            raise
        results: list[Any] = []
        for name, args_of in op.reconcile.reads:
            try:
                results.append((yield Read(name, args_of(values))))
            except NotFoundError:
                results.append(None)
        state = op.reconcile.decide(results, values)
        if state == "applied":
            return None
        if state == "unknown":
            raise exc  # the write's error (explicit: a read's 404 was handled since)
    return (yield Send(request))  # absent: send once more


class Submission:
    """The generator plumbing both clients share: do ``step``, then ``advance(outcome)`` or
    ``fail(error)``; when not ``pending``, ``handle(fetch)`` is the write's ``OperationHandle``."""

    __slots__ = ("_gen", "op", "pending", "result", "step", "values")

    def __init__(self, op: Op, request: ApiRequest, values: dict[str, Any]) -> None:
        self.op, self.values = op, values
        self._gen = submission(op, request, values)
        self.pending = True
        self.result: ApiResponse | None = None
        self.step: Step = next(self._gen)

    def advance(self, outcome: Any) -> None:
        self._resume(self._gen.send, outcome)

    def fail(self, error: AsmError) -> None:
        self._resume(self._gen.throw, error)

    def _resume(self, how: Callable[[Any], Step], value: Any) -> None:
        try:
            self.step = how(value)
        except StopIteration as stop:
            self.pending = False
            self.result = stop.value

    def handle(self, fetch: Callable[[str], Operation] | None) -> OperationHandle:
        return handle_for(self.op, self.values, self.result, fetch)

"""``OperationHandle``: what every mutating call returns (design.md 1.4).

Why a handle rather than the old SDK's ``AsynchronousOperationResult``: it keeps ``.request_id`` (so
the tutorial's ``sms.get_operation_status(result.request_id)`` works) and adds ``wait()``, built on
the one polling loop (``polling.run_sync`` + ``operation_condition``) that sensors and triggers use.
``request_id`` is None when the call was synchronous or reconciliation found the change already
applied; ``wait()`` then returns a synthetic ``Succeeded`` operation at once. An asynchronous call
answered 202 without ``x-ms-request-id`` never gets a handle (``handle_for`` raises
``InvalidResponseError``): a handle that could only pretend to succeed would be a lie.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider.client.errors import OperationFailedError, OperationTimeoutError
from airflow_sm_provider.client.models import Operation
from airflow_sm_provider.client.polling import int_of

if TYPE_CHECKING:
    from airflow_sm_provider.client.operation import Op
    from airflow_sm_provider.client.transport import ApiResponse


@dataclass(frozen=True)
class OperationHandle:
    request_id: str | None
    kind: str
    target: str
    status_code: int
    _fetch: Callable[[str], Operation] | None = field(default=None, repr=False, compare=False)

    def wait(self, timeout: float = 1800, poll_interval: float = 15) -> Operation:
        """Poll Get Operation Status until the operation ends; return it when it Succeeded.

        Raises ``OperationFailedError`` (with ASM's error code and message) when it Failed and
        ``OperationTimeoutError`` after ``timeout`` seconds. Transient errors while polling
        (throttling, 5xx, connection drops) do not end the wait.
        """
        from airflow_sm_provider.client.validation import seconds

        seconds(timeout, "timeout")
        seconds(poll_interval, "poll_interval")
        if self.request_id is None:
            # error=None: what a parsed Succeeded operation holds (``if op.error:`` means failure)
            return Operation(
                id="", status=protocol.OP_SUCCEEDED, http_status_code=str(self.status_code or ""), error=None
            )
        if self._fetch is None:
            raise TypeError(
                f"this handle of {self.kind} has no client to poll with (it came from the async "
                "client or from parse_response_for_async_op): call "
                f"sms.wait_for_operation_status({self.request_id!r}), await "
                "client.get_operation_status(...), or use a trigger to wait"
            )
        from airflow_sm_provider.client.polling import Probe, Schedule, operation_condition, run_sync

        fetch, request_id = self._fetch, self.request_id
        last: list[Operation] = []

        def fetch_op() -> Operation:
            op = fetch(request_id)
            last[:] = [op]
            return op

        probe = Probe(f"{self.kind} on {self.target} (request {request_id})", operation_condition, fetch_op)
        result = run_sync(probe, deadline=time.time() + timeout, schedule=Schedule(poll_interval))
        op = last[0] if last else None
        if result.ok and op is not None:
            return op
        if result.timed_out:
            raise OperationTimeoutError(
                f"{self.kind} on {self.target} did not finish within {timeout:g} s (request {request_id}); "
                "it may still complete: check it later with get_operation_status",
                request_id=request_id,
            )
        error = op.error if op is not None else None
        raise OperationFailedError(
            f"{self.kind} on {self.target} failed: {(error.message if error else '') or result.message}",
            status_code=int_of(op.http_status_code) if op is not None else None,
            code=(error.code if error else None) or None,
            request_id=request_id,
            operation=op,
        )


def handle_for(
    op: Op, values: Any, resp: ApiResponse | None, fetch: Callable[[str], Operation] | None
) -> OperationHandle:
    """The handle of a write ``op`` answered by ``resp`` (None: reconciliation found it applied)."""
    target = op.target_of(values)
    if resp is None:
        return OperationHandle(None, op.name, target, 200, fetch)
    rid = resp.request_id if op.is_async else None
    if op.is_async and rid is None and resp.status == 202:
        from airflow_sm_provider.client.operation import accepted_without_id

        raise accepted_without_id(op, resp)
    return OperationHandle(rid, op.name, target, resp.status, fetch)

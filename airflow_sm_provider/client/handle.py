"""``OperationHandle``: what every mutating call returns (design.md 1.4).

Why a handle rather than the old SDK's ``AsynchronousOperationResult``: it keeps ``.request_id`` (so
the tutorial's ``sms.get_operation_status(result.request_id)`` works) and adds ``wait()``, built on
the one polling loop (``polling.run_sync`` + ``operation_condition``) that sensors and triggers use.
``request_id`` is None when the call was synchronous or reconciliation found the change already
applied; ``wait()`` then returns a synthetic ``Succeeded`` operation at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from airflow_sm_provider import protocol
from airflow_sm_provider.client.errors import OperationFailedError, OperationTimeoutError
from airflow_sm_provider.client.models import Operation


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
        if self.request_id is None or self._fetch is None:
            return Operation(id="", status=protocol.OP_SUCCEEDED, http_status_code=self.status_code)
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
            f"{self.kind} on {self.target} failed: {error.message if error else result.message}",
            status_code=op.http_status_code if op is not None else None,
            code=error.code if error else None,
            request_id=request_id,
            operation=op,
        )

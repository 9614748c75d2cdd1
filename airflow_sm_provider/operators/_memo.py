"""Where a task remembers the ASM operation it started: Airflow 3.3's task state store.

Why not ``ResumableJobMixin`` (airflow.sdk 3.3.2) itself: its ``execute_resumable`` only polls
synchronously (no deferral), returns ``poll_until_complete``'s ``None`` instead of the job result
on the reconnect path, and has no state for "the request was sent but its id never came back"
(connection dropped after sending). We keep its contract -- id persisted right after submission,
active -> reconnect, succeeded -> skip, failed -> resubmit, ``durable`` flag -- in ``base.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["STATE_KEY", "OperationMemo"]

#: Key in the task state store; renaming it breaks resumption of tries already in flight.
STATE_KEY = "asm_operation"


class OperationMemo:
    """The request id of this task's in-flight operation, kept in the task state store.

    The state store is scoped to dag/run/task/map index, so it survives retries. The key is set
    before sending ("submitting"), updated with the request id right after, and cleared at a
    terminal outcome -- so a cleared-and-rerun task starts fresh, and only an interrupted try
    leaves something for the next one. Without a store (Airflow < 3.3, ``durable=False``) it is
    a no-op and the ``if_exists`` checks are the only protection.
    """

    def __init__(
        self, context: Context | Mapping[str, Any], *, enabled: bool, log: Any, key: str = STATE_KEY
    ) -> None:
        self._store = context.get("task_state_store") if enabled else None
        self._key = key
        self._log = log
        if enabled and self._store is None:
            log.warning("No task state store: a retry after a crash relies on checking state only.")

    def get(self) -> dict[str, Any] | None:
        if self._store is None:
            return None
        value = self._store.get(self._key)
        return value if isinstance(value, dict) else None

    def set(self, value: dict[str, Any]) -> None:
        if self._store is not None:
            self._store.set(self._key, value)

    def clear(self) -> None:
        if self._store is not None:
            self._store.delete(self._key)

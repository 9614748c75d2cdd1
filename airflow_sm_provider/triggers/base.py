"""One deferrable trigger base for "poll ASM until a condition holds" (design.md section 3).

Shaped like Amazon's waiter trigger: the base owns the common kwargs (connection, absolute
deadline, poll interval), serialization, the client's life cycle and the event; a subclass only
says what to fetch and how to judge it. The waiting itself is ``client.polling.run_async`` -- the
same loop the sync client and the sensors use -- so throttling, exclusive-access conflicts, 5xx
and connection errors never end a wait, and Retry-After is honoured.

Triggers may run more than once (triggerer HA, restarts), so ``run()`` only reads: no side effects.
"""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Required, TypedDict

from airflow_sm_provider._compat import BaseTrigger, TriggerEvent

if TYPE_CHECKING:
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient
    from airflow_sm_provider.client.polling import PollResult, Schedule

__all__ = ["AsmPollTrigger", "PollTriggerArgs", "serialize_attributes", "shared_async_client"]

DEFAULT_POLL_INTERVAL = 15.0

# --- one async client per (connection id, event loop) ---------------------------------------------
# The triggerer runs every trigger of a process on one event loop; 1,000 waits on one connection
# should share one TLS session pool, not open 1,000. Clients are bound to the loop that created
# them (httpx connections are), hence the loop in the key. Reference-counted: the last user closes
# it, so a connection edited in Airflow is picked up once the triggers using it have finished.
_shared: dict[tuple[str, int], tuple[asyncio.AbstractEventLoop, asyncio.Task[Any], list[int]]] = {}


@asynccontextmanager
async def shared_async_client(conn_id: str) -> AsyncIterator[AsyncServiceManagementClient]:
    """Borrow the async client of ``conn_id`` for this event loop; created on first use.

    :param conn_id: the Airflow connection id.
    """
    from airflow_sm_provider.hooks.service_management import ServiceManagementHook

    loop = asyncio.get_running_loop()
    key = (conn_id, id(loop))
    entry = _shared.get(key)
    if entry is None or entry[0] is not loop:
        task = loop.create_task(ServiceManagementHook(asm_conn_id=conn_id).get_async_conn())
        entry = (loop, task, [0])
        _shared[key] = entry
    _, task, users = entry
    users[0] += 1
    try:
        try:
            # shield: one waiter being cancelled must not cancel the creation others await.
            client = await asyncio.shield(task)
        except BaseException:
            if _shared.get(key) is entry and task.done():
                del _shared[key]  # a failed creation is not cached; the next trigger retries
            raise
        yield client
    finally:
        users[0] -= 1
        if users[0] == 0 and _shared.get(key) is entry:
            del _shared[key]
            if not task.done():
                task.cancel()  # every waiter left (cancelled) before the client existed
            elif not task.cancelled() and task.exception() is None:
                await task.result().aclose()


def serialize_attributes(
    trigger: BaseTrigger, names: Sequence[str], extra: Mapping[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """What every trigger's ``serialize()`` returns: its class path (from ``trigger.__class__``, so
    it survives renames and subclassing) and its constructor's keyword arguments, read from the
    attributes of the same names (plus ``extra``)."""
    cls = trigger.__class__
    return f"{cls.__module__}.{cls.__qualname__}", {
        **{name: getattr(trigger, name) for name in names},
        **(extra or {}),
    }


class PollTriggerArgs(TypedDict, total=False):
    """The keyword arguments every :class:`AsmPollTrigger` takes; subclasses accept them as
    ``**wait: Unpack[PollTriggerArgs]`` and pass them on, so they are declared (and checked) once."""

    asm_conn_id: str
    deadline: Required[float]
    poll_interval: float
    what: str
    carry: dict[str, Any] | None


class AsmPollTrigger(BaseTrigger):
    """Poll until :meth:`condition` says done, then yield exactly one event.

    The event is ``PollResult.to_event``: ``{"status": "success" | "failed" | "timeout", "message":
    str, **ids, **last seen state, "error_code"?: str, "error_type"?: str}`` plus ``carry`` (data
    the resuming operator needs back, since ``dag.test`` and some executors drop ``defer(kwargs=)``).
    An unexpected error is not swallowed: it becomes a ``failed`` event naming the exception type
    (``error_type``), so the task fails with the cause.

    :param asm_conn_id: the Airflow connection id.
    :param deadline: absolute epoch seconds after which the wait ends with a ``timeout`` event;
        absolute so a trigger re-created after a triggerer restart keeps the original deadline.
    :param poll_interval: steady seconds between checks (the first re-check comes sooner, see
        ``client.polling.Schedule``; Retry-After may stretch one).
    :param what: human words for the awaited thing, e.g. the operator's ``operation_name``.
    :param carry: JSON-safe data copied into the event unchanged.
    """

    def __init__(
        self,
        *,
        asm_conn_id: str = "asm_default",
        deadline: float,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        what: str = "",
        carry: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be positive, got {poll_interval!r}")
        self.asm_conn_id = asm_conn_id
        self.deadline = float(deadline)
        self.poll_interval = float(poll_interval)
        self.what = what
        self.carry = dict(carry or {})

    @property
    @abstractmethod
    def serialized_fields(self) -> dict[str, Any]:
        """The subclass's own kwargs (JSON-safe); they are also copied into every event."""

    @abstractmethod
    async def fetch(self, client: AsyncServiceManagementClient) -> Any:
        """Read the current state from ASM (one request; async I/O only)."""

    @abstractmethod
    def condition(self, value: Any) -> PollResult:
        """Judge a fetched value (use the shared conditions of ``client.polling``)."""

    def description(self) -> str:
        """What is awaited, for progress lines; subclasses name their target."""
        return self.what or type(self).__name__

    def describe(self) -> str:
        """One line for the deferring task's log."""
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.deadline))
        return (
            f"{self.description()} (connection {self.asm_conn_id}, checks soon then every "
            f"{self.poll_interval:g}s, until {until})"
        )

    def schedule(self) -> Schedule:
        """The one poll schedule: soon first, backing off to ``poll_interval``, spread +/- 20 %."""
        from airflow_sm_provider.client.polling import WAIT_JITTER, Schedule

        return Schedule(self.poll_interval, jitter=WAIT_JITTER)

    max_checks: int | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return serialize_attributes(
            self, ("asm_conn_id", "deadline", "poll_interval", "what", "carry"), self.serialized_fields
        )

    def event(self, result: PollResult) -> TriggerEvent:
        body = result.to_event(self.serialized_fields)
        body.update(self.carry)
        return TriggerEvent(body)

    def _progress(self, message: str) -> None:
        self.log.info("%s", message)

    @asynccontextmanager
    async def resources(self) -> AsyncIterator[Any]:
        """What :meth:`fetch` receives; the shared async ASM client of the connection by default."""
        async with shared_async_client(self.asm_conn_id) as client:
            yield client

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll with the shared loop; yield one success / failed / timeout event."""
        from airflow_sm_provider.client.errors import AsmError
        from airflow_sm_provider.client.polling import Outcome, PollResult, Probe, run_async

        self.log.info("Waiting for %s", self.describe())
        try:
            async with self.resources() as res:
                result = await run_async(
                    Probe(self.description(), self.condition, afetch=lambda: self.fetch(res)),
                    deadline=self.deadline,
                    schedule=self.schedule(),
                    max_checks=self.max_checks,
                    on_progress=self._progress,
                )
        except asyncio.CancelledError:
            raise
        except AsmError as exc:
            result = PollResult(Outcome.FAILED, str(exc), exc.code or "", {}, type(exc).__name__)
        except Exception as exc:
            # Keep the type: a bad connection (ValueError, CertificateError) must be visible as such.
            result = PollResult(Outcome.FAILED, f"{type(exc).__name__}: {exc}", "", {}, type(exc).__name__)
        self.log.info("Wait ended (%s): %s", result.outcome.value, result.message)
        yield self.event(result)

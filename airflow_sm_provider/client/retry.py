"""The one retry policy, shared by the sync and async transports.

Which failures are worth repeating is a property of the ASM protocol (asm-wire.md 3.2): 429,
503, 500, the exclusive-access 409 and connection failures; never another 4xx. Whether a
*particular* request may be repeated also depends on idempotency: a POST that may have reached
the server is not re-sent (that would risk a duplicate deployment); the transport marks such
failures ``TransportError(ambiguous=True)`` and this module refuses to retry them.

The request plan (``plan.py``) asks ``RetryPolicy.next_delay`` after each failed attempt, for
both transports, so the decision and the back-off are written once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from airflow_sm_provider.client.errors import (
    ExclusiveAccessError,
    InvalidInputError,
    ServerError,
    ThrottledError,
    TransportError,
)

__all__ = ["RetryPolicy", "is_transient", "retry_after_of"]


def is_transient(exc: BaseException) -> bool:
    """True for failures that say "try again later" and, if repeated, cannot duplicate work.

    ``ServerError`` counts as transient here (it is for the poller and idempotent requests); the
    transport separately refuses to re-send a non-idempotent request after a 500.
    """
    if isinstance(exc, TransportError):
        return exc.retryable and not exc.ambiguous
    return isinstance(exc, (ThrottledError, ExclusiveAccessError, ServerError))


def retry_after_of(exc: BaseException) -> float | None:
    """The server's Retry-After hint carried by an error, in seconds, if any."""
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure of one HTTP request.

    ``max_attempts`` counts the first try (6 = one try + five retries). Delays grow
    exponentially from ``base_delay`` up to ``max_delay`` with full jitter, so many workers
    hitting the same throttled subscription spread out. A server's ``Retry-After`` wins over the
    computed delay (capped by ``max_retry_after``, so a hostile header cannot park a worker for
    an hour). ``max_total`` bounds the time spent retrying one request.
    """

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    max_total: float = 300.0
    jitter: bool = True
    #: Injected for tests; None uses ``random.random``.
    rng: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Here, not at import: this module is imported on a triggerer's event loop (the trigger
        # base), validation is not (tests/ui/test_trigger_loop_imports.py).
        from airflow_sm_provider.client import validation as v

        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise InvalidInputError(
                "retry.max_attempts",
                f"must be a whole number >= 1 (1 = no retries), not {self.max_attempts!r}",
            )
        for name in ("base_delay", "max_delay", "max_retry_after", "max_total"):
            v.seconds(getattr(self, name), f"retry.{name}", at_least=0)

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries (each request is tried once)."""
        return cls(max_attempts=1)

    def delay(self, attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        hinted = retry_after_of(exc) if exc is not None else None
        if hinted is not None:
            return min(hinted, self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(attempt - 1, 0)))
        if not self.jitter:
            return ceiling
        rnd = self.rng.random() if self.rng is not None else random.random()
        # "Equal jitter": at least half the ceiling, so a retry never fires instantly.
        return ceiling / 2 + rnd * ceiling / 2

    def should_retry(self, exc: BaseException, *, idempotent: bool) -> bool:
        """The one decision: may this request be sent again after ``exc``?"""
        if not is_transient(exc):
            return False
        if idempotent:
            return True
        # Not idempotent: retry only when the server clearly did nothing.
        if isinstance(exc, TransportError):
            return True  # is_transient already excluded the ambiguous ones
        return isinstance(exc, (ThrottledError, ExclusiveAccessError))

    def next_delay(
        self, exc: BaseException, *, idempotent: bool, attempt: int, elapsed: float
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None when ``exc`` must be raised.

        ``attempt`` is the number of attempts made so far; ``elapsed`` the seconds since the
        first one started. Every retry's wait counts against ``max_total`` -- the first one too,
        so a long Retry-After on the first failure cannot overrun the budget.
        """
        if attempt >= self.max_attempts or not self.should_retry(exc, idempotent=idempotent):
            return None
        delay = self.delay(attempt, exc)
        if elapsed + delay > self.max_total:
            return None
        return delay

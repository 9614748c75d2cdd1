"""The one retry policy, shared by the sync and async transports.

Which failures are worth repeating is a property of the ASM protocol (asm-wire.md 3.2): 429,
503, 500, the exclusive-access 409 and connection failures; never another 4xx. Whether a
*particular* request may be repeated also depends on idempotency: a POST that may have reached
the server is not re-sent (that would risk a duplicate deployment); the transport marks such
failures ``TransportError(ambiguous=True)`` and this module refuses to retry them.

Both transports drive tenacity with the same ``retry``/``wait``/``stop`` callables built here, so
the decision and the back-off are written once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from airflow_sm_provider.client.errors import (
    ExclusiveAccessError,
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
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1 (1 = no retries)")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("RetryPolicy delays must not be negative")

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

    # --- tenacity glue: built once per transport, not per call ---------------------------------
    def tenacity_kwargs(self, sleep: Any, *, attempt_offset: int = 0) -> dict[str, Any]:
        """Keyword arguments for ``tenacity.Retrying``/``AsyncRetrying``.

        The per-request idempotency travels in ``retry_state.kwargs["request"]`` (the transport
        calls the attempt function with ``request=...``), so one Retrying object serves every
        request. ``attempt_offset`` is the number of attempts already made before tenacity takes
        over (the transports try once without tenacity: the happy path then costs nothing).
        """
        import tenacity

        policy = self

        def _retry(state: tenacity.RetryCallState) -> bool:
            outcome = state.outcome
            if outcome is None or not outcome.failed:
                return False
            exc = outcome.exception()
            if exc is None:
                return False
            request = state.kwargs.get("request")
            idempotent = bool(getattr(request, "idempotent", True))
            if not policy.should_retry(exc, idempotent=idempotent):
                return False
            # Do not start a retry whose wait would overrun the total budget.
            elapsed = state.seconds_since_start or 0.0
            return elapsed + policy.delay(state.attempt_number + attempt_offset, exc) <= policy.max_total

        def _wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            return policy.delay(state.attempt_number + attempt_offset, exc)

        return {
            "retry": _retry,
            "wait": _wait,
            "stop": tenacity.stop_after_attempt(max(self.max_attempts - attempt_offset, 1)),
            "sleep": sleep,
            "reraise": True,
        }

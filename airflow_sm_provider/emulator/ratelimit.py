"""The per-subscription request limit (ASM throttled per subscription: 429 ``TooManyRequests``) and
the request counters behind ``GET /__admin__/stats``.

A token bucket per subscription: ``rps`` tokens a second, ``burst = max(1, rps)``, one
token per management request. An empty bucket answers 429 with ``Retry-After`` = whole seconds until
the next token (at least 1, as HTTP wants an integer). Off (None) by default. Thread-safe; only
the network layer uses it, before fault rules and the service logic, so a throttled request never
executes and never counts towards a fault rule.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    def __init__(self, rps: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self.rps: float | None = None
        self.set(rps)

    def set(self, rps: float | None) -> None:
        """Change the limit (None or 0: off); every bucket starts full again."""
        if rps is not None:
            rps = float(rps)
            if not math.isfinite(rps) or rps < 0:
                raise ValueError(f"rps must be a finite number >= 0 (0 or null: no limit), got {rps!r}")
        with self._lock:
            self.rps = rps or None
            self._buckets.clear()

    @property
    def burst(self) -> float:
        return max(1.0, self.rps or 0.0)

    def acquire(self, subscription: str) -> float | None:
        """Take one token; None when allowed, else the seconds to wait before retrying."""
        with self._lock:
            if self.rps is None:
                return None
            now = self._clock()
            key = subscription.lower()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rps)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / self.rps


def throttled_count(arrivals: Iterable[float], rps: float) -> int:
    """How many of ``arrivals`` (request times in seconds, in order) a limiter at ``rps`` answers
    429: the server's side of a request schedule, replayed on its own clock (tests, analysis)."""
    now = [0.0]
    limiter = RateLimiter(rps, clock=lambda: now[0])
    count = 0
    for at in arrivals:
        now[0] = at
        count += limiter.acquire("subscription") is not None
    return count


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


#: distinct keys a per-client count keeps; the rest are counted as "other". Requests are counted
#: before authentication, so without a cap anyone could grow the report with made-up headers/paths.
STATS_KEYS = 64


def _count(counts: dict[str, int], key: str) -> None:
    if key not in counts and len(counts) >= STATS_KEYS:
        key = "other"
    counts[key] = counts.get(key, 0) + 1


@dataclass
class Stats:
    """Counters of the management API traffic since start (or the last ``DELETE /__admin__/stats``).

    ``requests``: every management request received; ``throttled``: answered 429 by the rate limit;
    ``by_operation``: requests the service logic EXECUTED, per operation kind (``swap_deployment``,
    ``create_deployment``, ...), so "exactly one create" can be counted; ``by_status``: answers by
    HTTP status; ``by_subscription``: requests per subscription; ``by_version``: requests per
    ``x-ms-version`` header value (``"none"`` when absent), so a test of a foreign client can show
    which protocol version it actually speaks (libcloud's AzureNodeDriver says 2013-08-01 in its
    source but sends 2014-05-01)."""

    requests: int = 0
    throttled: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_subscription: dict[str, int] = field(default_factory=dict)
    by_version: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def received(self, subscription: str, version: str | None = None) -> None:
        with self._lock:
            self.requests += 1
            _count(self.by_subscription, subscription[:64])
            _count(self.by_version, (version or "none")[:40])

    def executed(self, operation: str | None) -> None:
        with self._lock:
            name = operation or "unrouted"
            self.by_operation[name] = self.by_operation.get(name, 0) + 1

    def answered(self, status: int, *, throttled: bool = False) -> None:
        with self._lock:
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
            if throttled:
                self.throttled += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "throttled": self.throttled,
                "by_operation": dict(sorted(self.by_operation.items())),
                "by_status": dict(sorted(self.by_status.items())),
                "by_subscription": dict(sorted(self.by_subscription.items())),
                "by_version": dict(sorted(self.by_version.items())),
            }

    def clear(self) -> None:
        with self._lock:
            self.requests = self.throttled = 0
            self.by_operation.clear()
            self.by_status.clear()
            self.by_subscription.clear()
            self.by_version.clear()

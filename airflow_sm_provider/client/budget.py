"""The per-subscription request budget: one token bucket per (management host, subscription).

Why: ASM throttles per subscription (429 ``TooManyRequests``), and the subscription is shared by
every client in every process -- a triggerer's 1,000 waits, the workers' operators, a script.
Retrying after a 429 only spreads the overload; a budget keeps it from happening. Every
``Transport`` and ``AsyncTransport`` of a process for the same host and subscription takes one
token per attempt from the same ``RequestBudget``, so the process as a whole stays under the rate.

Default (``DEFAULT_REQUESTS_PER_SECOND`` = 20, burst = one second's worth): Microsoft never
published the ASM front end's per-subscription limit; the figures it publishes for its management
plane are Azure Resource Manager's -- a bucket of 250 reads refilled at 25 per second per
subscription (writes 200 / 10 per second), earlier 12,000 reads per hour. 20 per second stays
below the read rate, and an ASM release sends tens of writes, not hundreds. The budget is per
PROCESS: with several triggerers and workers on one subscription, set the connection extra
``requests_per_second`` to (the subscription's limit) / (number of processes). The burst equals
one second's worth (at least 1), the shape the emulator's ``--rate-limit`` uses.

Two checks, because a wait that was booked is not a request that left: ``reserve()`` books each
request a slot (the request plan sleeps until it: a queue in order, no thundering herd), and
``departure_wait()`` admits it only if the same bucket, measured at the moment it really leaves,
has a token. The drivers ask right before the wire, the async one inside its connection gate: an
event loop busy starting 10,000 triggers resumed its first ~1,000 booked requests up to 1.2 s
late, and the gate then let them out back to back; they now wait there the little it takes. The
departures are therefore exactly the bucket's shape, so a budget at or below the server's rate and
burst never meets a 429 from the process alone (measured: docs/benchmarks.md section 6).

Sans-I/O: both only do arithmetic under a lock; ``reserve()`` returns how long the caller must
wait, the sync driver sleeps, the async one awaits. That makes one bucket usable from threads and
event loops alike.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from airflow_sm_provider.client import validation as v

__all__ = [
    "DEFAULT_REQUESTS_PER_SECOND",
    "RequestBudget",
    "budget_for",
    "configure_budget",
]

DEFAULT_REQUESTS_PER_SECOND = 20.0
#: A departure this close to its slot is on time (a timer may fire within the clock resolution).
_ON_TIME = 1e-9


def check_rate(field: str, rate: float | None) -> float | None:
    """A rate in requests per second, or None for "no limit"; refuses NaN, inf and <= 0."""
    return None if rate is None else v.number(rate, field, unit="requests per second")


class RequestBudget:
    """A token bucket (GCRA form): ``rate`` tokens per second, ``burst`` at most saved up.

    ``rate=None`` means unlimited (``reserve`` always answers 0). Thread-safe; no I/O.
    """

    def __init__(
        self, rate: float | None, burst: float | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._tat = 0.0  # "theoretical arrival time" of the next request at the steady rate
        self._departed = 0.0  # the same for the requests that really left (``depart``)
        self._interval = 0.0  # 1 / rate: what one token costs
        self._slack = 0.0  # (burst - 1) / rate: how far ahead of the steady rate a burst may run
        self.rate: float | None = None
        self.burst = 0.0
        self.configure(rate, burst)

    def configure(self, rate: float | None, burst: float | None = None) -> None:
        """Change the rate in place (transports holding this budget follow at once).

        What is already owed stays owed: a server's Retry-After ``hold`` and the queue of requests
        already reserved are kept. The hook configures the budget each time it builds a client, so
        clearing them here would let every new task override a 429's Retry-After.
        """
        rate = check_rate("requests_per_second", rate)
        if burst is not None:
            burst = v.number(burst, "burst", unit="requests", at_least=1)
        with self._lock:
            self.rate = rate
            self.burst = burst if burst is not None else max(1.0, rate or 1.0)
            self._interval = 1 / rate if rate is not None else 0.0
            self._slack = (self.burst - 1) / rate if rate is not None else 0.0

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before sending (0.0 = send now).

        On every request's path: one clock reading and two additions under an uncontended lock
        (the divisions are done by ``configure``); unlimited budgets skip the lock.
        """
        if self.rate is None:
            return 0.0
        with self._lock:
            if self.rate is None:  # made unlimited meanwhile
                return 0.0
            now = self._clock()
            tat = self._tat if self._tat > now else now
            delay = tat - self._slack - now
            self._tat = tat + self._interval
        return delay if delay > 0 else 0.0

    def departure_wait(self) -> float:
        """Take a departure token if the bucket has one now (0.0); else the seconds until it may.

        The drivers call this right before the wire (the async one inside its connection gate,
        after any queueing): a request booked on time but resumed late waits here the little it
        takes to keep the departures in the bucket's shape, instead of leaving in a burst.
        Nothing is taken when the answer is > 0; ask again after that long.
        """
        if self.rate is None:
            return 0.0
        with self._lock:
            if self.rate is None:
                return 0.0
            now = self._clock()
            tat = self._departed if self._departed > now else now
            early = tat - self._slack - now
            if early > _ON_TIME:
                return early
            self._departed = tat + self._interval
        return 0.0

    def hold(self, seconds: float) -> None:
        """The server said "throttled, retry after ``seconds``": nobody sharing this budget sends before."""
        if self.rate is None or not math.isfinite(seconds) or seconds <= 0:
            return
        with self._lock:
            until = self._clock() + seconds + self._slack
            self._tat = max(self._tat, until)
            self._departed = max(self._departed, until)


_lock = threading.Lock()
_budgets: dict[tuple[str, str], RequestBudget] = {}


def _key(host: str, subscription_id: str) -> tuple[str, str]:
    from airflow_sm_provider.client.plan import resolve_host

    return resolve_host(host).lower(), subscription_id.strip().lower()


def budget_for(host: str, subscription_id: str) -> RequestBudget:
    """The process-wide budget of (host, subscription); made with the default rate on first use."""
    key = _key(host, subscription_id)
    with _lock:
        budget = _budgets.get(key)
        if budget is None:
            budget = _budgets[key] = RequestBudget(DEFAULT_REQUESTS_PER_SECOND)
        return budget


def configure_budget(
    host: str, subscription_id: str, requests_per_second: float | None, *, burst: float | None = None
) -> RequestBudget:
    """Set the rate of (host, subscription) for this process; None = no limit (emulators, benchmarks).

    The hook calls this from the connection extra ``requests_per_second``. The last call wins for
    every client of that host and subscription in the process, those already built included.
    """
    check_rate("requests_per_second", requests_per_second)
    budget = budget_for(host, subscription_id)
    budget.configure(requests_per_second, burst)
    return budget

"""Three release reports shaped per CONTRACTS.md, as a guarded swap records them.

Built with :class:`ReleaseRecorder` and a clock the test controls, so the shape is the recorder's
own (not hand-typed) and the times are realistic: gates, a lock wait, the flip, a bake with health
samples, and a swap-back for the rolled-back release.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_sm_provider.release_report import ReleaseRecorder

START = datetime(2026, 12, 1, 9, 0, 0, tzinfo=timezone.utc)


class Clock:
    """A settable clock for the recorder: ``at(seconds)`` moves it to START + seconds."""

    def __init__(self) -> None:
        self.now = START

    def at(self, seconds: float) -> Clock:
        self.now = START + timedelta(seconds=seconds)
        return self

    def __call__(self) -> str:
        return self.now.isoformat(timespec="milliseconds")


def _swap(service: str, steps: list[tuple[float, str, str, str, str]], outcome: str, end: float) -> Any:
    clock = Clock()
    rec = ReleaseRecorder("vip_swap", service, clock=clock)
    rec.report.update(message=f"{service}: {outcome}", mode="release")
    for seconds, lane, step, result, detail in steps:
        clock.at(seconds)
        rec.event(lane, step, result, detail)
    clock.at(end)
    return rec.finish(outcome)


GATES = [
    (0.4, "staging", "gate", "ok", "staging holds v2: Running, WebRole 2/2 ReadyRole"),
    (0.9, "production", "gate", "ok", "production holds v1: Running, WebRole 2/2 ReadyRole"),
    (1.2, "staging", "lock_wait", "info", "v2 is locked by an operation in flight; waiting"),
    (7.8, "staging", "gate", "ok", "v2 unlocked after 6.6 s"),
    (8.3, "staging", "verify", "ok", "GET https://staging/health -> 200"),
]


def released() -> dict[str, Any]:
    steps = [
        *GATES,
        (9.0, "production", "flip", "ok", "swap request 6ee2b5bd5b5a4ac9 -> v2 in production"),
        (14.5, "production", "bake", "info", "baking 20 s, sampling every 5 s"),
        *[(14.5 + 5 * i, "production", "sample", "ok", f"GET /health -> 200 ({i + 1}/4)") for i in range(4)],
        (34.8, "production", "verify", "ok", "v2 healthy after 20 s of baking"),
    ]
    return _swap("shop-web", steps, "released", 35.2)


def refused() -> dict[str, Any]:
    steps = [
        (0.4, "staging", "gate", "ok", "staging holds v2: Running, WebRole 2/2 ReadyRole"),
        (0.9, "production", "gate", "ok", "production holds v1: Running"),
        (1.5, "staging", "verify", "failed", "GET https://staging/health -> 503 after 3 attempts"),
        (1.6, "production", "flip", "skipped", "not swapping: staging is not healthy; production unchanged"),
    ]
    return _swap("shop-api", steps, "refused", 1.8)


def rolled_back() -> dict[str, Any]:
    steps = [
        *GATES,
        (9.0, "production", "flip", "ok", "swap request 0b3b6e6f1a1c4d2e -> v2 in production"),
        (14.2, "production", "bake", "info", "baking 20 s, sampling every 5 s"),
        (14.2, "production", "sample", "ok", "GET /health -> 200"),
        (19.2, "production", "sample", "failed", "GET /health -> 503"),
        (24.2, "production", "sample", "failed", "GET /health -> 503"),
        (24.4, "production", "swap_back", "ok", "swap request 77aa01c2b8d94f3e -> v1 back in production"),
        (30.1, "production", "verify", "ok", "v1 is production again and healthy"),
    ]
    return _swap("shop-cart", steps, "rolled_back", 30.4)


REPORTS: dict[str, Callable[[], dict[str, Any]]] = {
    "released": released,
    "refused": refused,
    "rolled_back": rolled_back,
}

"""Helpers of the cluster fault tests: fresh names, emulator counts as deltas, waiting on a run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from cluster.releases import Watch


def fresh(prefix: str) -> str:
    return f"{prefix}-{os.urandom(3).hex()}"


class OpCounter:
    """Accepted operations per kind in the emulator's state, counted from now on."""

    KINDS = ("create_deployment", "swap_deployment", "delete_deployment")

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.base = self._now()

    def _now(self) -> dict[str, int]:
        ops = self.stack.admin().state()["operations"]
        return {k: sum(1 for op in ops if op["kind"] == k) for k in self.KINDS}

    def delta(self) -> dict[str, int]:
        now = self._now()
        return {k: now[k] - self.base[k] for k in self.KINDS}


def ti(watch: Watch, task_id: str) -> dict[str, Any]:
    for row in watch.tis:
        if row["task_id"] == task_id:
            return row
    return {}


def holder(watch: Watch, task_id: str) -> str | None:
    """The hostname of the triggerer that holds ``task_id``'s trigger right now (None: not deferred)."""
    row = ti(watch, task_id)
    if row.get("state") != "deferred":
        return None
    job = row.get("triggerer_job") or {}
    return str(job["hostname"]) if job.get("hostname") else None


class Once:
    """A ``tick`` that fires ``action`` the first time ``condition(watch)`` holds; records when."""

    def __init__(self, condition: Callable[[Watch], bool], action: Callable[[Watch], None]) -> None:
        self.condition, self.action = condition, action
        self.at: float | None = None

    def __call__(self, watch: Watch) -> None:
        if self.at is None and self.condition(watch):
            self.at = time.monotonic()
            self.action(watch)

"""Reading an in-place upgrade's state (``upgrades.py`` owns the rules; ``render.py`` shows it).

A module of its own so the renderer can show ``UpgradeStatus`` without importing the handlers.
"""

from __future__ import annotations

from airflow_sm_provider.emulator.state import Doc
from airflow_sm_provider.emulator.xmlio import Builder


def status(dep: Doc, now: float) -> tuple[str, int, str] | None:
    """``(UpgradeType, CurrentUpgradeDomain, CurrentUpgradeDomainState)`` or None (no upgrade)."""
    up = dep.get("upgrade")
    if not up:
        return None
    for domain, start, end in up["schedule"]:
        if start <= now < end:
            return up["type"], int(domain), "During"
    done = {int(d) for d, _, end in up["schedule"] if end <= now}
    pending = [d for d in up["domains"] if d not in done]
    if not pending:
        return None
    return up["type"], int(pending[0]), "Before"


def rollback_allowed(dep: Doc) -> bool:
    up = dep.get("upgrade")
    return up is not None and up["what"] != "rollback"


def next_domain(up: Doc) -> int | None:
    started = {int(d) for d, _, _ in up["schedule"]}
    return next((d for d in up["domains"] if d not in started), None)


def render_status(b: Builder, dep: Doc, now: float) -> None:
    """``<UpgradeStatus>`` while an upgrade runs (asm-wire.md 4.3: only during upgrades)."""
    found = status(dep, now)
    if found is None:
        return
    kind, domain, state = found
    box = b.child("UpgradeStatus")
    box.add("UpgradeType", kind).add("CurrentUpgradeDomainState", state).add("CurrentUpgradeDomain", domain)

"""How a deployment's application answers a path: per-instance health plus run-time overrides.

Why per instance: during a rolling upgrade some upgrade domains run the new configuration and some
the old, so "the deployment's health" is the health of whatever its instances run. Each instance
carries ``health`` = ``{"*": mode, "<path>": mode}`` resolved from the .cscfg it runs and its upgrade
domain (``ServiceConfig.health_map``); the deployment answers with the WORST answer of its ReadyRole
instances (a health probe that checks every instance, so one bad domain is seen at once).

Run-time overrides (``POST /__admin__/health``) live in the deployment document as
``health_overrides = [{"path": str | None, "upgrade_domain": int | None, "health": mode}]`` and win
over the .cscfg: the most specific match decides (domain + path, domain, path, deployment-wide).
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.cscfg import normalise_path, valid_mode
from airflow_sm_provider.emulator.handlers.lifecycle import health_at
from airflow_sm_provider.emulator.state import Doc

Answer = tuple[int, str]


def _path_match(rule: str, path: str) -> bool:
    if rule.endswith("*"):
        return path.startswith(rule[:-1])
    return rule == path


def _from_map(health: dict[str, str], path: str) -> str:
    if path in health:
        return health[path]
    prefixes = [k for k in health if k != "*" and k.endswith("*") and _path_match(k, path)]
    if prefixes:
        return health[max(prefixes, key=len)]
    return health.get("*", "healthy")


def _override(overrides: list[dict[str, Any]], ud: int, path: str) -> str | None:
    best: tuple[int, str] | None = None
    for rule in overrides:
        rule_ud, rule_path = rule.get("upgrade_domain"), rule.get("path")
        if rule_ud is not None and int(rule_ud) != ud:
            continue
        if rule_path is not None and not _path_match(normalise_path(rule_path), path):
            continue
        score = (2 if rule_ud is not None else 0) + (1 if rule_path is not None else 0)
        if best is None or score >= best[0]:
            best = (score, str(rule["health"]))
    return best[1] if best else None


def instance_mode(dep: Doc, inst: Doc, path: str, now: float) -> str:
    path = normalise_path(path)
    forced = _override(dep.get("health_overrides") or [], int(inst.get("ud", 0)), path)
    if forced is not None:
        return forced
    return _from_map(health_at(inst, now) or {"*": dep.get("health", "healthy")}, path)


def mode_answer(mode: str, slot: str) -> Answer:
    mode = mode.strip().lower()
    if mode.isdigit():
        code = int(mode)
        return code, "OK" if code < 400 else f"HTTP {code}"
    if mode in ("unhealthy", "fail-start") or (
        mode == "unhealthy-in-production" and slot == p.SLOT_PRODUCTION
    ):
        return 503, "UNHEALTHY"
    return 200, "OK"


def answer(dep: Doc, ready: list[Doc], path: str, now: float) -> Answer:
    """The worst answer of the ready instances for ``path`` (errors beat success, higher beats lower)."""
    answers = [mode_answer(instance_mode(dep, inst, path, now), dep["slot"]) for inst in ready]
    return max(answers, key=lambda a: (a[0] >= 400, a[0]))


# --- run-time overrides (POST /__admin__/health) -------------------------------------------------
RULE_FIELDS = {"subscription_id", "service", "slot", "deployment", "path", "upgrade_domain", "health"}


def check_rule(rule: dict[str, Any], *, setting: bool) -> dict[str, Any]:
    """Validate an admin rule; returns the override part ``{"path", "upgrade_domain", "health"}``."""
    unknown = set(rule) - RULE_FIELDS
    if unknown:
        raise ValueError(f"unknown health rule field(s): {', '.join(sorted(unknown))}")
    path = rule.get("path")
    if path is not None and not isinstance(path, str):
        raise ValueError("path must be a string such as 'health' or 'api/*'")
    ud = rule.get("upgrade_domain")
    if ud is not None and (isinstance(ud, bool) or not isinstance(ud, int) or ud < 0):
        raise ValueError("upgrade_domain must be an integer >= 0")
    mode = rule.get("health")
    if setting:
        if not isinstance(mode, str | int) or not valid_mode(str(mode), for_path=path is not None):
            raise ValueError(
                "health must be healthy, unhealthy, unhealthy-in-production, fail-start (not with a path) "
                "or an HTTP status such as 500"
            )
        mode = str(mode).strip().lower()
    return {"path": None if path is None else normalise_path(path), "upgrade_domain": ud, "health": mode}


def set_override(dep: Doc, override: dict[str, Any]) -> None:
    """Add or replace the override for the same (path, upgrade_domain); health None removes it."""
    same = [
        r
        for r in dep.get("health_overrides") or []
        if (r.get("path"), r.get("upgrade_domain")) != (override["path"], override["upgrade_domain"])
    ]
    dep["health_overrides"] = same + ([override] if override["health"] is not None else [])

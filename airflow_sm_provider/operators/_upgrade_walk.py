"""When an upgrade domain counts as walked, which role an upgrade may name, and whose upgrade a retry
finds: one rule each for the plain upgrade operators and the rolling upgrade.

Why one rule: a walk is not idempotent, so both the plain ``AsmWalkUpgradeDomainOperator`` (a retry
after its walk succeeded) and the guarded rolling upgrade (a resumed try) decide "already walked,
do not send it again" -- and they must decide it the same way.

ASM shows an upgrade in progress as the deployment's ``UpgradeStatus``: the current domain and its
state, ``Before`` (waiting for its walk) or ``During`` (being walked). Once the last domain has been
walked the upgrade is over and ``UpgradeStatus`` disappears, so an absent status is read with what
the caller knows (``started_here``).

Whose upgrade (``judge_upgrade``, ``judge_walk``, ``judge_rollback``): a try of a plain upgrade
operator interrupted while its request may have left keeps, with its "submitting" mark, the
deployment as it was just before (``deployment_facts``). The retry reads the deployment again and
decides from the two: the request is still running (``RUNNING``: wait), it ended (``DONE``), or the
deployment is unchanged so it never took effect (``NOT_SENT``: send it). Get Deployment shows the
label, the configuration, ``LastModifiedTime`` and ``UpgradeStatus{UpgradeType, CurrentUpgradeDomain,
CurrentUpgradeDomainState}`` -- not the package URL nor ``RoleToUpgrade``, which are compared with
what the interrupted try asked for (kept with the mark) instead. Anything else is not this task's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, NoReturn, Protocol

from airflow_sm_provider.client.polling import int_of

__all__ = [
    "DONE",
    "NOT_SENT",
    "RUNNING",
    "WALKING",
    "check_role_to_upgrade",
    "config_digest",
    "deployment_facts",
    "domain_walked",
    "judge_rollback",
    "judge_upgrade",
    "judge_walk",
]

#: ``CurrentUpgradeDomainState`` of a domain being walked.
WALKING = "During"
#: What became of an interrupted try's request (``judge_*``).
RUNNING, DONE, NOT_SENT = "running", "done", "not_sent"


class _Refuses(Protocol):
    def not_this_tasks(
        self, what: str, differing: Mapping[str, tuple[Any, Any]], *, found_word: str = "found"
    ) -> NoReturn: ...


def domain_walked(upgrade: Any | None, domain: int, *, started_here: bool) -> bool:
    """True when upgrade domain ``domain`` is walked or being walked: never send its walk again.

    :param upgrade: the deployment's ``upgrade_status`` (None: no upgrade in progress).
    :param domain: the domain about to be walked (0-based).
    :param started_here: the caller started this upgrade and walked every domain before ``domain``
        (the rolling upgrade). Then no upgrade in progress means the walk of ``domain`` was the last
        and ended it (an interrupted try sent it). Domain 0 is never taken as walked from an absent
        status: that would verify the old build as the new one. Without ``started_here`` (the plain
        walk operator) nothing says an upgrade ever ran: the walk is sent and ASM answers in its words.
    """
    if upgrade is None:
        return started_here and domain > 0
    current = int_of(upgrade.current_upgrade_domain) or 0  # the model's is text, as the old SDK's
    return current > domain or (current == domain and upgrade.current_upgrade_domain_state == WALKING)


def check_role_to_upgrade(dep: Any, role: str | None) -> None:
    """Refuse a ``role_to_upgrade`` the deployment does not have, before the upgrade request.

    Why here: both upgrade operators read the deployment (Get Deployment lists its roles) before they
    send Upgrade Deployment, so a typo (``WebRole`` for ``WebRole1``) is an ``InvalidInputError``
    naming the argument and the roles that exist, not ASM's 400 after the request. Role names are
    compared without case, as ASM (and the emulator) accept them. A deployment that lists no roles is
    not judged.
    """
    if not role:
        return
    roles = [str(r.role_name) for r in getattr(dep, "role_list", None) or [] if getattr(r, "role_name", "")]
    if roles and role.lower() not in [r.lower() for r in roles]:
        import difflib

        from airflow_sm_provider.operators._checks import invalid

        hint = difflib.get_close_matches(role, roles, n=1, cutoff=0.6)
        close = f"; did you mean {hint[0]!r}?" if hint else ""
        invalid(
            "role_to_upgrade",
            f"deployment {getattr(dep, 'name', '?')} has no role {role!r}; its roles are "
            f"{', '.join(map(repr, roles))}{close}",
        )


def config_digest(configuration: str | bytes | None) -> str:
    """A fingerprint of a ``.cscfg`` (its XML or base64), blind to whitespace: kept instead of the
    text, whose settings may be secret."""
    import base64

    from airflow_sm_provider.client.validation import configuration as wire

    if not configuration:
        return ""
    try:
        raw = base64.b64decode(wire(configuration))
    except Exception:  # not a .cscfg at all: compare the text itself
        raw = configuration.encode() if isinstance(configuration, str) else bytes(configuration)
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    return hashlib.sha256(b"".join(raw.split())).hexdigest()[:16]


def deployment_facts(dep: Any) -> dict[str, Any]:
    """What a retry compares: label, configuration digest, LastModifiedTime, UpgradeStatus as
    ``[type, domain, state]`` (None: no upgrade), RollbackAllowed, UpgradeDomainCount. JSON-safe."""
    up = getattr(dep, "upgrade_status", None)
    return {
        "label": getattr(dep, "label", None),
        "configuration": config_digest(getattr(dep, "configuration", "") or ""),
        "modified": getattr(dep, "last_modified_time", None),
        "upgrade": None
        if up is None
        else [
            getattr(up, "upgrade_type", ""),
            int_of(getattr(up, "current_upgrade_domain", None)) or 0,
            getattr(up, "current_upgrade_domain_state", ""),
        ],
        "rollback_allowed": bool(getattr(dep, "rollback_allowed", False)),
        "domains": int_of(getattr(dep, "upgrade_domain_count", None)) or 1,
    }


def _build(facts: Mapping[str, Any]) -> tuple[Any, Any]:
    return facts["label"], facts["configuration"]


def judge_upgrade(op: _Refuses, dep: Any, before: Mapping[str, Any], asked: Mapping[str, Any]) -> str:
    """Upgrade Deployment: an upgrade in progress (or ended) with this task's label, configuration
    and (while it runs) mode is this task's; an unchanged deployment never got the request."""
    if before.get("upgrade") is not None:  # ASM refuses an upgrade over one in progress: no effect
        return NOT_SENT
    now = deployment_facts(dep)
    differing = {
        k: (want, have)
        for k, want, have in (
            ("deployment_label", asked["deployment_label"], now["label"]),
            ("configuration (digest)", asked["configuration"], now["configuration"]),
        )
        if want != have
    }
    if now["upgrade"] is not None:
        if now["upgrade"][0] != asked["mode"]:
            differing = {"mode": (asked["mode"], now["upgrade"][0]), **differing}
        if differing:
            op.not_this_tasks("the upgrade in progress on it", differing)
        return RUNNING
    if (*_build(now), now["modified"]) == (*_build(before), before.get("modified")):
        return NOT_SENT
    if differing:
        op.not_this_tasks("the deployment as it is now (changed since, no upgrade in progress)", differing)
    return DONE


def judge_walk(op: _Refuses, dep: Any, before: Mapping[str, Any], domain: int) -> str:
    """Walk Upgrade Domain: ASM walks only the next domain of a Manual upgrade, so the request took
    effect only when ``domain`` was next (``Before``); then it is being walked (``During``), or the
    upgrade is past it -- or over, when it was the last domain -- on the same build."""
    was = before.get("upgrade")
    if was is None or was[0] != "Manual" or int(was[1]) != domain or was[2] == WALKING:
        return NOT_SENT
    now = deployment_facts(dep)
    if _build(now) != _build(before):
        op.not_this_tasks(
            "the upgrade it walked (the deployment runs another build now: rolled back or replaced)",
            {"label": (before["label"], now["label"])},
            found_word="found",
        )
    up = now["upgrade"]
    if up is not None and int(up[1]) == domain:
        return RUNNING if up[2] == WALKING else NOT_SENT
    if up is not None and int(up[1]) > domain:
        return DONE
    if up is None and domain == int(before.get("domains") or 1) - 1:
        return DONE  # the walk of the last domain ended the upgrade
    op.not_this_tasks(
        "the upgrade in progress on it", {"upgrade_domain": (domain, None if up is None else up[1])}
    )


def judge_rollback(op: _Refuses, dep: Any, before: Mapping[str, Any], mode: str) -> str:
    """Rollback: it took effect when the upgrade it interrupted may no longer be rolled back and the
    deployment went back to another build (running while locked or walking back, else done)."""
    if not before.get("rollback_allowed"):  # nothing to roll back then: ASM refused it
        return NOT_SENT
    now = deployment_facts(dep)
    if now["rollback_allowed"]:  # the upgrade is still in progress, not rolled back
        return NOT_SENT
    if _build(now) == _build(before):
        op.not_this_tasks(
            "the upgrade, which ended without a rollback (the deployment still runs its build)",
            {"label": (f"the one before {before['label']!r}", now["label"])},
        )
    up = now["upgrade"]
    if up is not None and up[0] != mode:
        op.not_this_tasks("the rollback in progress on it", {"mode": (mode, up[0])})
    return RUNNING if up is not None or getattr(dep, "locked", False) else DONE

"""When an upgrade domain counts as walked, and which role an upgrade may name: one rule each for the
plain upgrade operators and the rolling upgrade.

Why one rule: a walk is not idempotent, so both the plain ``AsmWalkUpgradeDomainOperator`` (a retry
after its walk succeeded) and the guarded rolling upgrade (a resumed try) decide "already walked,
do not send it again" -- and they must decide it the same way.

ASM shows an upgrade in progress as the deployment's ``UpgradeStatus``: the current domain and its
state, ``Before`` (waiting for its walk) or ``During`` (being walked). Once the last domain has been
walked the upgrade is over and ``UpgradeStatus`` disappears, so an absent status is read with what
the caller knows (``started_here``).
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client.polling import int_of

__all__ = ["WALKING", "check_role_to_upgrade", "domain_walked"]

#: ``CurrentUpgradeDomainState`` of a domain being walked.
WALKING = "During"


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

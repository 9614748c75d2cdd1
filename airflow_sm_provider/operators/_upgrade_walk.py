"""When an upgrade domain counts as walked: one rule for the walk operator and the rolling upgrade.

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

__all__ = ["WALKING", "domain_walked"]

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

"""One rule says when an upgrade domain is already walked (``operators/_upgrade_walk.py``).

The plain walk operator (a retry after its walk) and the guarded rolling upgrade (a resumed try)
both use it; a walk that counts as done is never sent again. The table covers domain 0, the last
domain (here 2 of 3) and an upgrade that is not (or no longer) in progress.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "example_dags" / "config"


def _up(domain: int, state: str) -> Any:
    # the model holds the old SDK's text ("1"), not an int
    return NS(upgrade_type="Manual", current_upgrade_domain=str(domain), current_upgrade_domain_state=state)


# (upgrade_status, domain, started_here) -> walked
TABLE = [
    (None, 0, False, False),  # no upgrade at all: send, ASM answers in its words
    (None, 0, True, False),  # domain 0 is never inferred from an absent status
    (None, 2, False, False),  # the plain operator cannot tell "ended" from "never ran"
    (None, 2, True, True),  # the last domain's walk ended the upgrade this task started
    (_up(0, "Before"), 0, True, False),
    (_up(0, "During"), 0, True, True),
    (_up(1, "Before"), 0, False, True),
    (_up(2, "Before"), 2, True, False),  # the last domain, waiting for its walk
    (_up(2, "During"), 2, False, True),  # the last domain, being walked
    (_up(1, "During"), 2, True, False),  # an earlier domain still walking
]


@pytest.mark.parametrize(("upgrade", "domain", "started_here", "walked"), TABLE)
def test_the_rule(upgrade: Any, domain: int, started_here: bool, walked: bool) -> None:
    from airflow_sm_provider.operators._upgrade_walk import domain_walked

    assert domain_walked(upgrade, domain, started_here=started_here) is walked


@pytest.mark.parametrize(("upgrade", "domain", "walked"), [(u, d, w) for u, d, s, w in TABLE if not s])
def test_the_walk_operator_sends_only_a_walk_not_done(upgrade: Any, domain: int, walked: bool) -> None:
    from airflow_sm_provider.operators.upgrade import AsmWalkUpgradeDomainOperator

    op = AsmWalkUpgradeDomainOperator(
        task_id="walk", service_name="svc", deployment_slot="production", upgrade_domain=domain
    )
    op.target = lambda client: NS(name="live", upgrade_status=upgrade)  # type: ignore[method-assign]
    op.build_result = lambda client, rid, status: status  # type: ignore[method-assign]
    assert op.check_existing(None, adopt=False) == ("AlreadyWalked" if walked else None)  # type: ignore[arg-type]


class _Walks:
    def __init__(self) -> None:
        self.sent: list[int] = []

    def walk_upgrade_domain(self, service: str, name: str, domain: int) -> Any:
        self.sent.append(domain)
        return NS(request_id=f"walk-{domain}")


@pytest.mark.parametrize(("upgrade", "domain", "walked"), [(u, d, w) for u, d, s, w in TABLE if s])
def test_a_resumed_rolling_upgrade_never_walks_a_domain_twice(
    upgrade: Any, domain: int, walked: bool
) -> None:
    from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator
    from airflow_sm_provider.release_report import ReleaseRecorder

    op = AsmGuardedRollingUpgradeOperator(
        task_id="ru",
        service_name="svc",
        package_url="https://example.blob.core.windows.net/p/r2.cspkg",
        configuration=(CONFIG / "r2.cscfg").read_text(),
        deployment_label="r2",
        deferrable=False,
    )
    op.recorder = ReleaseRecorder("rolling_upgrade", "svc", report=op.new_report())
    op.state = {"domain": domain, "walks": {}, "deployment_name": "live", "domain_count": 3}
    op._deployment = lambda: NS(name="live", upgrade_status=upgrade)  # type: ignore[method-assign]
    op.client = walks = _Walks()  # type: ignore[assignment]
    op.save = lambda: None  # type: ignore[method-assign]
    step = op.phase_walk(None)
    assert step.phase == "walked"
    assert walks.sent == ([] if walked else [domain])
    assert step.steps[0]["name"] == ("domain_ready" if walked else "walk")

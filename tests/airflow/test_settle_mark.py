"""The submitting mark while an adopted (or reused) resource settles: what ends it, what keeps it.

Review finding (session 8): a retry that adopted a running upgrade deferred to the settle trigger;
the trigger lost ASM (an ``error_type`` event) and ``settle_complete`` cleared the mark like a judged
failure, so the next retry started fresh and sent the upgrade a second time. Only a failure the
readiness condition judged is terminal; a broken wait or a timeout keeps the mark (as ``_finish``
does for a request id).
"""

from __future__ import annotations

import pytest

from airflow_sm_provider.client.errors import AsmError, OperationFailedError, OperationTimeoutError
from airflow_sm_provider.client.polling import Outcome, PollResult
from airflow_sm_provider.operators.upgrade import AsmUpgradeDeploymentOperator


class _Memo:
    """Records whether the operator dropped its mark."""

    def __init__(self) -> None:
        self.cleared = False

    def clear(self) -> None:
        self.cleared = True


def _operator() -> AsmUpgradeDeploymentOperator:
    return AsmUpgradeDeploymentOperator(
        task_id="t",
        service_name="svc",
        deployment_slot="production",
        mode="Auto",
        package_url="https://acct.blob.core.windows.net/pkgs/app.cspkg",
        configuration="<ServiceConfiguration/>",
        deployment_label="r2",
    )


@pytest.mark.parametrize(
    ("result", "error", "cleared"),
    [
        (PollResult(Outcome.FAILED, "lost ASM", error_type="ConnectError"), AsmError, False),
        (PollResult(Outcome.TIMEOUT, "still locked after 600s"), OperationTimeoutError, False),
        (PollResult(Outcome.FAILED, "the upgrade ended Failed", reason="Failed"), OperationFailedError, True),
    ],
    ids=["wait-broke", "timed-out", "judged-failed"],
)
def test_only_a_judged_failure_drops_the_mark(result: PollResult, error: type, cleared: bool) -> None:
    memo = _Memo()
    with pytest.raises(error) as raised:
        _operator()._raise_unless_settled(result, memo)  # type: ignore[arg-type]
    assert type(raised.value) is error
    assert memo.cleared is cleared

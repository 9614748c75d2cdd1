"""The old SDK (a real ASM client) as the emulator's tests drive it: a client over mTLS, and its wait.

Shared by the old-SDK surface and release tests, which each keep their own module-scoped emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from azure.servicemanagement import ServiceManagementService

from airflow_sm_provider.emulator.pytest_plugin import legacy_session


@contextmanager
def legacy_client(endpoint: dict[str, Any]) -> Iterator[ServiceManagementService]:
    """An old-SDK client for the emulator at ``endpoint`` (its session carries the mTLS pair)."""
    session = legacy_session(endpoint)
    try:
        yield ServiceManagementService(
            endpoint["subscription_id"], host=endpoint["host"], request_session=session
        )
    finally:
        session.close()


def legacy_wait(sms: ServiceManagementService, result: Any, status: str = "Succeeded") -> Any:
    """The old SDK's own wait on ``result``'s request id, quietly and fast; asserts ``status``."""
    assert result is not None and len(result.request_id) == 32
    op = sms.wait_for_operation_status(
        result.request_id,
        timeout=60,
        sleep_interval=0.02,
        progress_callback=None,
        success_callback=None,
        failure_callback=None,
    )
    assert op.status == status, vars(op)
    return op

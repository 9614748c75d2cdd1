"""``AzureAsyncOperationHttpError`` from the ported ``wait_for_operation_status``, against the old SDK.

The old SDK (0.20.8) raises ``AzureAsyncOperationHttpError(message, result.status, result)``
from its default failure callback: ``status_code`` is the operation's status, ``'Failed'`` for a
failed operation and ``'InProgress'`` on its time-out, which is how a script tells the two apart.
Both SDKs run the same script on one emulator (``ported.both``) and must see the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from ported import CSCFG_B64, PACKAGE, Port, both, unique


def _failed_wait(port: Port, *, fail: bool) -> tuple[Any, ...]:
    conn, sdk = port.sms, port.sdk
    service = unique("aerr")
    conn.create_hosted_service(service, service, None, "West US", None, None)
    if fail:
        port.emulator.add_faults({"action": "fail_operation", "operation": "create_deployment", "count": 1})
    try:
        result = conn.create_deployment(service, "production", "v1", PACKAGE, "v1", CSCFG_B64)
        with pytest.raises(sdk.AzureAsyncOperationHttpError) as raised:
            # A failure waits for the end; a time-out is the first poll (timeout 0: one check).
            conn.wait_for_operation_status(
                result.request_id, timeout=60 if fail else 0, sleep_interval=0.05, progress_callback=None
            )
    finally:
        port.emulator.clear_faults()
    error = raised.value
    seen = (
        error.status_code,
        error.result.status,
        isinstance(error, sdk.AzureHttpError),
        str(error).endswith(
            ("Asynchronous operation did not succeed.", "Timed out waiting for async operation to complete.")
        ),
    )
    quiet: dict[str, Any] = {"progress_callback": None, "success_callback": None, "failure_callback": None}
    conn.wait_for_operation_status(result.request_id, timeout=60, sleep_interval=0.05, **quiet)
    deleted = conn.delete_hosted_service(service, complete=True)
    conn.wait_for_operation_status(deleted.request_id, timeout=60, sleep_interval=0.05, **quiet)
    return seen


def test_a_failed_operation_has_status_code_failed(
    ports: list[Port], capsys: pytest.CaptureFixture[str]
) -> None:
    assert both(ports, lambda port: _failed_wait(port, fail=True)) == ("Failed", "Failed", True, True)


def test_a_timed_out_wait_has_status_code_in_progress(
    ports: list[Port], capsys: pytest.CaptureFixture[str]
) -> None:
    assert both(ports, lambda port: _failed_wait(port, fail=False)) == (
        "InProgress",
        "InProgress",
        True,
        True,
    )

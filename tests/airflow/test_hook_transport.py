"""The hook's transport settings: the request-budget extra, number checks, and Test Connection never
echoing key material pasted into the wrong field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import asm_connection_json, conn_env

from airflow_sm_provider.client import budget as bmod
from airflow_sm_provider.hooks.service_management import ServiceManagementHook

CONN = "asm_hook_transport"


def _test_connection(endpoint: dict[str, Any], **extra: Any) -> tuple[bool, str]:
    with conn_env(CONN, asm_connection_json(endpoint, **extra)):
        hook = ServiceManagementHook(asm_conn_id=CONN)
        try:
            return hook.test_connection()
        finally:
            hook.close()


def test_pem_pasted_into_certificate_path_is_named_not_echoed(asm_endpoint: dict[str, Any]) -> None:
    pem = Path(asm_endpoint["client_pem"]).read_text()
    body_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    ok, message = _test_connection(asm_endpoint, certificate_path=pem)
    assert not ok
    assert "looks like PEM text" in message and "certificate_private_key" in message
    assert "PRIVATE KEY" not in message and "BEGIN" not in message
    assert not any(line in message for line in body_lines)


def test_requests_per_second_extra_sets_the_shared_budget(asm_endpoint: dict[str, Any]) -> None:
    host, sub = asm_endpoint["host"], asm_endpoint["subscription_id"]
    try:
        ok, message = _test_connection(asm_endpoint, requests_per_second="7.5")
        assert ok, message
        assert bmod.budget_for(host, sub).rate == 7.5
    finally:
        bmod.configure_budget(host, sub, bmod.DEFAULT_REQUESTS_PER_SECOND)


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-3", "fast"])
@pytest.mark.parametrize("name", ["requests_per_second", "timeout"])
def test_bad_numbers_are_refused_naming_the_extra(
    asm_endpoint: dict[str, Any], name: str, value: str
) -> None:
    ok, message = _test_connection(asm_endpoint, **{name: value})
    assert not ok and repr(name) in message and "Connection" in message


@pytest.mark.parametrize(
    ("field", "resolved"),
    [("china", "management.core.chinacloudapi.cn"), (None, "management.core.windows.net")],
)
def test_budget_extra_is_keyed_by_the_host_the_transport_uses(field: str | None, resolved: str) -> None:
    """The host is always passed explicitly (so the client's AZURE_MANAGEMENT_HOST fallback never
    applies to a connection), and a cloud name sets the budget the transport draws from."""
    from airflow_sm_provider.hooks.service_management import AsmConnectionSettings

    sub = "8f6b5e2c-7d3a-4c1b-9e0f-1a2b3c4d5e6f"
    settings = AsmConnectionSettings(
        conn_id=CONN, host=field, subscription_id=sub, certificate="unused", certificate_field="x",
        password=None, ca_bundle=None, verify=True, x_ms_version=None, timeout=None, max_retries=None,
        requests_per_second=3.0,
    )  # fmt: skip
    try:
        kwargs = settings.client_kwargs(_FakeCredentials())  # type: ignore[arg-type]
        assert kwargs["host"] == (field or resolved)  # always explicit, never the environment's
        assert bmod.budget_for(resolved, sub).rate == 3.0
    finally:
        bmod.configure_budget(resolved, sub, bmod.DEFAULT_REQUESTS_PER_SECOND)


class _FakeCredentials:
    """What ``client_kwargs`` reads of loaded credentials (no key material needed here)."""

    subscription_id = None
    management_host = None

"""ServiceManagementHook against the emulator over real mutual TLS: every certificate form,
field validation, test_connection messages, and secret masking."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from harness import asm_connection_json, conn_env
from testpki import cert_pem, key_pem, make_cert, rsa_key

from airflow_sm_provider.hooks.service_management import ServiceManagementHook

CONN = "asm_hook_test"  # the connection of the ``make_hook`` fixture (conftest.py)


def _pem_parts(endpoint: dict[str, Any]) -> tuple[Any, Any]:
    data = Path(endpoint["client_pem"]).read_bytes()
    cert = x509.load_pem_x509_certificate(data)
    key = serialization.load_pem_private_key(
        b"".join(line + b"\n" for line in _key_block(data).splitlines()), None
    )
    return cert, key


def _key_block(data: bytes) -> bytes:
    start = data.index(b"-----BEGIN")
    while b"CERTIFICATE" in data[start : start + 40]:
        start = data.index(b"-----BEGIN", start + 10)
    return data[start:]


def _self_signed(tmp_path: Path, *, bits: int = 2048, days: int = 30, expired: bool = False) -> Path:
    now = dt.datetime.now(dt.timezone.utc)
    start = now - dt.timedelta(days=days * 2) if expired else now - dt.timedelta(minutes=5)
    end = now - dt.timedelta(days=1) if expired else now + dt.timedelta(days=days)
    key = rsa_key(bits, slot=1)
    cert = make_cert(key, "not-registered", not_before=start, not_after=end)
    path = tmp_path / f"cert-{bits}-{'expired' if expired else 'ok'}.pem"
    path.write_bytes(cert_pem(cert) + key_pem(key))
    return path


# --- get_conn for each certificate form ----------------------------------------------------------
def test_certificate_path_pem(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    hook = make_hook()
    sub = hook.get_conn().get_subscription()
    assert sub.subscription_id == asm_endpoint["subscription_id"]
    assert hook.get_conn() is hook.get_conn()  # cached
    assert hook.credentials is not None
    assert hook.credentials.thumbprint == asm_endpoint["thumbprint"]


def test_certificate_private_key_pem_text(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    pem = Path(asm_endpoint["client_pem"]).read_text()
    hook = make_hook(certificate_path=None, certificate_private_key=pem)
    assert hook.get_conn().get_subscription().subscription_id == asm_endpoint["subscription_id"]


def test_base64_pkcs12_with_password(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    cert, key = _pem_parts(asm_endpoint)
    p12 = pkcs12.serialize_key_and_certificates(
        b"asm", key, cert, None, serialization.BestAvailableEncryption(b"s3cret-pw")
    )
    hook = make_hook(
        certificate_path=None, certificate_private_key=base64.b64encode(p12).decode(), password="s3cret-pw"
    )
    assert hook.get_conn().get_subscription().subscription_id == asm_endpoint["subscription_id"]


def test_publishsettings_supplies_subscription_and_host(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    cert, key = _pem_parts(asm_endpoint)
    p12 = pkcs12.serialize_key_and_certificates(b"asm", key, cert, None, serialization.NoEncryption())
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><PublishData><PublishProfile SchemaVersion="2.0" '
        'PublishMethod="AzureServiceManagementAPI"><Subscription '
        f'ServiceManagementUrl="https://{asm_endpoint["host"]}" Id="{asm_endpoint["subscription_id"]}" '
        f'Name="Emulated" ManagementCertificate="{base64.b64encode(p12).decode()}" />'
        "</PublishProfile></PublishData>"
    )
    hook = make_hook(host="", subscription_id="", certificate_path=None, certificate_private_key=xml)
    assert hook.get_conn().get_subscription().subscription_id == asm_endpoint["subscription_id"]


# --- validation before any request ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"certificate_path": None}, "no management certificate"),
        ({"certificate_private_key": "-----BEGIN CERTIFICATE-----"}, "not both"),
        ({"verify": "maybe"}, "'verify'"),
        ({"timeout": "soon"}, "'timeout'"),
        ({"max_retries": "-1"}, "'max_retries'"),
    ],
)
def test_invalid_fields_name_the_field(make_hook: Any, extra: dict[str, Any], needle: str) -> None:
    hook = make_hook(**extra)
    with pytest.raises(ValueError, match=needle):
        hook.get_conn()
    ok, message = hook.test_connection()
    assert not ok and needle.strip("'") in message


def test_missing_subscription_names_the_field(make_hook: Any) -> None:
    hook = make_hook(subscription_id="")
    with pytest.raises(ValueError, match="subscription_id"):
        hook.get_conn()


def test_empty_ui_strings_are_unset(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    hook = make_hook(certificate_private_key="", x_ms_version="", timeout="", max_retries="", verify="")
    settings = hook.settings
    assert settings.certificate_field == "certificate_path"
    assert settings.timeout is None and settings.max_retries is None and settings.verify is True
    assert hook.get_conn().get_subscription().subscription_id == asm_endpoint["subscription_id"]


# --- test_connection -----------------------------------------------------------------------------
def test_test_connection_success_names_subscription_and_thumbprint(
    make_hook: Any, asm_endpoint: dict[str, Any]
) -> None:
    ok, message = make_hook().test_connection()
    assert ok, message
    assert asm_endpoint["subscription_id"] in message
    assert asm_endpoint["thumbprint"] in message


def test_test_connection_answers_at_once_without_retrying(
    make_hook: Any, asm_endpoint: dict[str, Any]
) -> None:
    """One 503 must be reported, not retried away: a person is waiting for the answer."""
    from harness import add_fault, clear_faults

    add_fault(asm_endpoint, action="503", operation="get_subscription", count=2)
    try:
        ok, message = make_hook().test_connection()
        assert not ok
        assert "ServerBusy" in message or "503" in message, message
        ok_again, message_again = make_hook().test_connection()  # the second 503 of the rule
        assert not ok_again, message_again
        assert make_hook().test_connection()[0]  # rule used up: exactly one request per test
    finally:
        clear_faults(asm_endpoint)


def test_test_connection_unregistered_certificate(make_hook: Any, tmp_path: Path) -> None:
    ok, message = make_hook(certificate_path=str(_self_signed(tmp_path))).test_connection()
    assert not ok
    assert "upload" in message.lower() and ".cer" in message


def test_test_connection_untrusted_server_says_set_ca_bundle(make_hook: Any) -> None:
    ok, message = make_hook(ca_bundle=None).test_connection()
    assert not ok
    assert "ca_bundle" in message


def test_test_connection_1024_bit_key(make_hook: Any, tmp_path: Path) -> None:
    ok, message = make_hook(certificate_path=str(_self_signed(tmp_path, bits=1024))).test_connection()
    assert not ok
    assert "1024" in message and "2048" in message


def test_test_connection_expired_certificate(make_hook: Any, tmp_path: Path) -> None:
    ok, message = make_hook(certificate_path=str(_self_signed(tmp_path, expired=True))).test_connection()
    assert not ok
    assert "expired" in message


def test_test_connection_unreachable_host(make_hook: Any) -> None:
    ok, message = make_hook(host="127.0.0.1:1", max_retries="0", timeout="5").test_connection()
    assert not ok
    assert "could not be reached" in message or "127.0.0.1:1" in message


def test_test_connection_wrong_subscription(make_hook: Any) -> None:
    ok, message = make_hook(subscription_id="00000000-0000-0000-0000-000000000000").test_connection()
    assert not ok
    assert "00000000-0000-0000-0000-000000000000" in message


# --- masking -------------------------------------------------------------------------------------
def test_key_material_and_password_are_masked(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    cert, key = _pem_parts(asm_endpoint)
    p12_b64 = base64.b64encode(
        pkcs12.serialize_key_and_certificates(
            b"a", key, cert, None, serialization.BestAvailableEncryption(b"pw-xyz-123")
        )
    ).decode()
    hook = make_hook(certificate_path=None, certificate_private_key=p12_b64, password="pw-xyz-123")
    _ = hook.settings
    assert p12_b64 not in str(redact(f"cert={p12_b64}"))
    assert "pw-xyz-123" not in str(redact("password is pw-xyz-123"))
    assert "pw-xyz-123" not in repr(hook.settings) and p12_b64 not in repr(hook.settings)


def test_each_pem_line_is_masked(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    pem = Path(asm_endpoint["client_pem"]).read_text()
    _ = make_hook(certificate_path=None, certificate_private_key=pem).settings
    key_line = _key_block(pem.encode()).decode().splitlines()[3]
    assert key_line not in str(redact(f"oops: {key_line}"))


def test_each_secret_is_registered_once(
    make_hook: Any, asm_endpoint: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every mask request is one more copy of the secret (Airflow's in-process runner logs them at
    DEBUG): the key once whole (its stripped text masks the unstripped one too, as the masker matches
    substrings) and each long line once, even when the key is pasted in two fields."""
    from airflow_sm_provider.hooks import service_management

    registered: list[str] = []
    monkeypatch.setattr(service_management, "mask_secret", registered.append)
    pem = Path(asm_endpoint["client_pem"]).read_text()
    assert pem.endswith("\n")
    hook = make_hook(certificate_path=None, certificate_private_key=pem, password="pw-xyz-123", x_note=pem)
    _ = hook.settings  # x_note: a key pasted into a field that is not the key's
    assert registered, "nothing was registered"
    assert len(registered) == len(set(registered)), sorted(registered)
    assert sum("PRIVATE KEY" in value for value in registered) == 1
    assert registered.count("pw-xyz-123") == 1


def test_async_settings_and_client(asm_endpoint: dict[str, Any]) -> None:
    import asyncio

    async def go() -> str:
        client = await ServiceManagementHook(asm_conn_id=CONN).get_async_conn()
        async with client:
            sub = await client.get_subscription()
        return str(sub.subscription_id)

    with conn_env(CONN, asm_connection_json(asm_endpoint)):
        assert asyncio.run(go()) == asm_endpoint["subscription_id"]


def test_connection_json_is_valid_for_airflow(asm_endpoint: dict[str, Any]) -> None:
    data = json.loads(asm_connection_json(asm_endpoint))
    assert data["conn_type"] == "azure_service_management"
    assert data["extra"]["certificate_path"] == asm_endpoint["client_pem"]


def test_airflow_connections_test_cli(asm_endpoint: dict[str, Any], tmp_path: Path) -> None:
    """``airflow connections test`` (what the UI's Test button runs) on good and bad connections."""
    import os
    import subprocess
    import sys

    airflow_bin = str(Path(sys.executable).with_name("airflow"))

    def cli(conn_json: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, AIRFLOW_CONN_ASM_CLI=conn_json, AIRFLOW__CORE__TEST_CONNECTION="Enabled")
        return subprocess.run(
            [airflow_bin, "connections", "test", "asm_cli"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    good = cli(asm_connection_json(asm_endpoint))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Connection success" in good.stdout  # the CLI prints our message only on failure
    bad = cli(asm_connection_json(asm_endpoint, certificate_path=str(_self_signed(tmp_path))))
    assert "upload" in (bad.stdout + bad.stderr).lower()

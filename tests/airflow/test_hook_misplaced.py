"""A connection whose values are in the wrong extra, or under a misspelled key: the hook says which
extra to fix (a path in the certificate-text extra; a certificate error names its extra) and names
keys it does not read, with the key that was probably meant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.client.errors import CertificateError
from airflow_sm_provider.hooks._extras import unknown_extra_notes

CONN = "asm_hook_test"  # the connection of the ``make_hook`` fixture (conftest.py)


def test_a_path_in_the_certificate_text_extra_says_use_certificate_path(
    make_hook: Any, asm_endpoint: dict[str, Any]
) -> None:
    hook = make_hook(certificate_path=None, certificate_private_key=asm_endpoint["client_pem"])
    with pytest.raises(CertificateError) as info:
        hook.get_conn()
    assert info.value.field == "certificate_private_key"
    text = str(info.value)
    assert "extra 'certificate_private_key' holds a file path" in text
    assert "put the path in extra 'certificate_path'" in text
    ok, message = hook.test_connection()
    assert not ok and "put the path in extra 'certificate_path'" in message


@pytest.mark.parametrize("path", ["~/certs/mycert.pfx", r"C:\certs\mycert.p12", "mycert.publishsettings"])
def test_a_missing_path_in_the_certificate_text_extra_is_still_a_path(make_hook: Any, path: str) -> None:
    with pytest.raises(CertificateError, match="holds a file path") as info:
        make_hook(certificate_path=None, certificate_private_key=path).get_conn()
    assert info.value.field == "certificate_private_key"


def test_a_certificate_error_names_the_extra_that_held_it(
    make_hook: Any, asm_endpoint: dict[str, Any]
) -> None:
    hook = make_hook(certificate_path=asm_endpoint["ca_cert"])  # a certificate without a key
    with pytest.raises(CertificateError) as info:
        hook.get_conn()
    assert info.value.field == "certificate_path"
    assert f"Connection {CONN!r}, extra 'certificate_path': " in str(info.value)
    assert "no private key" in str(info.value)


def test_a_misspelled_ca_bundle_is_named_by_test_connection(
    make_hook: Any, asm_endpoint: dict[str, Any]
) -> None:
    hook = make_hook(ca_bundle=None, ca_cert=asm_endpoint["ca_cert"])  # the endpoint.json key
    ok, message = hook.test_connection()
    assert not ok
    assert "unknown extra key 'ca_cert'; did you mean 'ca_bundle'?" in message
    assert hook.settings.notes == ("unknown extra key 'ca_cert'; did you mean 'ca_bundle'?",)


def test_a_camel_case_subscription_id_is_named(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    hook = make_hook(subscription_id=None, subscriptionId=asm_endpoint["subscription_id"])
    ok, message = hook.test_connection()
    assert not ok and "unknown extra key 'subscriptionId'; did you mean 'subscription_id'?" in message


def test_an_unknown_key_is_a_note_not_a_failure(make_hook: Any) -> None:
    ok, message = make_hook(owner_team="payments").test_connection()
    assert ok, message
    assert "Note: unknown extra key 'owner_team' is ignored" in message


def test_notes_name_keys_never_values() -> None:
    known = ["subscription_id", "certificate_private_key", "certificate_path", "ca_bundle"]
    notes = unknown_extra_notes(
        {
            "certificate_privatekey": "SECRET-VALUE",
            "extra__azure_service_management__ca_bundle": "/x",
            "host": "h",
            "ca_bundle": "/ok",
        },
        known,
    )
    assert notes == [
        "unknown extra key 'certificate_privatekey'; did you mean 'certificate_private_key'?",
        "unknown extra key 'extra__azure_service_management__ca_bundle'; did you mean 'ca_bundle'?",
        "unknown extra key 'host'; it is the connection's own Host field, not an extra",
    ]


def _key_material(pem: str) -> list[str]:
    """The base64 lines of every block: what must never be shown."""
    lines = [line.strip() for line in pem.splitlines() if line.strip() and not line.startswith("-----")]
    assert len(lines) > 10
    return lines


@pytest.mark.parametrize("with_certificate", [False, True], ids=["no_certificate", "certificate_set_too"])
def test_pem_in_the_login_field_is_refused_naming_login_without_echoing_it(
    make_hook: Any, asm_endpoint: dict[str, Any], with_certificate: bool
) -> None:
    """Pasted into Login it got no hint: "has no management certificate" (or it sat there, unmasked in
    ``airflow connections get``). Now a typed error naming ``login`` and where the PEM goes."""
    from airflow_sm_provider.client.errors import InvalidInputError

    pem = Path(asm_endpoint["client_pem"]).read_text(encoding="utf-8")
    assert "PRIVATE KEY-----" in pem and "CERTIFICATE-----" in pem
    extra: dict[str, Any] = {"login": pem}
    if not with_certificate:
        extra["certificate_path"] = None
    hook = make_hook(**extra)
    with pytest.raises(InvalidInputError) as info:
        hook.get_conn()
    assert info.value.field == "login"
    text = str(info.value)
    assert f"Connection {CONN!r}: the Login field holds PEM text" in text, text
    assert "extra 'certificate_private_key'" in text and "extra 'subscription_id'" in text, text
    ok, message = hook.test_connection()
    assert not ok and "Invalid connection setting 'login'" in message and "certificate_private_key" in message
    shown = [text, repr(info.value), message, str(info.value.args)]
    for line in _key_material(pem):
        assert not any(line in s for s in shown), "key material in the error"


def test_a_certificate_only_pem_in_login_is_refused_too(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    from airflow_sm_provider.client.errors import InvalidInputError

    cert = Path(asm_endpoint["ca_cert"]).read_text(encoding="utf-8")  # a CERTIFICATE block, no key
    with pytest.raises(InvalidInputError) as info:
        make_hook(login="  " + cert, certificate_path=None).get_conn()
    assert info.value.field == "login"
    assert not any(line in repr(info.value) for line in _key_material(cert))


@pytest.mark.parametrize(
    ("extra", "note", "field"),
    [
        (
            {"subscription_id": None, "subscriptionId": "x"},
            "unknown extra key 'subscriptionId'; did you mean 'subscription_id'?",
            "subscription_id",
        ),
        (  # refused before the notes were made: Test Connection did not show this one either
            {"certificate_path": None, "certificate": "/secrets/mycert.pem"},
            "unknown extra key 'certificate'; did you mean 'certificate_path'?",
            "certificate_path",
        ),
        (
            {"certificate_path": None, "cert_file": "/secrets/mycert.pem"},
            "unknown extra key 'cert_file'; did you mean 'certificate_path'?",
            "certificate_path",
        ),
    ],
    ids=["subscriptionId", "certificate", "cert_file"],
)
def test_get_conn_errors_carry_the_did_you_mean_note_as_test_connection_does(
    make_hook: Any, asm_endpoint: dict[str, Any], extra: dict[str, Any], note: str, field: str
) -> None:
    """Only Test Connection said "did you mean"; the error a task got from get_conn() did not."""
    from airflow_sm_provider.client.errors import InvalidInputError

    if "subscriptionId" in extra:
        extra["subscriptionId"] = asm_endpoint["subscription_id"]
    hook = make_hook(**extra)
    with pytest.raises(InvalidInputError) as info:
        hook.get_conn()
    assert info.value.field == field
    assert f"Note: {note}" in str(info.value) and f"Note: {note}" in info.value.message, str(info.value)
    ok, message = make_hook(**extra).test_connection()
    assert not ok and message.count(f"Note: {note}") == 1, message


def test_get_async_conn_errors_carry_the_note_too(make_hook: Any, asm_endpoint: dict[str, Any]) -> None:
    import asyncio

    from airflow_sm_provider.client.errors import InvalidInputError

    hook = make_hook(subscription_id=None, subscriptionId=asm_endpoint["subscription_id"])
    with pytest.raises(InvalidInputError) as info:
        asyncio.run(hook.get_async_conn())
    assert "did you mean 'subscription_id'?" in str(info.value)


def test_a_certificate_error_carries_the_note_and_keeps_its_field(
    make_hook: Any, asm_endpoint: dict[str, Any]
) -> None:
    # No key in the file, and the .pfx password put in an extra (the harness's ``password=`` is the field).
    hook = make_hook(certificate_path=asm_endpoint["ca_cert"], Password="pfx-secret")
    with pytest.raises(CertificateError) as info:
        hook.get_conn()
    assert info.value.field == "certificate_path" and "no private key" in str(info.value)
    assert "Note: unknown extra key 'Password'; it is the connection's own Password field" in str(info.value)
    assert "pfx-secret" not in str(info.value)
    ok, message = hook.test_connection()
    assert not ok and message.count("unknown extra key 'Password'") == 1, message

"""A certificate pasted into the wrong connection field never reaches an exception or a log line.

Found by a new user's try: the whole client PEM (certificate and key) pasted into the subscription
id or the host field came back in ``InvalidInputError``'s text, and the hook's INFO line logged it
before anything was validated; Airflow's masker did not hide it, since neither field is secret.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from harness import asm_connection_json, conn_env
from testpki import key_pem, rsa_key

from airflow_sm_provider.client.errors import KEY_MATERIAL_REMOVED, InvalidInputError, without_key_material
from airflow_sm_provider.hooks.service_management import ServiceManagementHook

CONN = "asm_key_material"


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.S)


def _key_lines(pem: str) -> list[str]:
    """The base64 lines of every private key block (PKCS#8 or RSA): what must never be printed."""
    blocks = [body for label, body in _PEM_BLOCK.findall(pem) if label.endswith("PRIVATE KEY")]
    assert blocks, "the endpoint's client PEM holds no private key"
    return [line for body in blocks for line in body.split() if line]


@pytest.mark.parametrize("field", ["subscription_id", "host"])
def test_pem_in_a_plain_field_is_refused_without_echoing_the_key(
    field: str, asm_endpoint: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    pem = Path(asm_endpoint["client_pem"]).read_text()
    assert "PRIVATE KEY" in pem
    with conn_env(CONN, asm_connection_json(asm_endpoint, **{field: pem})):
        hook = ServiceManagementHook(asm_conn_id=CONN)
        with caplog.at_level(logging.DEBUG), pytest.raises((InvalidInputError, ValueError)) as raised:
            hook.get_conn()
        ok, message = hook.test_connection()

    assert not ok
    texts = {"exception": str(raised.value), "test_connection": message, "log": caplog.text}
    for where, text in texts.items():
        assert "PRIVATE KEY" not in text, where
        for line in _key_lines(pem):
            assert line not in text, (where, line)
    assert field in str(raised.value)  # still names the field to fix


def test_a_key_pasted_into_any_field_is_registered_with_the_masker(asm_endpoint: dict[str, Any]) -> None:
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    pem = Path(asm_endpoint["client_pem"]).read_text()
    with conn_env(CONN, asm_connection_json(asm_endpoint, subscription_id=pem)):
        hook = ServiceManagementHook(asm_conn_id=CONN)
        with pytest.raises(ValueError):
            _ = hook.settings.subscription_id and hook.get_conn()
    line = _key_lines(pem)[2]
    assert line not in str(redact(f"a library printed {line}"))


def test_invalid_input_error_strips_key_material_from_any_message() -> None:
    block = key_pem(rsa_key(2048)).decode()  # made at run time: no key material in the repository
    key_line = block.splitlines()[1]
    error = InvalidInputError("subscription_id", f"{block!r} is not a subscription id")
    assert key_line not in str(error) and key_line[:16] not in error.message
    assert KEY_MATERIAL_REMOVED in str(error) and str(error).startswith("subscription_id: ")
    run = "Ab1" * 30  # a base64-looking run of 90 characters, even without PEM armour
    assert without_key_material(f"value {run}") == f"value {KEY_MATERIAL_REMOVED}"
    path = "/very/long/" + "directory/" * 10  # a long path is not key material
    assert without_key_material(path) == path


def _settings_error(endpoint: dict[str, Any], **extra: Any) -> InvalidInputError:
    with conn_env(CONN, asm_connection_json(endpoint, **extra)), pytest.raises(InvalidInputError) as raised:
        _ = ServiceManagementHook(asm_conn_id=CONN).settings
    return raised.value


def test_pem_in_the_password_field_says_where_it_belongs(asm_endpoint: dict[str, Any]) -> None:
    pem = Path(asm_endpoint["client_pem"]).read_text()
    error = _settings_error(asm_endpoint, certificate_path=None, password=pem)
    assert error.field == "certificate_path"
    assert "password field holds PEM text" in str(error)
    assert "certificate_private_key" in str(error)
    assert "PRIVATE KEY" not in str(error)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"verify": "maybe"}, "verify"),
        ({"timeout": "soon"}, "timeout"),
        ({"max_retries": "-1"}, "max_retries"),
    ],
)
def test_connection_field_errors_are_typed_and_name_the_field(
    extra: dict[str, str], field: str, asm_endpoint: dict[str, Any]
) -> None:
    error = _settings_error(asm_endpoint, **extra)
    assert error.field == field
    assert f"extra {field!r}" in str(error)


@pytest.mark.parametrize("form", ["path", "text"])
def test_a_private_key_in_the_ca_bundle_is_named_as_the_mistake(
    form: str, asm_endpoint: dict[str, Any]
) -> None:
    """Found by a new user: the client PEM given as ca_bundle was accepted, and the test then said
    only "the server's certificate is not signed by a trusted CA"."""
    pem_path = asm_endpoint["client_pem"]
    bundle = pem_path if form == "path" else Path(pem_path).read_text()
    with conn_env(CONN, asm_connection_json(asm_endpoint, ca_bundle=bundle)):
        hook = ServiceManagementHook(asm_conn_id=CONN)
        with pytest.raises(InvalidInputError) as raised:
            hook.get_conn()
        ok, message = hook.test_connection()
    assert raised.value.field == "ca_bundle"
    assert "holds a private key" in str(raised.value) and "certificate_path" in str(raised.value)
    assert not ok and "holds a private key" in message
    assert "PRIVATE KEY-----" not in str(raised.value) + message

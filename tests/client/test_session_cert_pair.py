"""``request_session.cert = (cert_path, key_path)``, the requests idiom, against the emulator.

The old SDK handed the session to requests, which accepts the certificate and its key as two PEM
files; so did ``cert_file=(cert, key)`` (it became the session's ``cert``). Ours loads both files
into its own TLS context and must reach the emulator over mutual TLS the same way; the key file's
content is never shown in an error.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import azure.servicemanagement
import pytest
import requests
from testpki import make_cert, rsa_key

from airflow_sm_provider.client import AsyncServiceManagementClient, ServiceManagementService
from airflow_sm_provider.client.errors import AuthenticationError, CertificateError
from airflow_sm_provider.emulator.sessions import legacy_session

PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----\s*", re.S)


def _split(client_pem: str, tmp_path: Path) -> tuple[str, str]:
    """The emulator's one PEM (certificate + key) as two files, as many deployments keep them."""
    blocks = PEM_BLOCK.findall(Path(client_pem).read_bytes())
    cert = [b for b in blocks if b"CERTIFICATE" in b]
    key = [b for b in blocks if b"PRIVATE KEY" in b]
    assert len(cert) == 1 and len(key) == 1
    cert_path, key_path = tmp_path / "client.crt", tmp_path / "client.key"
    cert_path.write_bytes(cert[0])
    key_path.write_bytes(key[0])
    return str(cert_path), str(key_path)


def _session(ep: dict[str, Any], pair: tuple[str, str]) -> requests.Session:
    session = legacy_session(ep)  # verify: the emulator's CA, trust_env off
    session.cert = pair
    return session


def test_old_sdk_accepts_the_pair(asm_emulator: Any, tmp_path: Path) -> None:
    """The truth: 0.20.8 with the same session lists the locations."""
    ep = asm_emulator.endpoint
    old = azure.servicemanagement.ServiceManagementService(
        ep["subscription_id"],
        host=ep["host"],
        request_session=_session(ep, _split(ep["client_pem"], tmp_path)),
    )
    assert [loc.name for loc in old.list_locations()]


def test_session_cert_pair_reaches_the_emulator(asm_emulator: Any, tmp_path: Path) -> None:
    ep = asm_emulator.endpoint
    pair = _split(ep["client_pem"], tmp_path)
    with ServiceManagementService(
        ep["subscription_id"], host=ep["host"], request_session=_session(ep, pair)
    ) as sms:
        names = [loc.name for loc in sms.list_locations()]
        assert names and sms.credentials is not None
        assert sms.cert_file is None  # as the old SDK: the certificate came with the session


def test_cert_file_pair_reaches_the_emulator(asm_emulator: Any, tmp_path: Path) -> None:
    ep = asm_emulator.endpoint
    pair = _split(ep["client_pem"], tmp_path)
    with ServiceManagementService(ep["subscription_id"], pair, ep["host"], ca_bundle=ep["ca_cert"]) as sms:
        assert [loc.name for loc in sms.list_locations()]
        assert sms.cert_file == pair


def test_async_client_takes_the_pair(asm_emulator: Any, tmp_path: Path) -> None:
    ep = asm_emulator.endpoint
    session = _session(ep, _split(ep["client_pem"], tmp_path))

    async def run() -> list[str]:
        async with AsyncServiceManagementClient(
            ep["subscription_id"], host=ep["host"], request_session=session
        ) as c:
            return [loc.name for loc in await c.list_locations()]

    assert asyncio.run(run())


def test_the_pair_is_really_presented(asm_emulator: Any, tmp_path: Path) -> None:
    """Mutual TLS: an unregistered certificate in the pair is refused by the emulator (so the one
    above was sent, not ignored)."""
    ep = asm_emulator.endpoint
    key = rsa_key()
    cert_path, key_path = tmp_path / "other.crt", tmp_path / "other.key"
    cert_path.write_bytes(make_cert(key, "not-registered").public_bytes(_pem()))
    key_path.write_bytes(_key_pem(key))
    session = _session(ep, (str(cert_path), str(key_path)))
    with (
        ServiceManagementService(ep["subscription_id"], host=ep["host"], request_session=session) as sms,
        pytest.raises(AuthenticationError),
    ):
        sms.list_locations()


def test_a_key_of_another_certificate_is_refused_without_showing_it(
    asm_emulator: Any, tmp_path: Path
) -> None:
    ep = asm_emulator.endpoint
    cert, _key = _split(ep["client_pem"], tmp_path)
    other = tmp_path / "other.key"
    other.write_bytes(_key_pem(rsa_key()))
    with pytest.raises(CertificateError) as info:
        ServiceManagementService(
            ep["subscription_id"], host=ep["host"], request_session=_session(ep, (cert, str(other)))
        )
    text = str(info.value)
    assert "does not belong" in text and "other.key" in text and "client.crt" in text
    assert "PRIVATE KEY" not in text and "MII" not in text


def test_a_missing_key_file_is_named(asm_emulator: Any, tmp_path: Path) -> None:
    ep = asm_emulator.endpoint
    cert, _key = _split(ep["client_pem"], tmp_path)
    with pytest.raises(CertificateError, match=r"nokey\.pem' does not exist"):
        ServiceManagementService(
            ep["subscription_id"],
            host=ep["host"],
            request_session=_session(ep, (cert, str(tmp_path / "nokey.pem"))),
        )


def _pem() -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.PEM


def _key_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

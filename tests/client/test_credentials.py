"""Credentials: every form loads, every defect gets an actionable CertificateError."""

from __future__ import annotations

import base64
import datetime as dt
import os
import ssl
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from airflow_sm_provider.client.credentials import Credentials, load_credentials
from airflow_sm_provider.client.errors import CertificateError, InvalidInputError

# Helpers come from conftest via the session ``kit`` fixture; bound here for brevity.
K: Any = None


@pytest.fixture(autouse=True)
def _bind_kit(kit: Any) -> None:
    global K
    K = kit


SUB_A = "11111111-2222-3333-4444-555555555555"
SUB_B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def _pem() -> bytes:
    key = K.rsa_key(2048, 3)
    return K.cert_pem(K.make_cert(key)) + K.key_pem(key)


def _p12(password: bytes | None = None) -> bytes:
    key = K.rsa_key(2048, 3)
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"mycert", key, K.make_cert(key), None, enc)


def _publishsettings(*subs: str, host: str = "management.core.chinacloudapi.cn") -> str:
    b64 = base64.b64encode(_p12()).decode()
    rows = "".join(
        f'<Subscription ServiceManagementUrl="https://{host}" Id="{s}" Name="Sub {i}" '
        f'ManagementCertificate="{b64}" />'
        for i, s in enumerate(subs)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><PublishData><PublishProfile SchemaVersion="2.0" '
        f'PublishMethod="AzureServiceManagementAPI">{rows}</PublishProfile></PublishData>'
    )


def _assert_clean(exc: BaseException, *secrets: bytes | str) -> None:
    text = str(exc)
    assert "PRIVATE KEY" not in text
    for s in secrets:
        s = s.decode() if isinstance(s, bytes) else s
        assert s not in text


# --- forms -------------------------------------------------------------------------------------------
def test_pem_file_path_and_pathlike(tmp_path: Path) -> None:
    p = tmp_path / "mycert.pem"
    p.write_bytes(_pem())
    a = load_credentials(str(p))
    b = load_credentials(p)
    assert a.thumbprint == b.thumbprint
    assert len(a.thumbprint) == 40 and a.thumbprint == a.thumbprint.upper()
    assert a.subscription_id is None and a.management_host is None


def test_thumbprint_is_sha1_of_certificate(pki: Any) -> None:
    creds = load_credentials(pki.client_pem)
    assert creds.thumbprint == pki.client_cert.fingerprint(hashes.SHA1()).hex().upper()
    assert creds.not_after == pki.client_cert.not_valid_after_utc


def test_pem_text_and_bytes() -> None:
    pem = _pem()
    assert load_credentials(pem.decode()).thumbprint == load_credentials(pem).thumbprint


def test_pem_key_before_certificate_and_chain(pki: Any) -> None:
    pem = K.key_pem(pki.client_key) + K.cert_pem(pki.ca_cert) + K.cert_pem(pki.client_cert)
    creds = load_credentials(pem)
    assert creds.certificate == pki.client_cert


def test_encrypted_pem_key_needs_password() -> None:
    key = K.rsa_key(2048, 3)
    pem = K.cert_pem(K.make_cert(key)) + K.key_pem(key, b"s3cret-pw")
    assert load_credentials(pem, password="s3cret-pw").thumbprint
    with pytest.raises(CertificateError, match="encrypted; pass its password"):
        load_credentials(pem)
    with pytest.raises(CertificateError, match="wrong password") as ei:
        load_credentials(pem, password="nope-pw")
    _assert_clean(ei.value, "nope-pw")


def test_pkcs12_without_password(tmp_path: Path) -> None:
    p = tmp_path / "mycert.pfx"
    p.write_bytes(_p12())
    a, b = load_credentials(p), load_credentials(_p12())
    assert a.certificate.public_key() == b.certificate.public_key() == K.rsa_key(2048, 3).public_key()


def test_pkcs12_with_password(tmp_path: Path) -> None:
    p = tmp_path / "mycert.p12"
    p.write_bytes(_p12(b"pfx-pass"))
    assert load_credentials(p, password="pfx-pass").thumbprint


def test_pkcs12_missing_password(tmp_path: Path) -> None:
    p = tmp_path / "mycert.pfx"
    p.write_bytes(_p12(b"pfx-pass"))
    with pytest.raises(CertificateError, match="without a password") as ei:
        load_credentials(p)
    assert str(p) in str(ei.value)


def test_pkcs12_wrong_password(tmp_path: Path) -> None:
    p = tmp_path / "mycert.pfx"
    p.write_bytes(_p12(b"pfx-pass"))
    with pytest.raises(CertificateError, match="password is wrong") as ei:
        load_credentials(p, password="not-the-pass")
    _assert_clean(ei.value, "not-the-pass", "pfx-pass")


def test_base64_pkcs12_text() -> None:
    text = base64.b64encode(_p12(b"pw")).decode()
    assert load_credentials(text, password="pw").thumbprint


def test_publishsettings_single(tmp_path: Path) -> None:
    text = _publishsettings(SUB_A)
    p = tmp_path / "my.publishsettings"
    p.write_text(text)
    for src in (text, p, text.encode()):
        creds = load_credentials(src)
        assert creds.subscription_id == SUB_A
        assert creds.management_host == "management.core.chinacloudapi.cn"


def test_publishsettings_several_subscriptions() -> None:
    text = _publishsettings(SUB_A, SUB_B)
    with pytest.raises(CertificateError, match="2 subscriptions") as ei:
        load_credentials(text)
    assert SUB_A in str(ei.value) and SUB_B in str(ei.value)
    assert load_credentials(text, subscription_id=SUB_B).subscription_id == SUB_B
    with pytest.raises(CertificateError, match="has no subscription"):
        load_credentials(text, subscription_id="00000000-0000-0000-0000-000000000000")


def test_publishsettings_hostile_xml_refused() -> None:
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><PublishData>&e;</PublishData>'
    with pytest.raises(CertificateError, match="publishsettings"):
        load_credentials(evil)


# --- defects -------------------------------------------------------------------------------------------
def test_expired() -> None:
    key = K.rsa_key(2048, 3)
    cert = K.make_cert(
        key, not_before=K.NOW - dt.timedelta(days=400), not_after=K.NOW - dt.timedelta(days=35)
    )
    with pytest.raises(CertificateError, match="expired on") as ei:
        load_credentials(K.cert_pem(cert) + K.key_pem(key))
    assert "rsa:2048" in str(ei.value)


def test_not_yet_valid() -> None:
    key = K.rsa_key(2048, 3)
    cert = K.make_cert(key, not_before=K.NOW + dt.timedelta(days=2), not_after=K.NOW + dt.timedelta(days=40))
    with pytest.raises(CertificateError, match="not valid before"):
        load_credentials(K.cert_pem(cert) + K.key_pem(key))


def test_1024_bit_key_names_tutorial_command_and_fix() -> None:
    key = K.rsa_key(1024, 0)
    with pytest.raises(CertificateError) as ei:
        load_credentials(K.cert_pem(K.make_cert(key)) + K.key_pem(key))
    msg = str(ei.value)
    assert "1024 bits" in msg and "rsa:1024" in msg and "EE_KEY_TOO_SMALL" in msg
    assert "openssl req -x509 -nodes -days 365 -newkey rsa:2048 -subj /CN=" in msg


def test_key_does_not_match_certificate() -> None:
    pem = K.cert_pem(K.make_cert(K.rsa_key(2048, 3))) + K.key_pem(K.rsa_key(2048, 4))
    with pytest.raises(CertificateError, match="does not belong to the certificate") as ei:
        load_credentials(pem)
    _assert_clean(ei.value)


def test_cer_without_key_pem_and_der(tmp_path: Path) -> None:
    cert = K.make_cert(K.rsa_key(2048, 3))
    pem_cer = tmp_path / "mycert.cer"
    pem_cer.write_bytes(K.cert_pem(cert))
    der_cer = tmp_path / "mycert-der.cer"
    der_cer.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    for p in (pem_cer, der_cer):
        with pytest.raises(CertificateError, match="no private key") as ei:
            load_credentials(p)
        assert "public part" in str(ei.value) and str(p) in str(ei.value)


def test_key_without_certificate() -> None:
    with pytest.raises(CertificateError, match="no readable PEM certificate"):
        load_credentials(K.key_pem(K.rsa_key(2048, 3)))


@pytest.mark.parametrize(
    "content",
    [b"hello, this is not a certificate\n", os.urandom(300), b"\x30\x82garbage-der", b"<html></html>"],
    ids=["text", "random", "bad-der", "xml-not-publishsettings"],
)
def test_garbage_file(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "garbage.pem"
    p.write_bytes(content)
    with pytest.raises(CertificateError) as ei:
        load_credentials(p)
    assert str(p) in str(ei.value)


def test_missing_file_empty_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="does not exist"):
        load_credentials(str(tmp_path / "nope.pem"))
    (tmp_path / "empty.pem").write_bytes(b"")
    with pytest.raises(CertificateError, match="is empty"):
        load_credentials(tmp_path / "empty.pem")
    with pytest.raises(CertificateError, match="directory"):
        load_credentials(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "locked.pem"
    p.write_bytes(_pem())

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)  # chmod 0 does not stop root
    with pytest.raises(CertificateError, match="permissions"):
        load_credentials(p)


# --- in-memory handling ----------------------------------------------------------------------------------
def test_repr_and_str_hide_key_material(pki: Any) -> None:
    creds = load_credentials(pki.client_pem)
    for text in (repr(creds), str(creds)):
        assert "PRIVATE" not in text and creds.thumbprint in text
        assert "RSAPrivateKey" not in text


def test_ssl_context_leaves_no_temp_file(pki: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    creds = load_credentials(pki.client_pem)
    modes: list[int] = []
    real = ssl.SSLContext.load_cert_chain

    def spy(self: ssl.SSLContext, certfile: str, *a: object, **kw: object) -> None:
        modes.append(os.stat(certfile).st_mode & 0o777)
        assert b"BEGIN ENCRYPTED PRIVATE KEY" in Path(certfile).read_bytes()
        real(self, certfile, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    ctx = creds.ssl_context(ca_bundle=pki.ca_pem, verify=True)
    assert modes == [0o600]
    assert list(tmp_path.iterdir()) == []
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def test_ssl_context_verify_off_and_ca_text(pki: Any) -> None:
    creds = load_credentials(pki.client_pem)
    assert creds.ssl_context(ca_bundle=None, verify=False).verify_mode == ssl.CERT_NONE
    ctx = creds.ssl_context(ca_bundle=pki.ca_pem.read_text(), verify=True)
    assert ctx.get_ca_certs()


def test_ssl_context_bad_ca_bundle(pki: Any, tmp_path: Path) -> None:
    creds = load_credentials(pki.client_pem)
    with pytest.raises(InvalidInputError) as ei:
        creds.ssl_context(ca_bundle=tmp_path / "missing.pem", verify=True)
    assert ei.value.field == "ca_bundle"


def test_credentials_is_frozen(pki: Any) -> None:
    creds = load_credentials(pki.client_pem)
    assert isinstance(creds, Credentials)
    with pytest.raises(AttributeError):
        creds.thumbprint = "x"  # type: ignore[misc]
    creds.close()


# --- findings: PEM pasted as a path, unreadable directories -------------------------------------------
@pytest.mark.parametrize("as_path", [Path, str], ids=["pem", "indented-pem"])
def test_pem_text_given_as_a_path_is_recognised_and_never_echoed(as_path: Any) -> None:
    pem = _pem().decode()
    key_line = next(
        line for line in pem.splitlines() if line and not line.startswith("-----") and "KEY" not in line
    )
    source = as_path(pem) if as_path is Path else " " + pem.replace("\n", "\n ")  # str: a path-ish mess
    with pytest.raises(CertificateError) as ei:
        load_credentials(Path(source) if as_path is str else source)
    assert "looks like PEM text" in str(ei.value) and "certificate_private_key" in str(ei.value)
    _assert_clean(ei.value, key_line, pem)


def test_long_non_path_text_is_not_echoed() -> None:
    junk = "A" * 5000
    with pytest.raises(CertificateError) as ei:
        load_credentials(Path(junk))
    assert junk not in str(ei.value) and "not shown" in str(ei.value)


def test_unreadable_parent_directory_is_a_certificate_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "locked-dir" / "mycert.pem"

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "exists", denied)  # what stat() raises under a dir without x (not as root)
    monkeypatch.setattr(Path, "read_bytes", denied)
    for source in (str(target), target):
        with pytest.raises(CertificateError) as ei:
            load_credentials(source)
        text = str(ei.value)
        assert str(target) in text and "Permission denied" in text and "directory above it" in text


def test_unreadable_ca_bundle_directory_is_an_invalid_input(
    pki: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = load_credentials(pki.client_pem)

    def denied(self: Path) -> bool:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_file", denied)
    with pytest.raises(InvalidInputError) as ei:
        creds.ssl_context(ca_bundle=tmp_path / "locked" / "ca.pem", verify=True)
    assert ei.value.field == "ca_bundle" and "readable" in ei.value.message

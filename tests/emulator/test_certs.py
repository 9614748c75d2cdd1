"""Certificates minted per state dir: right shape, reused on restart, keys private."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from airflow_sm_provider.emulator import certs


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_state_dir_gets_ca_server_and_client_certificates(tmp_path: Path) -> None:
    paths = certs.ensure_certificates(tmp_path)

    ca, server, client = _load(paths.ca_cert), _load(paths.server_cert), _load(paths.client_cert)
    server.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    assert "localhost" in san.get_values_for_type(x509.DNSName)

    key = client.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    client.verify_directly_issued_by(client)  # self-signed, like a portal management certificate

    pem = paths.client_pem.read_bytes()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----") and b"PRIVATE KEY-----" in pem
    for private in (paths.client_key, paths.client_pem, paths.server_key, tmp_path / certs.CA_KEY):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private


def test_thumbprint_is_upper_case_sha1_of_der(tmp_path: Path) -> None:
    paths = certs.ensure_certificates(tmp_path)
    der = _load(paths.client_cert).public_bytes(serialization.Encoding.DER)
    assert paths.thumbprint == hashlib.sha1(der).hexdigest().upper()
    assert certs.thumbprint_of_pem(paths.client_pem.read_text()) == paths.thumbprint


def test_certificates_are_reused_on_restart(tmp_path: Path) -> None:
    first = certs.ensure_certificates(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    second = certs.ensure_certificates(tmp_path)
    assert second == first
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_extra_bind_host_reissues_only_the_server_certificate(tmp_path: Path) -> None:
    first = certs.ensure_certificates(tmp_path)
    ca_before, client_before = first.ca_cert.read_bytes(), first.client_pem.read_bytes()
    certs.ensure_certificates(tmp_path, extra_hosts=("10.1.2.3",))
    server = _load(first.server_cert)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("10.1.2.3") in san.get_values_for_type(x509.IPAddress)
    assert first.ca_cert.read_bytes() == ca_before
    assert first.client_pem.read_bytes() == client_before
    server.verify_directly_issued_by(_load(first.ca_cert))


def test_mint_extra_client_certificates_for_tests(tmp_path: Path) -> None:
    weak = certs.mint_client_certificate(bits=1024)
    key = x509.load_pem_x509_certificate(weak.cert_pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024

    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    expired = certs.mint_client_certificate(not_after=past)
    assert x509.load_pem_x509_certificate(expired.cert_pem).not_valid_after_utc < dt.datetime.now(
        dt.timezone.utc
    )

    path = expired.write(tmp_path, "expired")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert certs.thumbprint_of_pem(path.read_bytes()) == expired.thumbprint != weak.thumbprint

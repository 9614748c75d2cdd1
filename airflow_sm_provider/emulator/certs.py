"""Certificates for the emulator: a private CA, the HTTPS server certificate and management certificates.

Why minted here and not committed: private keys must never live in the repository, and a state
directory must be self-contained (restart on the same DIR = same CA, same client certificate, same
thumbprint, so clients configured once keep working). Everything is generated with ``cryptography``
in milliseconds on first use and reused afterwards.

The management (client) certificate is self-signed, RSA-2048, like the ones the Azure portal
accepted; the server authorises it by its SHA-1 thumbprint (upper-case hex, as Azure shows it), not
by a chain, so it does not need to be issued by our CA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.pem"
CA_KEY = "ca.key"
SERVER_CERT = "server.pem"
SERVER_KEY = "server.key"
CLIENT_CERT = "client.crt"
CLIENT_KEY = "client.key"
#: Certificate + key in one file: what the legacy SDK's ``cert_file`` and ``requests``' ``cert=`` take.
CLIENT_PEM = "client.pem"

_ONE_DAY = dt.timedelta(days=1)


def thumbprint(der: bytes) -> str:
    """SHA-1 of the DER certificate, upper-case hex: the management-certificate thumbprint."""
    digest = hashes.Hash(hashes.SHA1())  # noqa: S303 - the protocol's thumbprint is SHA-1 by definition
    digest.update(der)
    return digest.finalize().hex().upper()


def thumbprint_of_pem(pem: bytes | str) -> str:
    """Thumbprint of the first certificate in a PEM blob (which may also hold a private key)."""
    data = pem.encode() if isinstance(pem, str) else pem
    cert = x509.load_pem_x509_certificate(data)
    return thumbprint(cert.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class ClientCertificate:
    """A management certificate held in memory (tests write it to a tmp dir, never into the repo)."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def der(self) -> bytes:
        return x509.load_pem_x509_certificate(self.cert_pem).public_bytes(serialization.Encoding.DER)

    @property
    def thumbprint(self) -> str:
        return thumbprint(self.der)

    @property
    def combined_pem(self) -> bytes:
        return self.cert_pem + self.key_pem

    def write(self, directory: Path, name: str = "client") -> Path:
        """Write ``NAME.pem`` (certificate + key, 0600) into ``directory``; return its path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.pem"
        _write(path, self.combined_pem, private=True)
        return path


@dataclass(frozen=True)
class CertPaths:
    """Where a state directory's certificate files are, plus the client thumbprint."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    client_pem: Path
    thumbprint: str


def _key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def sign_certificate(  # noqa: PLR0917
    key: CertificateIssuerPrivateKeyTypes,
    subject: x509.Name,
    not_before: dt.datetime,
    not_after: dt.datetime,
    extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
    issuer: tuple[x509.Name, CertificateIssuerPrivateKeyTypes] | None = None,
) -> x509.Certificate:
    """A certificate for ``key``'s public half, SHA-256, signed by ``issuer`` (its name and key) or,
    without one, by ``key`` itself. ``extensions``: ``(extension, critical)`` pairs. The one way the
    emulator's CA, server and management certificates (and the demo's service certificate) are made."""
    issuer_name, signing_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Atomic write (tmp + rename) so a kill -9 never leaves a half-written certificate behind."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def mint_client_certificate(
    *,
    common_name: str = "airflow-sm-provider emulator client",
    bits: int = 2048,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> ClientCertificate:
    """A self-signed management certificate. Tests use it for unregistered, expired (pass a past
    ``not_after``) and weak (``bits=1024``) certificates without keeping any key in the repo."""
    now = dt.datetime.now(dt.timezone.utc)
    key = _key(bits)
    start = not_before or now - _ONE_DAY
    end = not_after or now + dt.timedelta(days=3650)
    cert = sign_certificate(
        key,
        _name(common_name),
        min(start, end - dt.timedelta(seconds=1)),
        end,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        ],
    )
    return ClientCertificate(cert_pem=_cert_pem(cert), key_pem=_key_pem(key))


def _mint_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    now = dt.datetime.now(dt.timezone.utc)
    key = _key(2048)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = sign_certificate(
        key,
        _name("airflow-sm-provider emulator CA"),
        now - _ONE_DAY,
        now + dt.timedelta(days=3650),
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (usage, True),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        ],
    )
    return cert, key


def _server_names(extra_hosts: tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
    ]
    for host in extra_hosts:
        try:
            general: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            general = x509.DNSName(host)
        if general not in names:
            names.append(general)
    return names


def _mint_server(
    ca_cert: x509.Certificate, ca_key: rsa.RSAPrivateKey, extra_hosts: tuple[str, ...]
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    now = dt.datetime.now(dt.timezone.utc)
    key = _key(2048)
    cert = sign_certificate(
        key,
        _name("localhost"),
        now - _ONE_DAY,
        now + dt.timedelta(days=825),
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.SubjectAlternativeName(_server_names(extra_hosts)), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
        issuer=(ca_cert.subject, ca_key),
    )
    return cert, key


def _server_cert_covers(path: Path, extra_hosts: tuple[str, ...]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    if cert.not_valid_after_utc <= dt.datetime.now(dt.timezone.utc) + _ONE_DAY:
        return False
    return all(name in san for name in _server_names(extra_hosts))


def ensure_certificates(state_dir: Path, *, extra_hosts: tuple[str, ...] = ()) -> CertPaths:
    """Create the CA, server and client certificates in ``state_dir`` unless they already exist.

    ``extra_hosts``: names/IPs (besides 127.0.0.1 and localhost) the server certificate must cover,
    e.g. a non-loopback ``--bind``. The server certificate is re-issued (by the same CA) when it does
    not cover them; the CA and the client certificate are never replaced once written.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    ca_cert_path, ca_key_path = state_dir / CA_CERT, state_dir / CA_KEY
    if ca_cert_path.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        ca_key = loaded
        new_ca = False
    else:
        ca_cert, ca_key = _mint_ca()
        _write(ca_key_path, _key_pem(ca_key), private=True)
        _write(ca_cert_path, _cert_pem(ca_cert), private=False)
        new_ca = True

    server_cert_path, server_key_path = state_dir / SERVER_CERT, state_dir / SERVER_KEY
    if new_ca or not server_key_path.exists() or not _server_cert_covers(server_cert_path, extra_hosts):
        server_cert, server_key = _mint_server(ca_cert, ca_key, extra_hosts)
        _write(server_key_path, _key_pem(server_key), private=True)
        _write(server_cert_path, _cert_pem(server_cert), private=False)

    client_cert_path, client_key_path = state_dir / CLIENT_CERT, state_dir / CLIENT_KEY
    client_pem_path = state_dir / CLIENT_PEM
    if not (client_cert_path.exists() and client_key_path.exists()):
        client = mint_client_certificate()
        _write(client_key_path, client.key_pem, private=True)
        _write(client_cert_path, client.cert_pem, private=False)
    cert_pem, key_pem = client_cert_path.read_bytes(), client_key_path.read_bytes()
    if not client_pem_path.exists() or client_pem_path.read_bytes() != cert_pem + key_pem:
        _write(client_pem_path, cert_pem + key_pem, private=True)

    return CertPaths(
        ca_cert=ca_cert_path,
        server_cert=server_cert_path,
        server_key=server_key_path,
        client_cert=client_cert_path,
        client_key=client_key_path,
        client_pem=client_pem_path,
        thumbprint=thumbprint_of_pem(cert_pem),
    )

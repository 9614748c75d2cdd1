"""Helpers of the reliability tests (no tests here): certificate minting, secret scanning, logs.

Module name is unique across the test tree (pytest's default import mode puts every test dir on
``sys.path``; two helpers named alike would shadow each other).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from testpki import cert_pem, key_pem, make_cert, rsa_key


def pfx(key: rsa.RSAPrivateKey, cert: x509.Certificate, password: bytes | None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"mycert", key, cert, None, enc)


@dataclass
class ServerPki:
    """A CA and a server certificate for 127.0.0.1 (for hostile test servers)."""

    ca_pem: Path
    server_pem: Path


def server_pki(directory: Path) -> ServerPki:
    ca_key = rsa_key(2048, 5)
    ca = make_cert(ca_key, "hostile-ca", ca=True)
    srv_key = rsa_key(2048, 6)
    srv = make_cert(srv_key, "127.0.0.1", issuer=(ca, ca_key), san_ip="127.0.0.1")
    (directory / "hostile-ca.pem").write_bytes(cert_pem(ca))
    (directory / "hostile-server.pem").write_bytes(cert_pem(srv) + key_pem(srv_key))
    return ServerPki(directory / "hostile-ca.pem", directory / "hostile-server.pem")


# --- secret scanning ------------------------------------------------------------------------------
_PEM_BODY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*(.+?)\s*-----END", re.S)


def private_key_needles(pem: bytes, *, marker: bool = True) -> list[str]:
    """Strings that would betray a private key: the PEM markers and chunks of the base64 body.

    Every 48-character slice of the body (whitespace removed) is a needle, so a log that holds
    even one line of the key is caught, while public certificate text is not. The first 64
    characters are skipped: the PKCS#8 header of every RSA-2048 key is the same. ``marker``
    adds the generic "PRIVATE KEY-----" (any key at all), for places that must hold none.
    """
    needles = ["PRIVATE KEY-----"] if marker else []
    for match in _PEM_BODY.finditer(pem):
        body = b"".join(match.group(1).split()).decode()
        needles.extend(body[i : i + 48] for i in range(64, max(len(body) - 48, 65), 48))
    return needles


def der_needles(der: bytes) -> list[str]:
    """Chunks of the base64 of a binary secret (e.g. a PKCS#12), as it would appear in text."""
    text = base64.b64encode(der).decode()
    return [text[i : i + 48] for i in range(64, max(len(text) - 48, 65), 48)]


def find_secrets(texts: Iterable[tuple[str, str]], needles: Iterable[str]) -> list[str]:
    """``[where: needle]`` for each needle found in any (where, text) pair."""
    wanted = [n for n in needles if n]
    hits: list[str] = []
    for where, text in texts:
        for needle in wanted:
            if needle in text:
                hits.append(f"{where}: {needle[:20]}...")
    return hits


def read_texts(root: Path) -> list[tuple[str, str]]:
    """(path, text) of every regular file under ``root`` (binary read, decoded leniently)."""
    out: list[tuple[str, str]] = []
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            try:
                out.append((str(path), path.read_bytes().decode("utf-8", "replace")))
            except OSError:
                continue
    return out


TRACEBACK = "Traceback (most recent call last)"

"""Management-certificate credentials: load every form users have, check them, build TLS.

ASM authenticates only by the TLS client certificate, so a bad certificate is the most common
first-run failure, and the old SDK let it surface as ``SSLError: PEM lib`` or a bare 403
(users.md section 1, row 7). Here every form is loaded and checked up front -- dates, key size,
key/certificate match, password -- and each defect gets a ``CertificateError`` that names the
source and the fix. Messages never contain key material or passwords.

Key material stays in memory. ``ssl`` can only load a client certificate from a file, so
``ssl_context`` writes the certificate and the key -- encrypted with a one-time random
passphrase -- to a 0600 temp file and removes it in ``finally`` right after ``load_cert_chain``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import re
import secrets
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from airflow_sm_provider.client.errors import CertificateError, InvalidInputError, InvalidResponseError

__all__ = ["MIN_RSA_BITS", "Credentials", "load_credentials"]

MIN_RSA_BITS = 2048
_NEW_CERT_HELP = (
    "Make a new one with `openssl req -x509 -nodes -days 365 -newkey rsa:2048 -subj /CN=mycert "
    "-keyout mycert.pem -out mycert.pem`, export its public part with "
    "`openssl x509 -outform der -in mycert.pem -out mycert.cer` and upload mycert.cer to the "
    "subscription's management certificates."
)
_B64_RE = re.compile(rb"^[A-Za-z0-9+/=\s]+$")
_PEM_KEY_RE = re.compile(
    rb"-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----.+?-----END \1-----",
    re.S,
)


@dataclass(frozen=True, repr=False)
class Credentials:
    """A checked management certificate and its private key, held in memory only.

    ``thumbprint`` is the SHA-1 fingerprint in upper-case hex, as the portal shows it.
    ``subscription_id`` and ``management_host`` are set when loaded from a .publishsettings.
    """

    certificate: x509.Certificate
    private_key: PrivateKeyTypes = field(compare=False)
    thumbprint: str
    subscription_id: str | None
    management_host: str | None
    not_after: dt.datetime

    def __repr__(self) -> str:
        return (
            f"Credentials(thumbprint={self.thumbprint!r}, subject={self.subject!r}, "
            f"not_after={self.not_after.isoformat()!r}, subscription_id={self.subscription_id!r})"
        )

    __str__ = __repr__

    @property
    def subject(self) -> str:
        """The certificate's subject, e.g. ``CN=mycert``."""
        return self.certificate.subject.rfc4514_string()

    def certificate_pem(self) -> bytes:
        """The public certificate as PEM (safe to log or upload; no key)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def ssl_context(self, *, ca_bundle: str | os.PathLike[str] | None, verify: bool) -> ssl.SSLContext:
        """A client TLS context presenting this certificate.

        ``ca_bundle``: a PEM file path or PEM text; when given, EXACTLY that bundle is trusted --
        not the system store, whatever ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` say (and the
        transports ignore ``REQUESTS_CA_BUNDLE``). None = the system trust store.
        ``verify=False`` disables server verification (the caller logs the warning).
        Blocking (file I/O, key decryption): the async client builds it once, up front.
        """
        if not verify:
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif ca_bundle is not None:
            ctx = _ca_only_context(ca_bundle)
        else:
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        passphrase = secrets.token_urlsafe(24).encode()
        key_pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
        fd, name = tempfile.mkstemp(prefix="asm-cert-", suffix=".pem")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.certificate_pem() + key_pem)
            ctx.load_cert_chain(name, password=passphrase)
        except ssl.SSLError as exc:
            raise CertificateError(
                f"OpenSSL refused the management certificate ({exc.reason or exc}). {_NEW_CERT_HELP}"
            ) from None
        finally:
            Path(name).unlink(missing_ok=True)
        return ctx

    def close(self) -> None:
        """Nothing to release: no file outlives ``ssl_context``. Kept for a uniform API."""


def _ca_only_context(ca_bundle: str | os.PathLike[str]) -> ssl.SSLContext:
    """A verifying context that trusts the CAs of ``ca_bundle`` and nothing else.

    ``create_default_context`` loads the system store only when it is given no CA; given one,
    that is the whole trust (unlike ``load_verify_locations`` on a default context, which adds).
    A file is read ONCE (``_trusting_only``): what was checked (no private key) is what is trusted.
    """
    text = os.fspath(ca_bundle)
    if "-----BEGIN" in text:
        return _trusting_only(text.encode())
    try:
        path = Path(text).expanduser()
        if not path.is_file():
            raise InvalidInputError("ca_bundle", f"CA bundle file {text!r} does not exist or is not a file")
        bundle = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(
            "ca_bundle",
            f"CA bundle file {text!r} cannot be read ({exc.strerror or exc}); make the file and every "
            "directory above it readable by the user that runs the client",
        ) from None
    return _trusting_only(bundle)


def _trusting_only(bundle: bytes) -> ssl.SSLContext:
    """The context trusting exactly the certificates of ``bundle`` (the bytes as read, once).

    OpenSSL parses them as it parses any ``cafile`` (text around the blocks skipped, ``TRUSTED
    CERTIFICATE`` blocks with their trust settings), from a private temporary copy removed at once:
    the caller's file is not opened again, so the bytes checked here are the bytes trusted.
    """
    _no_private_key(bundle)
    fd, name = tempfile.mkstemp(prefix="asm-ca-", suffix=".pem")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(bundle)
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=name)
    except ssl.SSLError as exc:
        raise InvalidInputError(
            "ca_bundle", f"the CA bundle holds no usable PEM certificate ({exc.reason or exc})"
        ) from None
    finally:
        Path(name).unlink(missing_ok=True)


def _no_private_key(bundle: bytes) -> None:
    """A CA bundle never holds a key: one that does is the management certificate in the wrong field
    (the handshake would then fail as "not signed by a trusted CA", which hides the mistake)."""
    if b"PRIVATE KEY-----" in bundle:
        raise InvalidInputError(
            "ca_bundle",
            "the CA bundle holds a private key: ca_bundle is the CA certificate(s) that signed the "
            "management endpoint's TLS certificate (the emulator's ca.pem), not your management "
            "certificate, which goes in certificate_path",
        )


# --- loading -------------------------------------------------------------------------------------
CertificatePair = tuple[str | os.PathLike[str], str | os.PathLike[str]]


def load_credentials(
    source: str | bytes | os.PathLike[str] | CertificatePair,
    password: str | None = None,
    *,
    subscription_id: str | None = None,
) -> Credentials:
    """Load and check a management certificate from any supported form.

    ``source``: a path to a PEM (certificate + key), .pfx/.p12 or .publishsettings file; PEM
    text; .publishsettings XML text; base64 PKCS#12; or the bytes of any of these; or a
    ``(certificate path, key path)`` pair of PEM files (requests' ``session.cert`` idiom, which the
    old SDK accepted through its session). ``password`` opens PKCS#12 or an encrypted PEM key.
    ``subscription_id`` picks one subscription of a .publishsettings that lists several.
    """
    if isinstance(source, tuple):
        return _load_pair(source, password)
    what, data, suffix = _read_source(source)
    return _load_bytes(what, data, suffix, password, subscription_id)


def _load_pair(pair: tuple[Any, ...], password: str | None) -> Credentials:
    """``(cert_path, key_path)``: two PEM files, read and checked as one PEM holding both."""
    if len(pair) != 2 or not all(isinstance(p, (str, os.PathLike)) for p in pair):
        raise CertificateError(
            "a certificate pair is (certificate path, key path), two PEM file paths "
            f"(got {len(pair)} item(s) of type {', '.join(type(p).__name__ for p in pair) or 'none'})"
        )
    (cert_what, cert_data, _), (_, key_data, _) = (_read_file(Path(os.fspath(p)).expanduser()) for p in pair)
    what = f"{cert_what} with key file '{os.fspath(pair[1])}'"
    if b"-----BEGIN" not in cert_data[:4096] or b"-----BEGIN" not in key_data[:4096]:
        raise CertificateError(
            f"{what}: a (certificate, key) pair must be two PEM files; for a .pfx/.p12 or "
            ".publishsettings pass that one file"
        )
    cert, key = _from_pem(what, cert_data + b"\n" + key_data, password, ".pem")
    return _checked(what, cert, key, None, None)


def _read_source(source: str | bytes | os.PathLike[str]) -> tuple[str, bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return "the certificate bytes given", bytes(source), ""
    if isinstance(source, os.PathLike):
        return _read_file(Path(source))
    if not isinstance(source, str):
        raise TypeError("certificate must be a path, PEM/XML/base64 text or bytes")
    stripped = source.strip()
    if not stripped:
        raise CertificateError("the certificate is empty: give a PEM file path, PEM text or base64 PKCS#12")
    if stripped.startswith(("-----BEGIN", "<")):
        return "the certificate text given", stripped.encode(), ""
    looks_like_path = len(stripped) < 1024 and "\n" not in stripped
    if looks_like_path and _exists(Path(stripped).expanduser()):
        return _read_file(Path(stripped).expanduser())
    if len(stripped) >= 256 and _B64_RE.match(stripped.encode()):
        return "the base64 certificate text given", stripped.encode(), ""
    if looks_like_path and len(stripped) <= 255:
        raise CertificateError(
            f"certificate file {stripped!r} does not exist; give the path of a PEM (certificate + key), "
            ".pfx/.p12 or .publishsettings file, or the PEM text itself"
        )
    raise CertificateError(
        "the certificate text given is neither PEM, .publishsettings XML, base64 PKCS#12 nor an existing path"
    )


_PEM_AS_PATH = (
    "the certificate path given looks like PEM text, not a file path (it is not shown: it may hold a "
    "private key); pass the text itself as the certificate -- in an Airflow connection, put it in "
    "the extra 'certificate_private_key' and leave 'certificate_path' empty"
)


def _exists(path: Path) -> bool:
    """``path.exists()``, but a directory on the way that cannot be searched is a clear error."""
    try:
        return path.exists()
    except OSError as exc:
        raise CertificateError(_unreachable(path, exc)) from None


def _unreachable(path: Path, exc: OSError) -> str:
    return (
        f"certificate file '{path}' cannot be read ({exc.strerror or exc}): the file or a directory "
        "above it is not readable by the user that runs the client; fix the permissions (the "
        "directories need the x bit) or move the file"
    )


def _read_file(path: Path) -> tuple[str, bytes, str]:
    text = str(path)
    if "-----BEGIN" in text or "PRIVATE KEY" in text:
        raise CertificateError(_PEM_AS_PATH)
    if "\n" in text or len(text) > 4096:
        raise CertificateError(
            f"the certificate path given ({len(text)} characters, not shown) is not a file path; give "
            "the path of a PEM, .pfx/.p12 or .publishsettings file, or pass the certificate text itself"
        )
    what = f"certificate file '{path}'"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CertificateError(f"{what} does not exist") from None
    except IsADirectoryError:
        raise CertificateError(f"{what} is a directory; give the PEM/.pfx/.publishsettings file") from None
    except OSError as exc:
        raise CertificateError(_unreachable(path, exc)) from None
    if not data.strip():
        raise CertificateError(f"{what} is empty")
    return what, data, path.suffix.lower()


def _load_bytes(
    what: str, data: bytes, suffix: str, password: str | None, subscription_id: str | None
) -> Credentials:
    head = data.lstrip()[:64]
    if b"-----BEGIN" in data[:4096]:
        cert, key = _from_pem(what, data, password, suffix)
        return _checked(what, cert, key, None, None)
    if head.startswith(b"<") or suffix == ".publishsettings":
        return _from_publishsettings(what, data, subscription_id)
    if data[:1] == b"\x30":  # DER SEQUENCE: PKCS#12 or a binary .cer
        return _from_der(what, data, password, suffix)
    if _B64_RE.match(data.strip()):
        try:
            raw = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if raw[:1] == b"\x30":
            return _from_der(what + " (base64 PKCS#12)", raw, password, suffix)
    raise CertificateError(
        f"{what} is neither PEM, PKCS#12 (.pfx/.p12), base64 PKCS#12 nor a .publishsettings file; "
        "it may be corrupt or the wrong file"
    )


def _from_der(what: str, data: bytes, password: str | None, suffix: str) -> Credentials:
    """Binary DER: PKCS#12 (.pfx/.p12) or a lone certificate (.cer)."""
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    else:
        raise CertificateError(_no_key_message(what, suffix or ".cer"))
    key, cert = _open_pkcs12(what, data, password)
    return _checked(what, cert, key, None, None)


def _open_pkcs12(what: str, data: bytes, password: str | None) -> tuple[PrivateKeyTypes, x509.Certificate]:
    tries = [password.encode()] if password is not None else [None, b""]
    for pw in tries:
        try:
            key, cert, _extra = pkcs12.load_key_and_certificates(data, pw)
        except ValueError:
            continue
        if cert is None:
            raise CertificateError(f"{what} is a PKCS#12 file without a certificate")
        if key is None:
            raise CertificateError(_no_key_message(what, ".pfx"))
        return key, cert
    if password is None:
        raise CertificateError(
            f"{what} could not be opened without a password: it is password-protected PKCS#12 "
            "(or not PKCS#12 at all); pass its password (connection field 'password')"
        )
    raise CertificateError(
        f"{what} could not be opened: the PKCS#12 password is wrong (or the file is corrupt); check "
        "the password given (connection field 'password', or password=)"
    )


def _no_key_message(what: str, suffix: str) -> str:
    return (
        f"{what} holds a certificate but no private key. A {suffix or '.cer'} file is the public part "
        "you upload to Azure; the client needs the certificate together with its private key: a PEM "
        "with both (`cat mycert.crt mycert.key > mycert.pem`), a .pfx/.p12, or a .publishsettings file"
    )


def _from_pem(
    what: str, data: bytes, password: str | None, suffix: str
) -> tuple[x509.Certificate, PrivateKeyTypes]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    key_match = _PEM_KEY_RE.search(data)
    if not certs:
        hint = " (it has a private key only; append the certificate to it)" if key_match else ""
        raise CertificateError(f"{what} holds no readable PEM certificate{hint}")
    if key_match is None:
        raise CertificateError(_no_key_message(what, suffix if suffix not in ("", ".pem") else ".cer"))
    pw = password.encode() if password is not None else None
    try:
        key = serialization.load_pem_private_key(key_match.group(0), pw)
    except TypeError:
        if pw is None:
            raise CertificateError(f"{what}: the private key is encrypted; pass its password") from None
        raise CertificateError(f"{what}: a password was given but the private key is not encrypted") from None
    except ValueError:
        raise CertificateError(
            f"{what}: the private key could not be read (wrong password, or a damaged key block)"
        ) from None
    except Exception:  # unsupported algorithms and the like; never echo the input
        raise CertificateError(f"{what}: the private key type is not supported") from None
    pub = _public_der(key)
    for cert in certs:
        if (
            cert.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            == pub
        ):
            return cert, key
    raise CertificateError(
        f"{what}: the private key does not belong to the certificate (they come from different key "
        "pairs); put the matching key and certificate together"
    )


def _public_der(key: PrivateKeyTypes) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _from_publishsettings(what: str, data: bytes, subscription_id: str | None) -> Credentials:
    from airflow_sm_provider.client.xmlsafe import parse_xml

    try:
        root = parse_xml(data, max_bytes=10 * 2**20)
    except InvalidResponseError as exc:
        raise CertificateError(f"{what} is not a readable .publishsettings file: {exc.message}") from None
    profiles = [e for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("PublishProfile")]
    if not profiles:
        raise CertificateError(f"{what} is XML but not a .publishsettings file (no PublishProfile)")
    subs: list[tuple[str, str, str, str]] = []  # id, name, url, base64 pkcs12
    for prof in profiles:
        for sub in prof:
            if not (isinstance(sub.tag, str) and sub.tag.endswith("Subscription")):
                continue
            cert = sub.get("ManagementCertificate") or prof.get("ManagementCertificate") or ""
            url = sub.get("ServiceManagementUrl") or prof.get("Url") or ""
            subs.append((sub.get("Id", ""), sub.get("Name", ""), url, cert))
    if not subs:
        raise CertificateError(f"{what} lists no subscription")
    if subscription_id:
        chosen = [s for s in subs if s[0].lower() == subscription_id.lower()]
        if not chosen:
            raise CertificateError(f"{what} has no subscription {subscription_id}; it has: {_listing(subs)}")
    elif len(subs) > 1:
        raise CertificateError(
            f"{what} lists {len(subs)} subscriptions: {_listing(subs)}; set subscription_id to pick one"
        )
    else:
        chosen = subs
    sub_id, _name, url, pkcs12_b64 = chosen[0]
    if not pkcs12_b64:
        raise CertificateError(f"{what}: subscription {sub_id} has no ManagementCertificate attribute")
    try:
        raw = base64.b64decode("".join(pkcs12_b64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CertificateError(f"{what}: the ManagementCertificate of {sub_id} is not valid base64") from None
    key, leaf = _open_pkcs12(what, raw, None)
    host = (urlsplit(url).netloc or None) if url else None
    return _checked(what, leaf, key, sub_id or None, host)


def _listing(subs: list[tuple[str, str, str, str]]) -> str:
    return ", ".join(f"{i} ({n})" if n else i for i, n, _, _ in subs)


def _checked(
    what: str,
    cert: x509.Certificate,
    key: PrivateKeyTypes,
    subscription_id: str | None,
    host: str | None,
) -> Credentials:
    """Every check that can be done without the network, in the order a user should fix them."""
    if _public_der(key) != cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise CertificateError(f"{what}: the private key does not belong to the certificate")
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < MIN_RSA_BITS:
        raise CertificateError(
            f"{what}: the RSA key has {key.key_size} bits; OpenSSL 3 refuses keys under {MIN_RSA_BITS} "
            "bits (error EE_KEY_TOO_SMALL). The Azure tutorial's `openssl req -x509 -nodes -days 365 "
            f"-newkey rsa:1024 ...` makes such a key. {_NEW_CERT_HELP}"
        )
    now = dt.datetime.now(dt.timezone.utc)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now > not_after:
        raise CertificateError(
            f"{what}: the certificate expired on {not_after:%Y-%m-%d %H:%M} UTC. {_NEW_CERT_HELP}"
        )
    if now < not_before:
        raise CertificateError(
            f"{what}: the certificate is not valid before {not_before:%Y-%m-%d %H:%M} UTC; "
            "check this machine's clock, or wait"
        )
    thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 -- ASM's thumbprint is SHA-1
    return Credentials(cert, key, thumbprint, subscription_id, host, not_after)

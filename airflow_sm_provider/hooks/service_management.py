"""Airflow connection -> ASM client (design.md section 2).

The hook only turns a connection into client arguments: it validates the fields (with errors that
name the field to fix), masks the secrets, loads the certificate once, and builds the sync client
for workers or the async client for triggers. Everything that talks to ASM lives in the client.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_sm_provider._compat import BaseHook, amask_secret, mask_secret
from airflow_sm_provider.hooks._diagnose import explain_failure
from airflow_sm_provider.protocol import CONN_TYPE, PUBLIC_HOST

# A private key block in any connection field (see ``ServiceManagementHook._secrets``).
_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S
)

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient
    from airflow_sm_provider.client.credentials import Credentials

__all__ = ["AsmConnectionSettings", "ServiceManagementHook"]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _field_error(field: str, message: str) -> Exception:
    """The client's typed ``InvalidInputError`` (a ``ValueError``) for a connection field.

    Imported here, when a connection is read, not at DAG parse (operators import this module).
    """
    from airflow_sm_provider.client.errors import InvalidInputError

    return InvalidInputError(field, message)


def _blank_to_none(value: Any) -> Any:
    """The connection form saves untouched fields as ``""``; treat them as not set."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


@dataclass(frozen=True, repr=False)
class AsmConnectionSettings:
    """Validated connection fields, before the certificate is loaded (no secrets in ``repr``)."""

    conn_id: str
    host: str | None
    subscription_id: str | None
    certificate: str | bytes | Path
    certificate_field: str
    password: str | None
    ca_bundle: str | None
    verify: bool
    x_ms_version: str | None
    timeout: float | None
    max_retries: int | None
    requests_per_second: float | None = None
    #: Sentences about extras the hook does not read (``unknown extra key 'ca_cert'; did you mean
    #: 'ca_bundle'?``): logged when the connection is read, appended to the connection errors of
    #: ``get_conn`` / ``get_async_conn`` (:func:`_noting`) and to Test Connection's answer.
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"AsmConnectionSettings(conn_id={self.conn_id!r}, host={self.host!r}, "
            f"subscription_id={self.subscription_id!r}, certificate_field={self.certificate_field!r})"
        )

    @classmethod
    def from_connection(cls, conn: Connection, extras: dict[str, Any]) -> AsmConnectionSettings:
        """Validate a connection's fields; raise ``InvalidInputError`` (a ``ValueError``) naming the field.

        The error carries the notes about unknown extras (:func:`_noting`).

        :param conn: the Airflow connection.
        :param extras: its parsed extras (sync ``extra_dejson`` or async ``aextra_dejson``).
        """
        from airflow_sm_provider.get_provider_info import CONN_FIELDS

        notes: tuple[str, ...] = ()
        if any(key not in CONN_FIELDS for key in extras):  # rare: the notes module only then
            from airflow_sm_provider.hooks._extras import unknown_extra_notes  # (triggerer's loop)

            notes = tuple(unknown_extra_notes(extras, CONN_FIELDS))
        with _noting(notes):
            return cls._validated(conn, extras, notes)

    @classmethod
    def _validated(
        cls, conn: Connection, extras: dict[str, Any], notes: tuple[str, ...]
    ) -> AsmConnectionSettings:
        cid = conn.conn_id
        get = {k: _blank_to_none(v) for k, v in extras.items()}
        if isinstance(conn.login, str) and "-----BEGIN" in conn.login:
            # Says what the field holds, never its text: a key there is in a field nobody masks.
            raise _field_error(
                "login",
                f"Connection {cid!r}: the Login field holds PEM text (a certificate or key block); this "
                "hook does not read Login, and the subscription id goes in extra 'subscription_id'. Move "
                "the PEM to extra 'certificate_private_key' (or its file's path to extra "
                "'certificate_path') and clear Login: it is not a secret field.",
            )
        pem_text = get.get("certificate_private_key")
        path = get.get("certificate_path")
        if pem_text and path:
            raise _field_error(
                "certificate_private_key",
                f"Connection {cid!r}: set either extra 'certificate_private_key' (the certificate text) "
                "or extra 'certificate_path' (a file), not both.",
            )
        if not pem_text and not path:
            misplaced = ""
            if isinstance(conn.password, str) and "-----BEGIN" in conn.password:
                misplaced = (
                    " The password field holds PEM text: move it to extra 'certificate_private_key' "
                    "(the password is only for an encrypted key or a .pfx)."
                )
            raise _field_error(
                "certificate_path",
                f"Connection {cid!r} has no management certificate: set extra 'certificate_path' (path "
                "of a PEM, .pfx/.p12 or .publishsettings file) or extra 'certificate_private_key' "
                "(PEM text, base64 PKCS#12 or .publishsettings XML)." + misplaced,
            )
        certificate: str | bytes | Path
        if path:
            certificate, field = Path(str(path)).expanduser(), "certificate_path"
        else:
            if _looks_like_path(str(pem_text)):
                raise _certificate_error(
                    "certificate_private_key",
                    f"Connection {cid!r}: extra 'certificate_private_key' holds a file path "
                    f"({str(pem_text).strip()!r}), not the certificate itself; put the path in extra "
                    "'certificate_path' and leave 'certificate_private_key' empty (it is for the PEM "
                    "text, base64 PKCS#12 or .publishsettings XML).",
                )
            certificate, field = str(pem_text).encode(), "certificate_private_key"
        return cls(
            conn_id=cid,
            host=_blank_to_none(conn.host),
            subscription_id=str(get["subscription_id"]).strip() if get.get("subscription_id") else None,
            certificate=certificate,
            certificate_field=field,
            password=_blank_to_none(conn.password),
            ca_bundle=str(get["ca_bundle"]) if get.get("ca_bundle") else None,
            verify=_as_bool(cid, "verify", get.get("verify"), default=True),
            x_ms_version=str(get["x_ms_version"]).strip() if get.get("x_ms_version") else None,
            timeout=_as_number(cid, "timeout", get.get("timeout"), float),
            max_retries=_as_number(cid, "max_retries", get.get("max_retries"), int),
            requests_per_second=_as_number(cid, "requests_per_second", get.get("requests_per_second"), float),
            notes=notes,
        )

    def load_credentials(self) -> Credentials:
        """Load and check the certificate (blocking: file I/O, key decryption, PKCS#12 KDF).

        A ``CertificateError`` names the extra that held the certificate (``.field`` and the text):
        the client only knows "the certificate bytes given".
        """
        from airflow_sm_provider.client.credentials import load_credentials
        from airflow_sm_provider.client.errors import CertificateError

        try:
            return load_credentials(self.certificate, self.password, subscription_id=self.subscription_id)
        except CertificateError as exc:
            if exc.field is not None:
                raise
            raise _certificate_error(
                self.certificate_field,
                f"Connection {self.conn_id!r}, extra {self.certificate_field!r}: {exc}",
            ) from None

    def client_kwargs(self, credentials: Credentials) -> dict[str, Any]:
        """Constructor arguments shared by the sync and the async client."""
        subscription_id = self.subscription_id or credentials.subscription_id
        if not subscription_id:
            raise _field_error(
                "subscription_id",
                f"Connection {self.conn_id!r} has no subscription: set extra 'subscription_id' (the "
                "subscription GUID), or use a .publishsettings file that names one subscription.",
            )
        kwargs: dict[str, Any] = {
            "subscription_id": subscription_id,
            "certificate": credentials,
            "ca_bundle": self.ca_bundle,
            "verify": self.verify,
        }
        # Always explicit: a connection never takes its host from the client's environment fallback.
        host = self.host or credentials.management_host or PUBLIC_HOST
        kwargs["host"] = host
        if self.x_ms_version:
            kwargs["x_ms_version"] = self.x_ms_version
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        if self.max_retries is not None:
            from airflow_sm_provider.client.retry import RetryPolicy

            kwargs["retry"] = RetryPolicy(max_attempts=self.max_retries + 1)
        if self.requests_per_second is not None:
            # Process-wide: every client of this host and subscription shares the budget (budget.py).
            from airflow_sm_provider.client.budget import configure_budget

            configure_budget(host, subscription_id, self.requests_per_second)
        return kwargs


@contextmanager
def _noting(notes: tuple[str, ...]) -> Iterator[None]:
    """A connection error raised inside carries the notes about unknown extras, as Test Connection's
    answer does: a misspelled key is often why a setting is missing (``subscriptionId``: "has no
    subscription"), and a task's log shows the error, not the warning logged before it."""
    try:
        yield
    except ValueError as exc:
        noted = _with_notes(exc, notes)
        if noted is exc:
            raise
        raise noted from exc.__cause__


def _with_notes(exc: ValueError, notes: tuple[str, ...]) -> ValueError:
    """The same typed error (class, ``field``) with :func:`_notes_text` appended; others as they are."""
    from airflow_sm_provider.client.errors import CertificateError, InvalidInputError

    tail = _notes_text(notes)
    if not tail or tail in str(exc):
        return exc
    if type(exc) is InvalidInputError:
        return InvalidInputError(exc.field, exc.message + tail)
    if type(exc) is CertificateError:
        return CertificateError(str(exc) + tail, field=exc.field)
    return exc


def _certificate_error(field: str, message: str) -> Exception:
    from airflow_sm_provider.client.errors import CertificateError, without_key_material

    return CertificateError(without_key_material(message), field=field)


#: What a certificate file's name ends with; text that ends so is a path, not the certificate.
_CERT_SUFFIXES = (".pem", ".pfx", ".p12", ".cer", ".crt", ".key", ".publishsettings")


def _looks_like_path(text: str) -> bool:
    """True for a file path put in the certificate-text extra (the reverse of ``_PEM_AS_PATH``).

    Certificate text is PEM (``-----BEGIN``), XML (``<``) or base64 of DER (starts ``MI``, long,
    no dot): a short single line that exists, or ends like a certificate file, or starts like a
    path, is none of these.
    """
    stripped = text.strip()
    if not stripped or "\n" in stripped or len(stripped) > 1024 or stripped.startswith(("-----", "<")):
        return False
    if stripped.lower().endswith(_CERT_SUFFIXES) or stripped.startswith(("/", "~", "./", "../")):
        return True
    if re.match(r"^[A-Za-z]:[\\/]", stripped):  # C:\certs\mycert.pfx
        return True
    try:
        return Path(stripped).expanduser().exists()
    except (OSError, ValueError):
        return False


def _as_bool(conn_id: str, name: str, value: Any, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _field_error(name, f"Connection {conn_id!r}: extra {name!r} must be true or false, not {value!r}.")


def _as_number(conn_id: str, name: str, value: Any, kind: type[int] | type[float]) -> Any:
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise _field_error(
            name, f"Connection {conn_id!r}: extra {name!r} must be a {kind.__name__}, not {value!r}."
        ) from None
    if number < 0 or (kind is float and (number == 0 or not math.isfinite(number))):
        raise _field_error(
            name, f"Connection {conn_id!r}: extra {name!r} must be a positive, finite number, not {value!r}."
        )
    return number


#: Modules the first async request would otherwise import on the event loop: anyio (which httpcore
#: drives) loads its parts lazily on first use, and the trigger's wait needs the polling loop and the
#: errors. Measured (bench/triggerer_block.py, docs/benchmarks.md section 6): about 45 ms of imports
#: on the loop of a fresh triggerer, several times that on a loaded 2-core machine.
_WARM_MODULES = (
    "anyio.lowlevel",
    "anyio.abc",
    "anyio.streams.memory",
    "anyio.streams.stapled",
    "anyio.streams.tls",
    "anyio._core._sockets",  # behind anyio.connect_tcp, loaded on first use
    "anyio._core._streams",
    "airflow_sm_provider.client.errors",
    "airflow_sm_provider.client.polling",
)


def _warm_imports() -> None:
    import contextlib
    import importlib

    for name in _WARM_MODULES:
        with contextlib.suppress(ImportError):  # another anyio layout: it is only a warm-up
            importlib.import_module(name)


def _build_async_client(settings: AsmConnectionSettings) -> AsyncServiceManagementClient:
    """Blocking part of ``get_async_conn`` (runs in a worker thread, never on the event loop).

    Loading the certificate (file I/O, PKCS#12 key derivation), importing httpx on first use and
    building the SSL context (temp file, key decryption) all block; so do the imports the first
    request would make (:data:`_WARM_MODULES`), done here too.
    """
    _warm_imports()
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient

    with _noting(settings.notes):
        credentials = settings.load_credentials()
        return AsyncServiceManagementClient(**settings.client_kwargs(credentials))


class ServiceManagementHook(BaseHook):
    """Connect to the classic Azure Service Management API with a management certificate.

    The connection holds the subscription id, the certificate (a file path or the text itself),
    an optional PKCS#12 password, the management host (or a cloud name) and TLS settings. The sync
    client (``get_conn``) serves operators and sensors; the async client (``get_async_conn``)
    serves triggers.

    :param asm_conn_id: the Airflow connection id (conn type ``azure_service_management``).
    """

    conn_name_attr = "asm_conn_id"
    default_conn_name = "asm_default"
    conn_type = CONN_TYPE
    hook_name = "Azure Service Management (classic)"

    def __init__(self, asm_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.asm_conn_id = asm_conn_id
        self._client: ServiceManagementClient | None = None
        self.credentials: Credentials | None = None

    # --- settings -----------------------------------------------------------------------------
    @cached_property
    def settings(self) -> AsmConnectionSettings:
        """The validated connection fields (sync lookup; secrets registered with the masker)."""
        conn = self.get_connection(self.asm_conn_id)
        extras = conn.extra_dejson
        self._mask(conn, extras, mask_secret)
        settings = AsmConnectionSettings.from_connection(conn, extras)
        self._log_notes(settings)
        return settings

    async def asettings(self) -> AsmConnectionSettings:
        """Async twin of :attr:`settings` for triggers: no sync connection lookup on the loop."""
        conn = await self.aget_connection(self.asm_conn_id)
        extras = await conn.aextra_dejson()
        for secret in self._secrets(conn, extras):
            await amask_secret(secret)
        settings = AsmConnectionSettings.from_connection(conn, extras)
        self._log_notes(settings)
        return settings

    def _log_notes(self, settings: AsmConnectionSettings) -> None:
        for note in settings.notes:
            self.log.warning("ASM connection %s: %s", self.asm_conn_id, note)

    @staticmethod
    def _secrets(conn: Connection, extras: dict[str, Any]) -> list[str]:
        """The password, the key extra, and any private key pasted into any other field.

        A PEM pasted into the wrong field (the subscription id, the host) is a private key in a
        field nobody marked secret; validation may quote the field, so its key is masked too.
        """
        found = [conn.password] if conn.password else []
        keys: list[str] = []
        key = extras.get("certificate_private_key")
        if isinstance(key, str) and key.strip():
            # Its private key blocks (a PEM's certificate is public), or all of it (PKCS#12 base64).
            keys.extend([m.group(0) for m in _PRIVATE_KEY_RE.finditer(key)] or [key])
        other_fields = [conn.host, conn.login, conn.schema, *extras.values()]
        for text in other_fields:
            if isinstance(text, str) and "PRIVATE KEY-----" in text:
                keys.extend(m.group(0) for m in _PRIVATE_KEY_RE.finditer(text))
        for text in keys:
            # Once whole, stripped: the masker matches substrings, so that also hides it with its
            # surrounding whitespace. And each long line on its own: the masker does not split a
            # multi-line secret, and a single PEM/base64 line logged alone (by a library, in a
            # traceback) must be hidden too. Each registration is one more copy of the secret in
            # Airflow's DEBUG logs (troubleshooting.md), so nothing is registered twice.
            found.append(text.strip())
            found.extend(
                line.strip()
                for line in text.splitlines()
                if len(line.strip()) >= 16 and not line.lstrip().startswith("-----")
            )
        return list(dict.fromkeys(found))

    @classmethod
    def _mask(cls, conn: Connection, extras: dict[str, Any], masker: Any) -> None:
        # Airflow masks the password and secret-looking extra names itself; we register the
        # key material explicitly too, so it stays masked even if the key name changes.
        for secret in cls._secrets(conn, extras):
            masker(secret)

    # --- clients ------------------------------------------------------------------------------
    def get_conn(self) -> ServiceManagementClient:
        """Return the (cached) sync client for this connection."""
        if self._client is None:
            settings = self.settings  # validate the fields before anything else
            with _noting(settings.notes):
                self.credentials = settings.load_credentials()
                kwargs = settings.client_kwargs(self.credentials)
                from airflow_sm_provider.client import ServiceManagementClient

                client = ServiceManagementClient(**kwargs)  # validates before anything is logged
            self.log.info(
                "ASM connection %s: subscription %s, certificate %s, host %s",
                self.asm_conn_id,
                client.subscription_id,
                self.credentials.thumbprint,
                client.host,
            )
            self._client = client
        return self._client

    async def get_async_conn(self) -> AsyncServiceManagementClient:
        """Return a new async client; the caller closes it (``async with`` or ``aclose()``).

        The certificate is loaded and the TLS context built in a worker thread so the triggerer's
        event loop is never blocked by file I/O or key decryption.
        """
        settings = await self.asettings()
        return await asyncio.to_thread(_build_async_client, settings)

    def close(self) -> None:
        """Release the sync client's session (safe to call more than once)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- test connection ----------------------------------------------------------------------
    def test_connection(self) -> tuple[bool, str]:
        """Call Get Subscription; say what worked, or exactly what is wrong and how to fix it.

        Uses a one-shot client without retries: someone is waiting at the Test button or the CLI,
        and one clear answer now beats the same refusal after six attempts and ~20 s of back-off.
        """
        from airflow_sm_provider.client import RetryPolicy, ServiceManagementClient

        subscription = thumbprint = host = None
        notes: tuple[str, ...] = ()
        try:
            settings = self.settings
            notes = settings.notes
            subscription, host = settings.subscription_id, settings.host
            credentials = settings.load_credentials()
            thumbprint = credentials.thumbprint
            kwargs = settings.client_kwargs(credentials)
            subscription = kwargs["subscription_id"]  # may come from a .publishsettings file
            with ServiceManagementClient(**{**kwargs, "retry": RetryPolicy.none()}) as client:
                sub = client.get_subscription()
        except Exception as exc:
            failure = explain_failure(exc, subscription=subscription, thumbprint=thumbprint, host=host)
            return False, failure + _notes_text(notes)
        name = getattr(sub, "subscription_name", "") or ""
        status = getattr(sub, "subscription_status", "") or ""
        sub_id = getattr(sub, "subscription_id", "") or subscription
        return True, (
            f"Connected to subscription {sub_id}"
            + (f" ({name})" if name else "")
            + (f", status {status}" if status else "")
            + f", with management certificate {thumbprint}."
            + _notes_text(notes)
        )


def _notes_text(notes: tuple[str, ...]) -> str:
    """Test Connection's tail: the unknown extras (a typo there is often why the test failed)."""
    return "".join(f" Note: {note}" + ("" if note.endswith(("?", ".")) else ".") for note in notes)

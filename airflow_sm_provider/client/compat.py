"""What the old SDK offered besides operations: module names, constructor rules, escape hatches.

``MANAGEMENT_HOST``, ``X_MS_VERSION``, ``AZURE_MANAGEMENT_CERTFILE``, ``AZURE_MANAGEMENT_SUBSCRIPTIONID``,
``get_certificate_from_publish_settings`` and ``parse_response_for_async_op`` are the names
``from azure.servicemanagement import ...`` gave. The constructor rules (environment fallbacks,
``cert_file=``, ``request_session=``, an injected ``transport=``) are here once, for the sync and
the async client alike.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from airflow_sm_provider import protocol
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.errors import InvalidInputError, OperationFailedError
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from airflow_sm_provider.client.handle import OperationHandle

MANAGEMENT_HOST = protocol.PUBLIC_HOST
X_MS_VERSION = protocol.DEFAULT_X_MS_VERSION
AZURE_MANAGEMENT_CERTFILE = protocol.ENV_CERTFILE
AZURE_MANAGEMENT_SUBSCRIPTIONID = protocol.ENV_SUBSCRIPTION_ID
#: Ours, in the old SDK's naming: read only when the constructor gets no ``host``.
AZURE_MANAGEMENT_HOST = protocol.ENV_HOST
AZURE_MANAGEMENT_CA_BUNDLE = protocol.ENV_CA_BUNDLE
DEFAULT_HTTP_TIMEOUT = 65
ASYNC_OP_FAILURE = "Asynchronous operation did not succeed."
ASYNC_OP_TIMEOUT = "Timed out waiting for async operation to complete."
_DOT_SEGMENT = re.compile(r"(^|/)\.{1,2}(/|$)")
log = logging.getLogger(__name__)


#: Constructor arguments that are not handed to the transport.
_CLIENT_ONLY = frozenset(
    {
        "self",
        "__class__",
        "subscription_id",
        "certificate",
        "password",
        "transport",
        "cert_file",
        "request_session",
    }
)


def open_client(
    make_transport: Callable[..., Any], args: Mapping[str, Any]
) -> tuple[str, Any, bool, Any, dict[str, Any]]:
    """What both constructors do, from their ``locals()``: the old SDK's rules, once.

    Returns (subscription, credentials, owned?, transport, transport kwargs). The transport gets
    every constructor argument but the client's own (``_CLIENT_ONLY``).

    Missing arguments come from the old SDK's sources, in its order: ``cert_file=``, the
    ``request_session``'s ``cert``/``verify``/``proxies``, then the environment variables.
    Credentials we loaded are closed again if the transport cannot be built.
    """
    from airflow_sm_provider.client.credentials import Credentials, load_credentials

    _warn_of_azure_common_errors()
    kwargs = {k: val for k, val in args.items() if k not in _CLIENT_ONLY}
    subscription_id, certificate, password = args["subscription_id"], args["certificate"], args["password"]
    transport, cert_file, request_session = args["transport"], args["cert_file"], args["request_session"]
    if certificate is not None and cert_file is not None and certificate != cert_file:
        raise InvalidInputError(
            "cert_file", "pass the certificate once: certificate= or cert_file=, not both."
        )
    certificate = given = certificate if certificate is not None else cert_file
    if request_session in (None, False, ""):  # the old SDK read any falsy value as "no session"
        request_session = None
    else:
        _check_session(request_session)
        # One file, or requests' (cert_path, key_path) pair: load_credentials reads both.
        certificate = certificate if certificate is not None else getattr(request_session, "cert", None)
        verify = getattr(request_session, "verify", None)
        if kwargs.get("ca_bundle") is None and isinstance(verify, str):
            kwargs["ca_bundle"] = verify
        if not kwargs.get("proxies") and getattr(request_session, "proxies", None):
            kwargs["proxies"] = dict(request_session.proxies)
    if subscription_id is None:  # missing, not empty: an explicit "" is an error, never the environment
        subscription_id = _from_environment(AZURE_MANAGEMENT_SUBSCRIPTIONID, "subscription")
    if certificate is None and transport is None:
        certificate = _from_environment(AZURE_MANAGEMENT_CERTFILE, "certificate")
    if isinstance(args.get("self"), OldClientAttributes):
        # The old ``cert_file``: as given, else the environment's unless a session came instead.
        old_cert_file = given if given is not None or request_session is not None else certificate
        args["self"]._built_with(old_cert_file, request_session, kwargs)
    endpoint = _endpoint_from_environment(kwargs.get("host"), kwargs.get("ca_bundle"))
    kwargs["host"], kwargs["ca_bundle"] = endpoint
    sub = v.subscription_id(subscription_id)
    if kwargs.get("x_ms_version") is not None:
        v.x_ms_version(kwargs["x_ms_version"])
    if kwargs.get("timeout") is not None:
        v.seconds(kwargs["timeout"])
    if transport is not None:
        owned_creds = None
        if isinstance(certificate, Credentials):
            owned_creds = certificate
        return sub, owned_creds, False, transport, kwargs
    if certificate is None:
        raise InvalidInputError(
            "certificate",
            "certificate is required: pass a PEM path/text, a .pfx/.p12 or a .publishsettings "
            f"(or set {AZURE_MANAGEMENT_CERTFILE}).",
        )
    if isinstance(certificate, Credentials):
        credentials, owned = certificate, False
    else:
        credentials, owned = load_credentials(certificate, password, subscription_id=sub), True
    try:
        built = make_transport(subscription_id=sub, credentials=credentials, **kwargs)
    except BaseException:
        if owned:
            credentials.close()
        raise
    return sub, credentials, owned, built, kwargs


class OldClientAttributes:
    """The old client's public instance attributes (0.20.8 ``_ServiceManagementClient.__init__``),
    defined once for the sync and the async client (docs/migrating.md lists what differs).

    ``x_ms_version`` may be assigned, as before: the value is checked by THE version rule
    (``validation.x_ms_version``, an ``InvalidInputError`` naming ``x_ms_version``) and from then
    on sent by every request whose operation carries no version of its own (``_stamped``; the old
    SDK's ``x_ms_version or self.x_ms_version``). ``subscription_id``, ``cert_file`` and
    ``request_session`` say what the client was built with; assigning them later raises
    ``AttributeError`` instead of being ignored (the transport, its TLS context and its budget are
    built from them). ``requestid`` is None, as the old SDK's always was.
    """

    #: The old SDK set it to None and never changed it.
    requestid: None = None
    _subscription_id: str | None = None
    _version: str = protocol.DEFAULT_X_MS_VERSION
    _assigned_version: str | None = None
    _cert_file: str | tuple[str | None, str | None] | None = None
    _request_session: Any = None

    def _built_with(self, certificate: Any, session: Any, kwargs: Mapping[str, Any]) -> None:
        """What the constructor was given, kept under the old names (``open_client`` calls it)."""
        self._version = kwargs.get("x_ms_version") or protocol.DEFAULT_X_MS_VERSION
        self._request_session = session
        # The old ``cert_file`` was a path (or requests' pair of paths): PEM text, bytes or loaded
        # Credentials are not shown.
        self._cert_file = _path_of(certificate)
        if isinstance(certificate, tuple) and len(certificate) == 2:
            pair = (_path_of(certificate[0]), _path_of(certificate[1]))
            self._cert_file = pair if None not in pair else None

    @property
    def x_ms_version(self) -> str:
        """The ``x-ms-version`` header of requests whose operation has no version of its own."""
        return self._assigned_version or self._version

    @x_ms_version.setter
    def x_ms_version(self, value: str) -> None:
        self._assigned_version = v.x_ms_version(value)

    def _stamped(self, request: ApiRequest) -> ApiRequest:
        """``request`` with the assigned ``x_ms_version`` when it has none of its own."""
        if self._assigned_version is None or request.x_ms_version is not None:
            return request
        return dataclasses.replace(request, x_ms_version=self._assigned_version)

    @property
    def subscription_id(self) -> str:
        return str(self._subscription_id)

    @subscription_id.setter
    def subscription_id(self, value: str) -> None:
        if self._subscription_id is not None:
            raise AttributeError(_BUILT_FROM.format(name="subscription_id"))
        self._subscription_id = value

    @property
    def cert_file(self) -> str | tuple[str | None, str | None] | None:
        """The certificate file's path the client was given, or its (certificate, key) pair of
        paths; None for PEM text, loaded ``Credentials`` or a session's certificate."""
        return self._cert_file

    @cert_file.setter
    def cert_file(self, value: Any) -> None:
        raise AttributeError(_BUILT_FROM.format(name="cert_file"))

    @property
    def request_session(self) -> Any:
        """The ``request_session`` given to the constructor (its cert, verify and proxies were read)."""
        return self._request_session

    @request_session.setter
    def request_session(self, value: Any) -> None:
        raise AttributeError(_BUILT_FROM.format(name="request_session"))

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` of request bodies (the old SDK sent Atom's)."""
        return protocol.CONTENT_TYPE_XML


def _path_of(value: Any) -> str | None:
    path = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    return path if isinstance(path, str) and "-----BEGIN" not in path else None


_BUILT_FROM = (
    "{name} cannot be changed on a client: its connection was built from it; make a new "
    "ServiceManagementService(...) with the new {name}"
)


_AZURE_COMMON_ERRORS = (
    "AzureConflictHttpError",
    "AzureException",
    "AzureHttpError",
    "AzureMissingResourceHttpError",
)
_warned_modules: set[str] = set()


def _warn_of_azure_common_errors() -> None:
    """Warn (once per module) when the code making a client holds ``azure.common``'s error classes.

    Why: a ported script whose ``from azure.common import AzureHttpError, ...`` line was left as it
    was catches nothing this client raises (``except`` matches by subclassing, and ours are other
    classes), silently. Only the first frame outside this package is looked at, and only for names
    bound to exactly those classes, so code that does not import them (the hook, DAGs) never sees
    it; ``azure.common`` is never imported here, and class identity does not depend on it.
    """
    common = sys.modules.get("azure.common")
    if common is None:
        return
    frame = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith(
        "airflow_sm_provider.client"
    ):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return
    module = str(frame.f_globals.get("__name__", "?"))
    held = [n for n in _AZURE_COMMON_ERRORS if frame.f_globals.get(n) is getattr(common, n, None) is not None]
    if not held or module in _warned_modules:
        return
    _warned_modules.add(module)
    log.warning(
        "%s holds %s from azure.common: this client raises airflow_sm_provider.client's errors, which "
        "`except` clauses naming azure.common's classes do not catch; import them with "
        "`from airflow_sm_provider.client import %s` instead (docs/migrating.md, Connect)",
        module,
        ", ".join(held),
        ", ".join(held),
    )


def _from_environment(name: str, what: str) -> str | None:
    """The old SDK's fallback ``name``; logged by the variable's name, never its value."""
    value = os.environ.get(name) or None
    if value is not None:
        log.info("%s from %s", what, name)
    return value


def _endpoint_from_environment(host: Any, ca_bundle: Any) -> tuple[Any, Any]:
    """``host`` / ``ca_bundle`` when the caller gave no host: ``AZURE_MANAGEMENT_HOST`` and its
    ``AZURE_MANAGEMENT_CA_BUNDLE``, else the public host (and the system store).

    Why: an old script (``ServiceManagementService(subscription_id, certificate_path)``) reaches the
    emulator with its import line changed and these set once, as the old SDK's own two variables
    already allowed for the subscription and the certificate. Never a hidden switch: an explicit
    ``host`` always wins and then the environment is not read at all (the hook always passes its
    connection's host); the CA variable belongs to the host variable, is used only with it, and
    means exactly that bundle; what the environment supplied is logged with the variable's name.
    """
    if host is not None:
        return host, ca_bundle
    env_host = os.environ.get(AZURE_MANAGEMENT_HOST, "").strip()
    if not env_host:
        return protocol.PUBLIC_HOST, ca_bundle
    env_ca = os.environ.get(AZURE_MANAGEMENT_CA_BUNDLE, "").strip() or None
    if ca_bundle is None and env_ca:
        ca_bundle = env_ca
        # The bundle's value is not logged: it may be PEM text rather than a path.
        log.info(
            "management host %s from %s, trusting exactly %s",
            env_host,
            AZURE_MANAGEMENT_HOST,
            AZURE_MANAGEMENT_CA_BUNDLE,
        )
    else:
        log.info("management host %s from %s", env_host, AZURE_MANAGEMENT_HOST)
    return env_host, ca_bundle


def _check_session(session: Any) -> None:
    """A path or PEM text in ``request_session`` is refused by name; any other object is a session.

    Why: ``request_session`` is the 4th positional argument (the old SDK's order), so a CA bundle
    passed there positionally must not be taken for a session and silently ignored. Session-like
    objects (a ``requests.Session`` subclass, a test double) are read as the old SDK read them.
    """
    if isinstance(session, (str, bytes, PurePath)):
        raise InvalidInputError(
            "request_session",
            f"takes a requests.Session (the old SDK's 4th positional argument), got "
            f"{type(session).__name__}; pass a CA bundle as ca_bundle=... (keyword only).",
        )


def endpoint_kwargs(endpoint: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments for the emulator ``endpoint`` describes: the path of its
    ``endpoint.json``, or that file's content as a mapping (``Emulator.endpoint``, the JSON line
    ``python -m airflow_sm_provider.emulator`` prints).

    Why a mapping too: a script or test that started the emulator already holds it, and spelling
    out ``ServiceManagementClient(ep["subscription_id"], ep["client_pem"], ...)`` at each place is
    how the key names drift apart. A client takes them as
    ``ServiceManagementClient(**endpoint_kwargs(ep))``.

    :raises InvalidInputError: the file cannot be read, or a key the client needs is missing
        (field ``path`` for a file, ``endpoint`` for a mapping); nothing is sent before.
    """
    if isinstance(endpoint, Mapping):
        data: Mapping[str, Any] = endpoint
        field, what = "endpoint", "the endpoint mapping"
    elif isinstance(endpoint, (str, os.PathLike)):
        path = Path(endpoint)
        field, what = "path", repr(str(path))
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInputError("path", f"cannot read {what} as endpoint.json: {exc}") from None
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                "path", f"{what} holds no JSON object: is it an emulator's endpoint.json?"
            )
    else:
        raise InvalidInputError(
            "endpoint",
            "pass the path of an emulator's endpoint.json or its content as a mapping, "
            f"not {type(endpoint).__name__}.",
        )
    missing = [k for k in ("subscription_id", "client_pem", "host", "ca_cert") if not data.get(k)]
    if missing:
        raise InvalidInputError(
            field, f"{what} lacks {', '.join(missing)}: is it an emulator's endpoint.json?"
        )
    return {
        "subscription_id": data["subscription_id"],
        "certificate": data["client_pem"],
        "host": data["host"],
        "ca_bundle": data["ca_cert"],
    }


class FilteredTransport:
    """``with_filter``: each request passes through ``filter(request, next)``."""

    def __init__(self, filter: Callable[..., ApiResponse], inner: Any) -> None:
        self._filter = filter
        self._inner = inner

    @property
    def host(self) -> str:
        return str(getattr(self._inner, "host", ""))

    def send(self, request: ApiRequest) -> ApiResponse:
        return self._filter(request, self._inner.send)

    def close(self) -> None:
        """The filtered client shares the original's transport: the original closes it."""


def proxy_url(host: str, port: int | str, user: str | None, password: str | None) -> str:
    auth = f"{quote(user, safe='')}:{quote(password or '', safe='')}@" if user else ""
    return f"http://{auth}{host}:{port}"


def raw_request(
    subscription_id: str, method: str, path: str, body: str | bytes | None, x_ms_version: str | None
) -> ApiRequest:
    """An ``ApiRequest`` for ``perform_*``: the old SDK's absolute path (``/<sub>/...``).

    The path must start with ``/``; dot segments (also percent-encoded) and control characters
    are refused, so even the escape hatch cannot be steered onto another resource by accident.
    An empty (or None) ``x_ms_version`` means the client's version, as in the old SDK; any other
    value must pass THE version rule (CR/LF and control characters are refused naming the field).
    """
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidInputError(
            "path", f"path must start with '/' (e.g. '/{subscription_id}/services/...'), got {path!r}."
        )
    head = path.split("?", 1)[0].split("#", 1)[0]
    if _DOT_SEGMENT.search(unquote(head)) or re.search(r"[\x00-\x20\x7f#]", path):
        raise InvalidInputError(
            "path", f"{path!r} has a dot segment, '#', space or control character: remove it."
        )
    # The old SDK sent ``x_ms_version or self.x_ms_version``: a falsy version is the client's.
    x_ms_version = v.x_ms_version(x_ms_version) if x_ms_version else None
    prefix = f"/{subscription_id}"
    under = head == prefix or head.lower().startswith(prefix.lower() + "/")
    relative = path[len(prefix) :] if under else path
    data = body.encode("utf-8") if isinstance(body, str) else body
    if data is None and method in ("PUT", "POST"):
        data = b""
    return ApiRequest(
        method,
        relative,
        body=data,
        x_ms_version=x_ms_version,
        idempotent=method != "POST",
        operation=f"perform_{method.lower()}",
        under_subscription=under,
    )


def parse_response_for_async_op(response: ApiResponse | None) -> OperationHandle | None:
    """The old helper that read ``x-ms-request-id`` off a ``perform_*`` response.

    Old scripts follow it with ``sms.wait_for_operation_status(result.request_id)`` (or
    ``get_operation_status``), so the handle carries only the id: it cannot poll by itself.
    """
    if response is None:
        return None
    from airflow_sm_provider.client.handle import OperationHandle

    return OperationHandle(response.request_id, "perform", "", response.status)


def async_failure(message: str, result: Any) -> OperationFailedError:
    """The old ``AzureAsyncOperationHttpError(message, result.status, result)``, as our typed error:
    ``status_code`` is the operation's status (``'Failed'``, ``'InProgress'``), as the old SDK's was."""
    error = getattr(result, "error", None)
    return OperationFailedError(
        message,
        getattr(result, "status", None),
        code=getattr(error, "code", None) or None,
        operation=result,
    )


def get_certificate_from_publish_settings(
    publish_settings_path: str | os.PathLike[str],
    path_to_write_certificate: str | os.PathLike[str],
    subscription_id: str | None = None,
) -> str:
    """Write the management certificate of a .publishsettings as PEM (certificate + key).

    The old SDK's helper (it needed pyOpenSSL); the file is created readable by its owner only.
    Returns the subscription id. This client also takes the .publishsettings directly.
    """
    from cryptography.hazmat.primitives import serialization

    from airflow_sm_provider.client.credentials import load_credentials

    creds = load_credentials(os.fspath(publish_settings_path), subscription_id=subscription_id)
    try:
        key = creds.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        target = Path(path_to_write_certificate)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(creds.certificate_pem() + key)
        return creds.subscription_id or subscription_id or ""
    finally:
        creds.close()

"""Input checks run before any request is sent.

Why: ASM answers a bad input with a terse 400 (or, for element-order/format problems, silently
ignores a field) after a network round trip, sometimes after an async operation was queued. Checking
locally names the exact argument (``InvalidInputError.field``) and says the rule and the fix.
Every function returns the value to send (possibly normalised) or raises ``InvalidInputError``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from typing import Any

from airflow_sm_provider import protocol
from airflow_sm_provider.client.errors import InvalidInputError

_DNS_LABEL = re.compile(r"^[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_STORAGE_NAME = re.compile(r"^[a-z0-9]{3,24}$")
_EXT_PROP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ROLE_SIZE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_REQUEST_ID = re.compile(r"^[0-9A-Fa-f]{32}$|^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
_SAFE_NAME = re.compile(r"^[^/\\?#%\x00-\x1f\x7f]{1,256}$")
_GUID = re.compile(r"^[0-9A-Fa-f]{8}-?(?:[0-9A-Fa-f]{4}-?){3}[0-9A-Fa-f]{12}$")
#: What XML 1.0 cannot carry (lxml refuses it with a library error) plus DEL.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_VERSION = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # ASCII digits: \d takes any script's


def required(field: str, value: Any) -> str:
    """A non-empty string (the old SDK raised ``'<name> should not be None.'``)."""
    if value is None or not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, f"{field} is required: pass a non-empty string (got {value!r}).")
    return value


def resource_name(field: str, value: Any) -> str:
    """A name that goes into a URL path: no slashes, '?', '#', '%' or control characters."""
    required(field, value)
    if not _SAFE_NAME.fullmatch(value):
        raise InvalidInputError(
            field,
            f"{value!r} cannot be a resource name: remove '/', '\\', '?', '#', '%' and control characters.",
        )
    if value in (".", ".."):
        raise InvalidInputError(
            field, f"{value!r} cannot be a resource name: a dot segment addresses the parent resource."
        )
    return str(value)


def service_name(value: Any, field: str = "service_name") -> str:
    """A cloud service name becomes ``<name>.cloudapp.net``: a DNS label."""
    required(field, value)
    if len(value) > protocol.SERVICE_NAME_MAX or not _DNS_LABEL.fullmatch(value):
        raise InvalidInputError(
            field,
            # ASM's own sentence first: scripts ported from salt-cloud test ``... in str(exc)`` for it.
            f"The hosted service name is invalid. {value!r} is not a valid cloud service name: use "
            f"1-{protocol.SERVICE_NAME_MAX} letters, digits "
            "and hyphens, starting with a letter and ending with a letter or digit (it becomes "
            "<name>.cloudapp.net).",
        )
    return str(value)


def storage_name(value: Any, field: str = "service_name") -> str:
    """A storage account name becomes ``<name>.blob.core.windows.net``: 3-24 lowercase letters/digits."""
    required(field, value)
    if not _STORAGE_NAME.fullmatch(value):
        raise InvalidInputError(
            field,
            f"{value!r} is not a valid storage account name: use {protocol.STORAGE_NAME_MIN}-"
            f"{protocol.STORAGE_NAME_MAX} lowercase letters and digits only (e.g. {value.lower()[:24]!r} "
            "without hyphens or other characters).",
        )
    return str(value)


def slot(value: Any, field: str = "deployment_slot") -> str:
    """``production`` or ``staging`` in any case; sent as given (the service accepts both)."""
    required(field, value)
    if value.lower() not in ("production", "staging"):
        raise InvalidInputError(field, f"{value!r} is not a deployment slot: use 'production' or 'staging'.")
    return str(value)


def deployment_status(value: Any, field: str = "status") -> str:
    required(field, value)
    for allowed in protocol.SETTABLE_DEPLOYMENT_STATUSES:
        if value.lower() == allowed.lower():
            return allowed
    raise InvalidInputError(field, f"{value!r} is not a status you can set: use 'Running' or 'Suspended'.")


def label(value: Any, field: str = "label", *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    required(field, value)
    text(value, field)
    if len(value) > protocol.LABEL_MAX_CHARS:
        raise InvalidInputError(
            field,
            f"the label is {len(value)} characters; the limit is {protocol.LABEL_MAX_CHARS} (before "
            "base64): shorten it.",
        )
    return str(value)


def description(value: Any, field: str = "description") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(field, f"the description must be a string, not {type(value).__name__}.")
    text(value, field)
    if len(value) > protocol.DESCRIPTION_MAX_CHARS:
        raise InvalidInputError(
            field,
            f"the description is {len(value)} characters; the limit is {protocol.DESCRIPTION_MAX_CHARS}: "
            "shorten it.",
        )
    return value


def extended_properties(value: Any, field: str = "extended_properties") -> dict[str, str] | None:
    """At most 50 pairs; names ``[A-Za-z][A-Za-z0-9_]*`` up to 64 chars; values up to 255 chars."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInputError(field, "extended_properties must be a dict of name -> value strings.")
    if len(value) > protocol.EXTENDED_PROPERTIES_MAX:
        raise InvalidInputError(
            field, f"{len(value)} extended properties given; the limit is {protocol.EXTENDED_PROPERTIES_MAX}."
        )
    out: dict[str, str] = {}
    for name, val in value.items():
        if (
            not isinstance(name, str)
            or len(name) > protocol.EXTENDED_PROPERTY_NAME_MAX
            or not _EXT_PROP_NAME.fullmatch(name)
        ):
            raise InvalidInputError(
                field,
                f"extended property name {name!r} is invalid: start with a letter, then letters, digits or "
                f"'_', at most {protocol.EXTENDED_PROPERTY_NAME_MAX} characters.",
            )
        text = "" if val is None else str(val)
        if len(text) > protocol.EXTENDED_PROPERTY_VALUE_MAX:
            raise InvalidInputError(
                field,
                f"extended property {name!r} has a {len(text)}-character value; the limit is "
                f"{protocol.EXTENDED_PROPERTY_VALUE_MAX}.",
            )
        out[name] = text
    return out


def location_xor_affinity_group(location: Any, affinity_group: Any) -> None:
    for name, val in (("location", location), ("affinity_group", affinity_group)):
        if isinstance(val, str) and val and not val.strip():
            raise InvalidInputError(name, f"{name} is only white space: pass a region name or None.")
    if bool(location) == bool(affinity_group):
        which = "both were" if location else "neither was"
        raise InvalidInputError(
            "location",
            f"pass exactly one of location or affinity_group ({which} given): a service lives either "
            "in a region or in an affinity group.",
        )
    for name, val in (("location", location), ("affinity_group", affinity_group)):
        if val is not None and not isinstance(val, str):
            raise InvalidInputError(name, f"{name} must be a string.")


def one_of(value: Any, allowed: tuple[str, ...], field: str) -> str:
    required(field, value)
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise InvalidInputError(field, f"{value!r} is not allowed: use one of {', '.join(allowed)}.")


def role_size(value: Any, field: str = "role_size") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ROLE_SIZE.fullmatch(value):
        raise InvalidInputError(
            field, f"{value!r} is not a role size: use a name like 'Small', 'Medium', 'A5' or 'Standard_D1'."
        )
    return value


def request_id(value: Any, field: str = "request_id") -> str:
    required(field, value)
    if not _REQUEST_ID.fullmatch(value.strip()):
        raise InvalidInputError(
            field,
            f"{value!r} is not an ASM request id: pass the 32 hex characters of x-ms-request-id "
            "(the handle's .request_id).",
        )
    return str(value.strip())


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInputError(field, f"{field} must be True or False, not {value!r}.")
    return value


def configuration(value: Any, field: str = "configuration") -> str:
    """The ``.cscfg`` as base64 for the wire: XML text/bytes is encoded, base64 must decode to XML.

    Base64 wrapped over lines (as .NET's ``Convert.ToBase64String(..., InsertLineBreaks)`` writes
    it) is accepted and sent unwrapped. The XML must be well-formed: the service would refuse it
    after the round trip, often after an asynchronous operation was queued.
    """
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        if raw.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
            _well_formed(raw, field)
            return base64.b64encode(raw).decode("ascii")
        value = raw.decode("ascii", errors="replace")
    required(field, value)
    text_ = value.strip()
    if text_.startswith(("<", "\ufeff<")):
        raw = text_.encode("utf-8")
        _well_formed(raw, field)
        return base64.b64encode(raw).decode("ascii")
    compact = "".join(text_.split())
    try:
        decoded: bytes | None = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        decoded = None
    if decoded is not None and decoded.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        _well_formed(decoded, field)
        return compact
    if decoded is not None and _is_text(decoded):
        raise InvalidInputError(
            field,
            "configuration is base64 but does not decode to XML (it decodes to text that does not start "
            "with '<'): encode the .cscfg file's bytes.",
        )
    # Where not what: the text may be a mistyped path, or settings that hold secrets.
    raise InvalidInputError(
        field,
        f"configuration is neither .cscfg XML (it does not start with '<') nor base64 of .cscfg XML "
        f"({_looks_like(text_, decoded, padded=text_ != value)}): pass the .cscfg file's XML text "
        "(open(path, encoding='utf-8-sig').read()), its bytes, or base64 of its bytes; an operator also "
        "takes the file's name ending in .cscfg",
    )


#: Words separated by spaces or tabs within a line: prose, or a path with spaces -- never base64,
#: which is wrapped over lines (if at all) but has no blank inside one.
_PLAIN_WORDS = re.compile(r"\S[ \t]+\S")
_FILE_NAME = re.compile(r"^[^\r\n<>]{1,1024}$")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")


def _is_text(raw: bytes) -> bool:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ch < " " and ch not in "\t\r\n" for ch in decoded)


def _looks_like(text_: str, decoded: bytes | None, *, padded: bool) -> str:
    """What a configuration that is neither XML nor its base64 looks like, for the message."""
    if padded and text_.lower().endswith(".cscfg") and _FILE_NAME.fullmatch(text_):
        return "it looks like a .cscfg file name with blanks around it, not the file's content"
    if _FILE_NAME.fullmatch(text_) and (
        "\\" in text_ or _EXTENSION.search(text_) or ("/" in text_ and decoded is None)
    ):
        return "it looks like a file name or path, not the file's content"
    if _PLAIN_WORDS.search(text_):
        return "it is plain text; base64 has no spaces within a line"
    if decoded is None:
        return "it has characters or a length base64 cannot have"
    return "read as base64 it decodes to binary data, not text"


def _well_formed(raw: bytes, field: str) -> None:
    """Parse with THE hardened parser (``xmlsafe.parse_document``, the body of ``parse_xml``); the
    error says where, never what: a ``.cscfg``'s settings may hold passwords."""
    from airflow_sm_provider.client.xmlsafe import XmlRefused, parse_document  # lxml: not at DAG parse

    try:
        parse_document(raw)
    except XmlRefused as exc:
        raise InvalidInputError(field, f"the .cscfg {exc.reason}: fix the file.") from None


def text(value: Any, field: str) -> Any:
    """Text that goes into the XML body: no control characters (XML 1.0 cannot carry them)."""
    if isinstance(value, str):
        bad = _XML_ILLEGAL.search(value)
        if bad:
            # Where, not what: the text may be a password (a service certificate's).
            raise InvalidInputError(
                field,
                f"{field} contains a control character XML cannot carry ({bad.group()!r} at position "
                f"{bad.start()}): remove it.",
            )
    return value


def base64_data(value: Any, field: str) -> str:
    """Base64 (certificate data): line-wrapped base64 is accepted and sent unwrapped."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("ascii", errors="replace")
    required(field, value)
    compact = "".join(value.split())
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(
            field, f"{field} is not base64: pass base64.b64encode(open(path, 'rb').read()).decode()."
        ) from None
    return compact


def package_url(value: Any, field: str = "package_url") -> str:
    """An http(s) URL. ``http://`` is accepted: the real service accepted one (2015 recording);
    validation is never stricter than the service."""
    required(field, value)
    text(value, field)
    lowered = value.strip().lower()
    for scheme in ("https://", "http://"):
        if lowered.startswith(scheme) and len(lowered) > len(scheme):
            return str(value.strip())
    raise InvalidInputError(
        field, f"{value!r} is not an http(s) URL of a blob: pass https://<account>.blob..."
    )


def subscription_id(value: Any, field: str = "subscription_id") -> str:
    """A subscription id is a GUID: anything else (``#``, ``?``, ``/``) would change the URL."""
    required(field, value)
    sub = value.strip()
    if not _GUID.fullmatch(sub):
        raise InvalidInputError(
            field,
            f"{value!r} is not a subscription id: pass the subscription's GUID "
            "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, shown in the portal or the .publishsettings file).",
        )
    return sub


def number(value: Any, field: str, *, unit: str, at_least: float | None = None) -> float:
    """THE "finite number" rule: a real number (not a bool), not NaN or infinite, and positive
    (``at_least=None``) or at least ``at_least``. Timeouts, intervals, retry delays, keep-alive
    times and request rates all use it: NaN compares false to everything, so a loose check lets it
    through, and an infinite timeout never expires."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(field, f"{field} must be a number of {unit}, not {value!r}.")
    if at_least is None:
        if not math.isfinite(value) or value <= 0:
            raise InvalidInputError(
                field, f"{field} must be a positive, finite number of {unit}, not {value!r}."
            )
    elif not math.isfinite(value) or value < at_least:
        raise InvalidInputError(
            field, f"{field} must be a finite number of {unit} >= {at_least:g}, not {value!r}."
        )
    return float(value)


def seconds(value: Any, field: str = "timeout", *, at_least: float | None = None) -> float:
    """A finite number of seconds: positive, or at least ``at_least`` (0 for "may be zero")."""
    return number(value, field, unit="seconds", at_least=at_least)


def x_ms_version(value: Any, field: str = "x_ms_version") -> str:
    """THE API version rule (constructor, per-request header, ``perform_*``): ``YYYY-MM-DD``.

    Every ASM version is a publication date (asm-wire.md 1.2: ``2014-10-01`` by default, the SDK's
    per-call ``2015-02-01`` / ``2015-04-01``); the service answers anything else with 400
    ``MissingOrIncorrectVersionHeader``. The old SDK sent the string unchecked, so ``'latest'``
    reached the service and failed there; no source shows ASM accepting a non-date version, so
    refusing it early is not stricter than the service. CR/LF would split the header.
    """
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        raise InvalidInputError(
            field, f"{value!r} is not an ASM API version: use a date like '2014-10-01' ('latest' is not one)."
        )
    return str(value)

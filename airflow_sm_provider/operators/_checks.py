"""Input checks shared by the ASM operators: run at construction (static values) and render time.

Each raises the client's ``InvalidInputError`` naming the operator argument, before any request.
Values that are still templates are skipped at construction and checked after rendering. Only
the standard library and ``protocol`` are imported, so DAG parsing stays light.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NoReturn

from airflow_sm_provider import protocol

_SERVICE_NAME_RE = re.compile(r"^[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_STORAGE_NAME_RE = re.compile(r"^[a-z0-9]+$")
_GENERIC_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def invalid(field: str, message: str) -> NoReturn:
    """Raise the client's ``InvalidInputError`` naming the operator argument ``field``."""
    from airflow_sm_provider.client.errors import InvalidInputError

    raise InvalidInputError(field, message)


def is_template(value: Any) -> bool:
    """True when ``value`` is not final yet (a Jinja string or an XComArg); checked at render."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return not isinstance(value, (int, float, bool, bytes, type(None), list, tuple, dict))


# ---------------------------------------------------------------------- input checks
def check_choice(field: str, value: Any, choices: Sequence[str]) -> None:
    """``value`` must be one of ``choices`` (exact spelling)."""
    if not is_template(value) and value not in choices:
        invalid(field, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")


def check_service_name(field: str, value: Any) -> None:
    """A cloud service name: a DNS label (``<name>.cloudapp.net``)."""
    if is_template(value):
        return
    if not isinstance(value, str) or not value or len(value) > protocol.SERVICE_NAME_MAX:
        invalid(field, f"must be 1-{protocol.SERVICE_NAME_MAX} characters, got {value!r}")
    if not _SERVICE_NAME_RE.match(value):
        invalid(
            field,
            f"{value!r} is not a DNS label (letters, digits, hyphens; letter first, letter or digit last)",
        )


def check_storage_name(field: str, value: Any) -> None:
    """A storage account name: 3-24 lowercase letters and digits."""
    if is_template(value):
        return
    lo, hi = protocol.STORAGE_NAME_MIN, protocol.STORAGE_NAME_MAX
    if not isinstance(value, str) or not (lo <= len(value) <= hi) or not _STORAGE_NAME_RE.match(value):
        invalid(field, f"must be {lo}-{hi} lowercase letters and digits, got {value!r}")


def check_name(field: str, value: Any, *, required: bool = True) -> None:
    """A deployment/role/image/affinity-group name: no spaces or path characters."""
    if is_template(value) or (value is None and not required):
        return
    if not isinstance(value, str) or not value or len(value) > 256 or not _GENERIC_NAME_RE.match(value):
        invalid(field, f"must be a non-empty name of letters, digits, '.', '_' or '-', got {value!r}")


def check_text(field: str, value: Any, limit: int, *, required: bool = False) -> None:
    """A label or description: at most ``limit`` characters."""
    if is_template(value) or (value is None and not required):
        return
    if not isinstance(value, str) or (required and not value):
        invalid(field, f"must be a non-empty string, got {value!r}")
    if len(value) > limit:
        invalid(field, f"must be at most {limit} characters, got {len(value)}")


def check_slot(field: str, value: Any) -> str:
    """A deployment slot, case-insensitive; returns the canonical spelling."""
    if is_template(value):
        return str(value)
    for slot in protocol.DEPLOYMENT_SLOTS:
        if isinstance(value, str) and value.lower() == slot.lower():
            return slot
    invalid(field, f"must be 'production' or 'staging', got {value!r}")


def check_location(location: Any, affinity_group: Any) -> None:
    """Exactly one of ``location`` / ``affinity_group``."""
    if is_template(location) or is_template(affinity_group):
        return
    if bool(location) == bool(affinity_group):
        invalid("location", "give exactly one of location or affinity_group")

"""Input checks of the ASM operators, run at construction (static values) and after rendering.

The rules themselves are the client's (``airflow_sm_provider.client.validation``): one place says
what a valid service name, slot or configuration is. This module only adds what an operator needs
on top: skip values that are still templates at construction (they are checked after rendering),
and name the operator argument in the ``InvalidInputError``. The client module is imported on
first use so importing an operator module stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, NoReturn

__all__ = [
    "check_choice",
    "check_configuration",
    "check_https_url",
    "check_location",
    "check_name",
    "check_service_name",
    "check_slot",
    "check_storage_name",
    "check_text",
    "invalid",
    "is_template",
]


def _v() -> ModuleType:
    from airflow_sm_provider.client import validation

    return validation


def invalid(field: str, message: str) -> NoReturn:
    """Raise the client's ``InvalidInputError`` naming the operator argument ``field``."""
    from airflow_sm_provider.client.errors import InvalidInputError

    raise InvalidInputError(field, message)


def is_template(value: Any) -> bool:
    """True when ``value`` is not final yet (a Jinja string or an XComArg); checked at render."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return not isinstance(value, (int, float, bool, bytes, type(None), list, tuple, dict))


def check_choice(field: str, value: Any, choices: Sequence[str]) -> None:
    """``value`` must be one of ``choices`` (exact spelling: these are operator options)."""
    if not is_template(value) and value not in choices:
        invalid(field, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")


def check_service_name(field: str, value: Any) -> None:
    """A cloud service name (a DNS label, ``<name>.cloudapp.net``)."""
    if not is_template(value):
        _v().service_name(value, field)


def check_storage_name(field: str, value: Any) -> None:
    """A storage account name: 3-24 lowercase letters and digits."""
    if not is_template(value):
        _v().storage_name(value, field)


def check_name(field: str, value: Any, *, required: bool = True) -> None:
    """A deployment/role/image/affinity-group name (it goes into a URL path)."""
    if is_template(value) or (value is None and not required):
        return
    _v().resource_name(field, value)


def check_text(field: str, value: Any, limit: int, *, required: bool = False) -> None:
    """A label (``limit`` = the label limit) or a description."""
    if is_template(value) or (value is None and not required):
        return
    from airflow_sm_provider import protocol

    if limit <= protocol.LABEL_MAX_CHARS:
        _v().label(value, field)
    else:
        _v().description(value, field)


def check_slot(field: str, value: Any) -> str:
    """A deployment slot, any case; returns the canonical "Production" / "Staging"."""
    if is_template(value):
        return str(value)
    return str(_v().slot(value, field)).capitalize()


def check_location(location: Any, affinity_group: Any) -> None:
    """Exactly one of ``location`` / ``affinity_group``."""
    if not is_template(location) and not is_template(affinity_group):
        _v().location_xor_affinity_group(location, affinity_group)


def check_https_url(field: str, value: Any) -> None:
    """An https URL (packages and VHDs are fetched over https)."""
    if not is_template(value):
        _v().https_url(value, field)


def check_configuration(configuration: Any, configuration_path: Any) -> None:
    """Exactly one source; inline text is ``.cscfg`` XML or its base64; a path must be a file."""
    import os

    if is_template(configuration) or is_template(configuration_path):
        return
    if (configuration is None) == (configuration_path is None):
        invalid("configuration", "give exactly one of configuration (XML or base64) or configuration_path")
    if configuration is not None:
        _v().configuration(configuration, "configuration")
    elif not isinstance(configuration_path, (str, os.PathLike)) or not os.path.isfile(configuration_path):
        invalid("configuration_path", f"{configuration_path!r} is not a readable file")

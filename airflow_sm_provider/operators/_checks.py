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
from typing import Any

from airflow_sm_provider._rendering import Reader, invalid, is_template

__all__ = [
    "check_choice",
    "check_location",
    "check_name",
    "check_package_url",
    "check_region",
    "check_service_name",
    "check_slot",
    "check_storage_name",
    "check_text",
    "choice",
    "invalid",
    "is_template",
]


def _v() -> ModuleType:
    from airflow_sm_provider.client import validation

    return validation


def check_choice(field: str, value: Any, choices: Sequence[str]) -> None:
    """``value`` must be one of ``choices`` (exact spelling: these are operator options)."""
    if not is_template(value) and value not in choices:
        invalid(field, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")


def choice(choices: Sequence[str]) -> Reader:
    """The reader (``argument(reader=...)``) of an option that must be one of ``choices``."""

    def read(field: str, value: Any) -> Any:
        check_choice(field, value, choices)
        return value

    return read


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


def check_region(field: str, value: Any) -> None:
    """A region the resource is created in, e.g. "West US" (required, not blank)."""
    if not is_template(value) and not (isinstance(value, str) and value.strip()):
        invalid(field, f"must name a region, e.g. 'West US', got {value!r}")


def check_slot(field: str, value: Any) -> str:
    """A deployment slot, any case; returns the canonical "Production" / "Staging"."""
    if is_template(value):
        return str(value)
    return str(_v().slot(value, field)).capitalize()


def check_location(location: Any, affinity_group: Any) -> None:
    """Exactly one of ``location`` / ``affinity_group``."""
    if not is_template(location) and not is_template(affinity_group):
        _v().location_xor_affinity_group(location, affinity_group)


def check_package_url(field: str, value: Any) -> None:
    """A package URL, by the client's own rule (``validation.package_url``: http or https, as the
    real service accepted both)."""
    if not is_template(value):
        _v().package_url(value, field)

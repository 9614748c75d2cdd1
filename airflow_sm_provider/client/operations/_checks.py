"""Parameter checks of the operation table, all shaped ``check(value, field) -> value to send``.

Thin adapters over ``client.validation`` (which operators also use at DAG-parse time), so each
table entry names its rule in one word. Path members are checked here AND encoded by
``operation.segment``: the check gives the clear message, the segment makes the path safe even
for a member whose check is permissive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_sm_provider import protocol
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.errors import InvalidInputError


def name(value: Any, field: str) -> str:
    """A resource name in the path: no '/', '?', '#', '%', control characters or dot segments."""
    return v.resource_name(field, value)


def opt_name(value: Any, field: str) -> str | None:
    return None if value is None or value == "" else v.resource_name(field, value)


def service_name(value: Any, field: str) -> str:
    return v.service_name(value, field)


def storage_name(value: Any, field: str) -> str:
    return v.storage_name(value, field)


def slot(value: Any, field: str) -> str:
    return v.slot(value, field)


def label(value: Any, field: str) -> str | None:
    return v.label(value, field)


def opt_label(value: Any, field: str) -> str | None:
    return v.label(value, field, optional=True)


def description(value: Any, field: str) -> str | None:
    return v.description(value, field)


def ext_props(value: Any, field: str) -> dict[str, str] | None:
    return v.extended_properties(value, field)


def package_url(value: Any, field: str) -> str:
    return v.package_url(value, field)


def configuration(value: Any, field: str) -> str:
    return v.configuration(value, field)


def flag(value: Any, field: str) -> bool:
    return v.boolean(value, field)


def opt_flag(value: Any, field: str) -> bool | None:
    return None if value is None else v.boolean(value, field)


def text(value: Any, field: str) -> str:
    """Required text for the body (no control characters)."""
    return str(v.text(v.required(field, value), field))


def opt_text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(field, f"{field} must be a string, not {type(value).__name__}.")
    return str(v.text(value, field))


def request_id(value: Any, field: str) -> str:
    return v.request_id(value, field)


def mode(value: Any, field: str) -> str:
    return v.one_of(value, ("Auto", "Manual", "Simultaneous"), field)


def upgrade_mode(value: Any, field: str) -> str:
    return v.one_of(value, ("Auto", "Manual", "Simultaneous"), field)


def status(value: Any, field: str) -> str:
    return v.deployment_status(value, field)


def post_shutdown_action(value: Any, field: str) -> str:
    return v.one_of(value, protocol.POST_SHUTDOWN_ACTIONS, field)


def account_type(value: Any, field: str) -> str:
    return v.one_of(value, protocol.STORAGE_ACCOUNT_TYPES, field)


def key_type(value: Any, field: str) -> str:
    return v.one_of(value, ("Primary", "Secondary"), field)


def os_type(value: Any, field: str) -> str:
    return v.one_of(value, protocol.OS_TYPES, field)


def opt_os_type(value: Any, field: str) -> str | None:
    return None if value is None else os_type(value, field)


def role_size(value: Any, field: str) -> str | None:
    return v.role_size(value, field)


def base64_data(value: Any, field: str) -> str:
    return v.base64_data(value, field)


def certificate_format(value: Any, field: str) -> str:
    return v.one_of(value, ("pfx", "cer"), field)


def thumbalgorithm(value: Any, field: str) -> str:
    return v.resource_name(field, value)


def thumbprint(value: Any, field: str) -> str:
    return v.resource_name(field, value)


def upgrade_domain(value: Any, field: str) -> int:
    """An upgrade domain number, 0-19 (ASM allows up to 20 domains)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 20:
        if isinstance(value, str) and value.isdigit():
            return upgrade_domain(int(value), field)
        raise InvalidInputError(field, f"{field} must be an upgrade domain number 0-19, not {value!r}.")
    return value


def lun(value: Any, field: str) -> int:
    """A data disk LUN, 0-63."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 64:
        raise InvalidInputError(field, f"{field} must be a logical unit number 0-63, not {value!r}.")
    return value


def opt_int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise InvalidInputError(field, f"{field} must be a whole number, not {value!r}.")
    return value


def names(value: Any, field: str) -> list[str]:
    """A non-empty list of names (role or instance names) for a body."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise InvalidInputError(field, f"{field} must be a non-empty list of names, e.g. ['WebRole1_IN_0'].")
    return [v.resource_name(field, n) for n in value]


def regions(value: Any, field: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise InvalidInputError(field, f"{field} must be a non-empty list of region names, e.g. ['West US'].")
    return [text(r, field) for r in value]


def location(value: Any, field: str) -> str:
    if isinstance(value, str) and not value.strip():
        raise InvalidInputError(field, f"{field} is only white space: pass a region name such as 'West US'.")
    return text(value, field)


def opt_location(value: Any, field: str) -> str | None:
    return None if value is None else location(value, field)


def present(value: Any, field: str) -> Any:
    """Any object (a model instance), but not None (the old SDK's ``should not be None``)."""
    if value is None:
        raise InvalidInputError(field, f"{field} is required (got None).")
    return value

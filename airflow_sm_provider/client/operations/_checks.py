"""Parameter checks of the operation table, all shaped ``check(value, field) -> value to send``.

The table also uses ``client.validation``'s own functions directly (``v.service_name``, ...; operators
use them at DAG-parse time too); these are the rules it needs besides. Path members are checked
AND encoded by ``operation.segment``: the check gives the clear message, the segment makes the
path safe even for a member whose check is permissive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from airflow_sm_provider import protocol
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.errors import InvalidInputError

Check = Callable[[Any, str], Any]


def optional(check: Check) -> Check:
    """``check`` for a value that may be None (or "", which the old SDK treated as absent)."""
    return lambda value, field: None if value is None or value == "" else check(value, field)


def choice(*allowed: str) -> Check:
    """One of ``allowed`` in any case, sent in the documented spelling."""
    return lambda value, field: v.one_of(value, allowed, field)


def name(value: Any, field: str) -> str:
    """A resource name in the path: no '/', '?', '#', '%', control characters or dot segments."""
    return v.resource_name(field, value)


def text(value: Any, field: str) -> str:
    """Required text for the body (no control characters XML cannot carry)."""
    return str(v.text(v.required(field, value), field))


def any_text(value: Any, field: str) -> str:
    """Text that may be empty, but is a string without control characters."""
    if not isinstance(value, str):
        raise InvalidInputError(field, f"{field} must be a string, not {type(value).__name__}.")
    return str(v.text(value, field))


def location(value: Any, field: str) -> str:
    if isinstance(value, str) and not value.strip():
        raise InvalidInputError(field, f"{field} is only white space: pass a region name such as 'West US'.")
    return text(value, field)


def whole(low: int, high: int, what: str) -> Check:
    """A whole number in ``[low, high)`` (digits in a string are accepted, as the old SDK did)."""

    def check(value: Any, field: str) -> int:
        number = int(value) if isinstance(value, str) and value.isdigit() else value
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number < high:
            raise InvalidInputError(field, f"{field} must be {what} {low}-{high - 1}, not {value!r}.")
        return number

    return check


def names(value: Any, field: str) -> list[str]:
    """A non-empty list of names (role or instance names) for a body."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise InvalidInputError(field, f"{field} must be a non-empty list of names, e.g. ['WebRole1_IN_0'].")
    return [v.resource_name(field, n) for n in value]


def regions(value: Any, field: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise InvalidInputError(field, f"{field} must be a non-empty list of region names, e.g. ['West US'].")
    return [text(r, field) for r in value]


def present(value: Any, field: str) -> Any:
    """Any object (a model instance), but not None (the old SDK's ``should not be None``)."""
    if value is None:
        raise InvalidInputError(field, f"{field} is required (got None).")
    return value


opt_name = optional(name)
opt_label = optional(v.label)
opt_text = optional(any_text)
opt_location = optional(location)
opt_flag = optional(v.boolean)
opt_int = optional(whole(0, 2**31, "a whole number"))
thumbalgorithm = thumbprint = name
mode = upgrade_mode = choice(*protocol.CHANGE_CONFIGURATION_MODES)
post_shutdown_action = choice(*protocol.POST_SHUTDOWN_ACTIONS)
account_type = choice(*protocol.STORAGE_ACCOUNT_TYPES)
key_type = choice("Primary", "Secondary")
os_type = choice(*protocol.OS_TYPES)
certificate_format = choice("pfx", "cer")
upgrade_domain = whole(0, 20, "an upgrade domain number")
lun = whole(0, 64, "a logical unit number")


def optional_texts(*param_names: str) -> tuple[Any, ...]:
    """Parameters ``str | None = None`` checked as text, in the order given (query filters, disk fields)."""
    from airflow_sm_provider.client.operation import P

    return tuple(P(n, "str | None", None, opt_text) for n in param_names)

"""One rule per kind of input (review finding 3): "a finite number of seconds" and "an API version"
are each checked by ONE function of ``client.validation``, so every entry point refuses the same
values with the same typed error, naming its field.

Before: the plan accepted ``x_ms_version='latest'`` on a request (the constructor refused it); a
bool or a string passed as a retry delay, a burst or a keep-alive time gave a raw ``TypeError`` or
was taken as 1; ``RetryPolicy(max_attempts=0)`` raised a bare ``ValueError`` without a field.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from legacy_wire import SUB, ours_client

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.budget import RequestBudget, configure_budget
from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.client.plan import ApiRequest, Endpoint
from airflow_sm_provider.client.retry import RetryPolicy

BAD_NUMBERS = [math.nan, math.inf, -math.inf, -1, True, "5", None]
HOST = "management.core.windows.net"


def _async_transport(**kw: Any) -> Any:
    from airflow_sm_provider.client.credentials import Credentials
    from airflow_sm_provider.client.transport import AsyncTransport

    return AsyncTransport(host=HOST, subscription_id=SUB, credentials=Credentials.__new__(Credentials), **kw)


#: entry point -> (field it must name, call with the value); each takes "a finite number".
ENTRIES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "client timeout": ("timeout", lambda x: ours_client()[0].__class__(SUB, transport=object(), timeout=x)),
    "endpoint timeout": ("timeout", lambda x: Endpoint(HOST, SUB, x, "2014-10-01", None)),
    "keepalive_expiry": ("keepalive_expiry", lambda x: _async_transport(keepalive_expiry=x)),
    "retry.base_delay": ("retry.base_delay", lambda x: RetryPolicy(base_delay=x)),
    "retry.max_total": ("retry.max_total", lambda x: RetryPolicy(max_total=x)),
    "requests_per_second": ("requests_per_second", lambda x: RequestBudget(x)),
    "configure_budget": ("requests_per_second", lambda x: configure_budget("budget.test", SUB, x)),
    "burst": ("burst", lambda x: RequestBudget(5, burst=x)),
    "wait_for_operation_status timeout": (
        "timeout",
        lambda x: ours_client()[0].wait_for_operation_status("0" * 32, timeout=x),
    ),
    "handle.wait poll_interval": (
        "poll_interval",
        lambda x: ours_client()[0].delete_deployment("svc", "v1").wait(poll_interval=x),
    ),
}
#: None means "no limit" (a rate) or "the default" (a burst; a timeout with an injected transport).
NULLABLE = {"requests_per_second", "configure_budget", "burst", "client timeout"}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("bad", BAD_NUMBERS, ids=repr)
def test_every_number_entry_refuses_the_same_values(entry: str, bad: Any) -> None:
    field, call = ENTRIES[entry]
    if bad is None and entry in NULLABLE:
        return
    with pytest.raises(InvalidInputError) as err:
        asyncio.run(_maybe_await(call(bad)))
    assert err.value.field == field


async def _maybe_await(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


def test_max_attempts_is_a_typed_error_naming_the_field() -> None:
    for bad in (0, -1, True, 2.5):
        with pytest.raises(InvalidInputError) as err:
            RetryPolicy(max_attempts=bad)
        assert err.value.field == "retry.max_attempts"


def test_zero_is_allowed_exactly_where_the_rule_says() -> None:
    assert RetryPolicy(base_delay=0, max_total=0).max_total == 0
    assert v.seconds(0, "keepalive_expiry", at_least=0) == 0.0
    with pytest.raises(InvalidInputError):
        v.seconds(0, "timeout")


# The last is 2014-10-01 in Arabic-Indic digits (U+0660..U+0669): a regex ``\d`` took it,
# and a header the service answers 400 went out.
@pytest.mark.parametrize(
    "version",
    [
        "latest",
        "2014-10-1",
        "v2014-10-01",
        "2014-10-01\r\nX: y",
        "",
        "\u0662\u0660\u0661\u0664-\u0661\u0660-\u0660\u0661",
    ],
)
def test_one_version_rule_for_the_endpoint_and_each_request(version: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        Endpoint(HOST, SUB, 65, version, None)
    assert err.value.field == "x_ms_version"
    endpoint = Endpoint(HOST, SUB, 65, "2014-10-01", None)
    if not version:
        return  # a request without its own version uses the endpoint's
    with pytest.raises(InvalidInputError) as err:
        endpoint.prepare(ApiRequest("GET", "/services/hostedservices", x_ms_version=version))
    assert err.value.field == "x_ms_version"


def test_dated_versions_pass_everywhere() -> None:
    endpoint = Endpoint(HOST, SUB, 65, "2015-04-01", None)
    _, headers, _ = endpoint.prepare(ApiRequest("GET", "", x_ms_version="2015-02-01"))
    assert headers["x-ms-version"] == "2015-02-01"


def test_no_module_keeps_its_own_copy_of_the_rules() -> None:
    """The copies that drifted apart are gone: only validation.py tests finiteness or versions."""
    client = Path(v.__file__).parent
    for name in ("budget.py", "retry.py", "transport.py", "service.py", "plan.py"):
        text = (client / name).read_text()
        assert "_check_version" not in text and "_VERSION_RE" not in text, name
        assert "isfinite(" not in text.replace("not math.isfinite(seconds) or seconds <= 0", ""), name

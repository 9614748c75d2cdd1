"""The management host as users type it: a cloud name, ``host[:port]``, or a pasted https URL; any
other form is refused before any request, with a message that says what to change."""

from __future__ import annotations

import pytest

from airflow_sm_provider import protocol
from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.client.plan import resolve_host


@pytest.mark.parametrize(
    ("given", "host"),
    [
        (None, protocol.PUBLIC_HOST),
        ("", protocol.PUBLIC_HOST),
        ("public", protocol.PUBLIC_HOST),
        ("management.core.windows.net", "management.core.windows.net"),
        ("127.0.0.1:8443", "127.0.0.1:8443"),
        ("https://127.0.0.1:8443/", "127.0.0.1:8443"),
        (" management.core.chinacloudapi.cn ", "management.core.chinacloudapi.cn"),
    ],
)
def test_accepted_forms(given: str | None, host: str) -> None:
    assert resolve_host(given) == host


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("127.0.0.1:8443/foo/bar", "without a path"),  # found by a new user: said only "not a host name"
        ("management.core.windows.net/x", "without a path"),
        ("https://management.core.windows.net/x", "without a path"),
        ("http://management.core.windows.net", "only served over https"),
        ("user@management.core.windows.net", "not a host name"),
        ("127.0.0.1:70000", "not a host name"),
        (
            "127.0.0.1:\u0668\u0664\u0664\u0663",
            "not a host name",
        ),  # 8443 in Arabic-Indic digits (int() reads them)
        ("two words", "not a host name"),
    ],
)
def test_refused_forms_say_what_to_change(given: str, says: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        resolve_host(given)
    assert raised.value.field == "host"
    assert says in str(raised.value)

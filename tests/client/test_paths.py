"""Paths are safe by construction: no argument of any generated method addresses another resource.

For every operation and every path member, each hostile value is either refused with
``InvalidInputError`` naming that member before anything is sent, or it lands, percent-encoded,
as exactly that one segment: the request has the template's segments, in order, and the query
the entry declares. The subscription id is checked as a GUID.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from legacy_wire import SUB, CaptureTransport, sample_args

from airflow_sm_provider.client import InvalidInputError, ServiceManagementClient
from airflow_sm_provider.client.operation import Op
from airflow_sm_provider.client.operations import OPERATIONS

HOSTILE = [
    "",
    " ",
    ".",
    "..",
    "a/b",
    "../x",
    "x/..",
    "#",
    "a#b",
    "?",
    "a?comp=media",
    "%2e%2e",
    "%2F",
    "a%2Fb",
    "a\\b",
    "a\r\nX-Injected: 1",
    "a\nb",
    "a\tb",
    "\x00",
    "é",
    "名前",
    "a;b",
    "~",
    "a b",
    "a&b=c",
]
MEMBER = re.compile(r"\{(\w+)\}")
CASES = [
    (name, member)
    for name, op in sorted(OPERATIONS.items())
    for member in dict.fromkeys(MEMBER.findall(op.path))
    if member in {p.name for p in op.params}
]


def _template_segments(op: Op) -> list[str]:
    return op.path.split("/")


def _expected_query(op: Op, values: dict[str, Any]) -> str:
    request = op.bind(tuple(values[p.name] for p in op.params))[0]
    return request.path.partition("?")[2]


@pytest.mark.parametrize(("name", "member"), CASES)
@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_no_input_reaches_another_resource(name: str, member: str, hostile: str) -> None:
    op = OPERATIONS[name]
    args, _ = sample_args(op)
    values = dict(zip([p.name for p in op.params], args))
    expected_query = _expected_query(op, values)
    values[member] = hostile
    transport = CaptureTransport(body=b"")
    client = ServiceManagementClient(SUB, transport=transport)
    try:
        getattr(client, name)(*[values[p.name] for p in op.params])
    except InvalidInputError as exc:
        assert transport.sent == [], "a refused input must not send anything"
        assert exc.field == member, f"the error names {exc.field!r}, not the member {member!r}"
        return
    except Exception:
        pass
    assert len(transport.sent) == 1
    path, _, query = transport.sent[0].path.partition("?")
    assert query == expected_query, "a path member changed the query"
    assert "#" not in path and not re.search(r"[\x00-\x20]", path)
    segments = path.split("/")
    template = _template_segments(op)
    assert len(segments) == len(template), f"{hostile!r} changed the number of path segments: {path}"
    for got, want in zip(segments, template):
        if "{" not in want:
            assert got == want
            continue
        pattern = (
            "^"
            + MEMBER.sub(
                lambda m: f"(?P<{m.group(1)}>[^/]*)",
                re.escape(want).replace(r"\{", "{").replace(r"\}", "}"),
            )
            + "$"
        )
        found = re.match(pattern, got)
        assert found is not None, (got, want)
        if member in found.groupdict():
            assert unquote(found.group(member)) == hostile
            assert unquote(found.group(member)) not in (".", "..")


@pytest.mark.parametrize("sub", ["", "sub", "a#b", "00000000-0000-0000-0000-000000000000?x", "../x", "x/y"])
def test_subscription_id_must_be_a_guid(sub: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        ServiceManagementClient(sub, transport=CaptureTransport())
    assert err.value.field == "subscription_id"


def test_delete_deployment_dot_dot_is_refused_before_sending() -> None:
    """The audit's reproduction: '..' became Delete Cloud Service with all media."""
    transport = CaptureTransport()
    client = ServiceManagementClient(SUB, transport=transport)
    with pytest.raises(InvalidInputError) as err:
        client.delete_deployment("svc", "..", delete_vhd=True)
    assert err.value.field == "deployment_name" and transport.sent == []

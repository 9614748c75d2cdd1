"""``Op.bind``'s precompiled per-entry work (``operation.Binding``) changes nothing about a request.

``Binding`` splits each path template once and turns each ``Q`` into a function; these tests hold
it to the straightforward per-call algorithm it replaced (a regex substitution over the template
and a loop over the query), for every entry of the table, and prove that the compiled path of
every entry still refuses dot segments and control characters and keeps ``#``, ``?``, ``/`` and
``%`` inside one percent-encoded segment -- even for a value that no parameter check looked at.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from legacy_wire import sample_args

from airflow_sm_provider.client import InvalidInputError
from airflow_sm_provider.client.operation import Binding, Op, PathTemplate, segment
from airflow_sm_provider.client.operations import OPERATIONS

MEMBER = re.compile(r"\{(\w+)\}")
NAMES = sorted(OPERATIONS)
WITH_MEMBERS = [name for name in NAMES if MEMBER.search(OPERATIONS[name].path)]
WITH_QUERY = [name for name in NAMES if OPERATIONS[name].query]


def reference_path(op: Op, values: dict[str, Any]) -> str:
    """The per-call algorithm ``Binding`` replaced: regex over the template, then the query loop."""
    path = MEMBER.sub(lambda m: segment(m.group(1), values[m.group(1)]), op.path)
    parts = []
    for q in op.query:
        if q.param is not None:
            got = values.get(q.param)
            if got is None or got == "":
                continue
            parts.append(f"{q.key}={quote(q.fmt(got), safe='')}")
        elif q.when is None or values.get(q.when):
            parts.append(f"{q.key}={q.value}")
    return path + ("?" + "&".join(parts) if parts else "")


def sample_values(op: Op) -> dict[str, Any]:
    args, _ = sample_args(op)
    request, values = op.bind(args)
    assert request.operation == op.name
    return values


@pytest.mark.parametrize("name", NAMES)
def test_compiled_request_equals_the_reference_algorithm(name: str) -> None:
    op = OPERATIONS[name]
    args, _ = sample_args(op)
    request, values = op.bind(args)
    assert request.path == reference_path(op, values)
    assert (request.method, request.idempotent, request.x_ms_version) == (op.verb, op.resend, op.x_ms_version)
    assert request.under_subscription is (not op.root)


@pytest.mark.parametrize("name", NAMES)
def test_template_split_keeps_every_literal_and_member(name: str) -> None:
    op = OPERATIONS[name]
    template = PathTemplate(op.path)
    assert template.members == tuple(MEMBER.findall(op.path))
    assert len(template.literals) == len(template.members) + 1
    rebuilt = template.literals[0] + "".join(
        "{" + m + "}" + lit for m, lit in zip(template.members, template.literals[1:])
    )
    assert rebuilt == op.path
    # One Binding per entry, built once and reused.
    assert op._binding is op._binding
    assert isinstance(op._binding, Binding)


@pytest.mark.parametrize("name", WITH_MEMBERS)
@pytest.mark.parametrize("bad", ["..", ".", "", "  ", "a\r\nX-Injected: 1", "a\x00b", None])
def test_every_compiled_path_refuses_dot_segments_and_control_characters(name: str, bad: Any) -> None:
    """The compiled path itself refuses, without relying on a parameter's check."""
    op = OPERATIONS[name]
    template = op._binding.path
    values = sample_values(op)
    for member in template.members:
        hostile = {**values, member: bad}
        with pytest.raises(InvalidInputError) as err:
            template.render(hostile)
        assert err.value.field == member


@pytest.mark.parametrize("name", WITH_MEMBERS)
@pytest.mark.parametrize("value", ["a#b", "a?comp=media", "x/../y", "a%2Fb", "名前", "a b&c=d"])
def test_every_compiled_path_keeps_a_value_in_its_one_segment(name: str, value: str) -> None:
    op = OPERATIONS[name]
    template = op._binding.path
    values = sample_values(op)
    for member in template.members:
        path = template.render({**values, member: value})
        assert "#" not in path and "?" not in path and " " not in path
        assert path.count("/") == op.path.count("/"), path
        assert any(quote(value, safe="") in seg for seg in path.split("/"))  # "{a}-{b}" share one


@pytest.mark.parametrize("name", WITH_QUERY)
def test_compiled_query_follows_its_switches_and_values(name: str) -> None:
    """Each ``Q``: constant, sent ``when`` an argument is true, or an argument's value (omitted
    when None or empty) -- flipped both ways against the reference."""
    op = OPERATIONS[name]
    values = sample_values(op)
    for q in op.query:
        switch = q.when or q.param
        if switch is None:
            continue
        for flipped in (None, "", False, True, "x y&z=1"):
            trial = {**values, switch: flipped}
            if q.param is not None and flipped is True:
                continue  # not a value any check lets through for a param query
            query = "&".join(p for part in op._binding.query if (p := part(trial)))
            assert query == reference_path(op, trial).partition("?")[2]

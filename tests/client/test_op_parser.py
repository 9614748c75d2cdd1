"""Each ``Op`` entry parses with its own parser (review finding 6).

The parser used to live in a module-global cache keyed by the operation's NAME, so two entries
sharing a name (a test's ad-hoc entry, a variant built with ``dataclasses.replace``) got whichever
parser was made first.
"""

from __future__ import annotations

import dataclasses

from airflow_sm_provider.client import operation
from airflow_sm_provider.client.models import AffinityGroup, Location
from airflow_sm_provider.client.operation import read
from airflow_sm_provider.client.transport import ApiResponse

NS = 'xmlns="http://schemas.microsoft.com/windowsazure"'


def test_two_entries_with_one_name_parse_with_their_own_result() -> None:
    location = read("get_thing", "/thing", result=Location)
    group = dataclasses.replace(location, result=AffinityGroup)
    answer = ApiResponse(200, {}, f"<Location {NS}><Name>West US</Name></Location>".encode(), None)
    assert isinstance(location.parse(answer), Location)
    group_answer = ApiResponse(
        200, {}, f"<AffinityGroup {NS}><Name>ag1</Name></AffinityGroup>".encode(), None
    )
    parsed = group.parse(group_answer)
    assert isinstance(parsed, AffinityGroup) and parsed.name == "ag1"


def test_no_module_global_parser_cache() -> None:
    assert not hasattr(operation, "_PARSERS")

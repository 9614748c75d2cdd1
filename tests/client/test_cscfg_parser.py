"""The ``.cscfg`` check uses THE hardened parser and never echoes the document (review finding 4).

A configuration's settings hold passwords; an unescaped ``&`` in one made lxml's own message
("Entity 'secret' not defined") quote it into the InvalidInputError. And the check had its own
parser, which accepted a DOCTYPE with entities that ``xmlsafe.parse_xml`` refuses.
"""

from __future__ import annotations

import base64

import pytest

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.errors import InvalidInputError

SECRET = "Hunter2Secret"
LEAKY = [
    f'<ServiceConfiguration><Role><Setting name="pw" value="a&{SECRET};"/></Role></ServiceConfiguration>',
    f'<?xml version="1.0" encoding="{SECRET}"?><ServiceConfiguration/>',
    f"<ServiceConfiguration><{SECRET}></Role></ServiceConfiguration>",
    f'<ServiceConfiguration><Setting value="{SECRET}" value="{SECRET}"/></ServiceConfiguration>',
]


@pytest.mark.parametrize("doc", LEAKY)
@pytest.mark.parametrize("form", ["text", "bytes", "base64"])
def test_the_error_says_where_never_what(doc: str, form: str) -> None:
    value: str | bytes = {
        "text": doc,
        "bytes": doc.encode(),
        "base64": base64.b64encode(doc.encode()).decode(),
    }[form]
    with pytest.raises(InvalidInputError) as err:
        v.configuration(value)
    assert err.value.field == "configuration"
    assert SECRET not in str(err.value) and SECRET not in err.value.message


def test_the_error_names_the_position() -> None:
    with pytest.raises(InvalidInputError) as err:
        v.configuration("<ServiceConfiguration>\n  <Role>\n</ServiceConfiguration>")
    assert "well-formed" in err.value.message and "line 3" in err.value.message


def test_entities_are_refused_by_the_one_hardened_parser() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<ServiceConfiguration>&b;</ServiceConfiguration>"
    )
    with pytest.raises(InvalidInputError) as err:
        v.configuration(bomb)
    assert "DOCTYPE" in err.value.message and err.value.field == "configuration"


def test_a_good_cscfg_still_passes() -> None:
    doc = (
        '<ServiceConfiguration serviceName="s"><Role name="Web"><Instances count="2"/></Role>'
        "</ServiceConfiguration>"
    )
    assert base64.b64decode(v.configuration(doc)).decode() == doc
    assert v.configuration(b"\xef\xbb\xbf" + doc.encode())


def test_a_response_keeps_its_error_type_and_first_bytes() -> None:
    """The same parser's refusal of a RESPONSE stays an InvalidResponseError that quotes its start
    (a proxy's page is recognised by it); only a caller's own document is never quoted."""
    from airflow_sm_provider.client.errors import InvalidResponseError
    from airflow_sm_provider.client.xmlsafe import XmlRefused, parse_document, parse_xml

    body = b"<Deployment><Name>v1</Deployment>"
    with pytest.raises(InvalidResponseError) as err:
        parse_xml(body)
    assert type(err.value) is InvalidResponseError and "<Deployment><Name>v1" in str(err.value)
    with pytest.raises(XmlRefused) as refused:
        parse_document(body)
    assert "Deployment" not in str(refused.value) and refused.value.line == 1

"""The hardened parser refuses hostile, huge and broken XML with InvalidResponseError."""

from __future__ import annotations

import resource

import pytest

from airflow_sm_provider.client.errors import InvalidResponseError
from airflow_sm_provider.client.xmlsafe import parse_xml

NS = "http://schemas.microsoft.com/windowsazure"


def test_parses_real_operation_body() -> None:
    root = parse_xml(
        f'<Operation xmlns="{NS}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
        "<ID>977b2d2b-61d3-b0f1-9522-77896459cf7a</ID><Status>Succeeded</Status>"
        "<HttpStatusCode>200</HttpStatusCode></Operation>".encode()
    )
    assert root.tag == f"{{{NS}}}Operation"
    assert root.findtext(f"{{{NS}}}Status") == "Succeeded"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def test_billion_laughs_refused_with_bounded_memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InvalidResponseError, match="DOCTYPE"):
        parse_xml(BILLION_LAUGHS)
    # Also refused when the DOCTYPE hides behind a long comment (past the quick prefix check).
    with pytest.raises(InvalidResponseError):
        parse_xml(b"<!--" + b"x" * 8000 + b"-->" + BILLION_LAUGHS.split(b"?>", 1)[1])
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def test_external_entity_refused(tmp_path: object) -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    with pytest.raises(InvalidResponseError) as ei:
        parse_xml(xxe)
    assert "root:" not in str(ei.value)
    net = b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'
    with pytest.raises(InvalidResponseError):
        parse_xml(net)


def test_oversize_refused_before_parsing() -> None:
    with pytest.raises(InvalidResponseError, match="over the 1000-byte limit"):
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b'<Operation xmlns="x"><Status>InProg', "not well-formed"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<html><body><h1>502 Bad Gateway</h1></body></html", "HTML"),
        (b"<!DOCTYPE html><html><body>oops</body></html>", "HTML"),
        (b"not xml at all", "not well-formed"),
    ],
)
def test_broken_bodies(data: bytes, match: str) -> None:
    with pytest.raises(InvalidResponseError, match=match):
        parse_xml(data)


def test_deep_nesting_is_bounded() -> None:
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(InvalidResponseError):
        parse_xml(deep)

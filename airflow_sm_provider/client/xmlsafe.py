"""The one hardened XML parser for everything the service sends us.

A management endpoint is trusted for authentication but not for memory safety: a proxy, a
misconfigured emulator or an attacker on a broken TLS setup could send entity bombs, external
entities or endless bodies. lxml's defaults resolve internal entities and keep DTDs, so this
module builds one parser with every expansion and network feature off and a size limit checked
before parsing. Responses (xmlmap, errors of operations) go through ``parse_xml``; a caller's own
document (``validation.configuration``: the ``.cscfg``) through ``parse_document``, which IS its
body -- one parser, one set of rules.

``parse_document`` refuses with an ``XmlRefused`` whose ``reason`` and position say what is wrong
WITHOUT quoting the document (a ``.cscfg`` may hold passwords in its settings); ``parse_xml`` turns
that into the ``InvalidResponseError`` of a response, adding lxml's message and the first bytes,
which help to recognise a proxy's page.
"""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

from airflow_sm_provider.client.errors import InvalidResponseError

__all__ = ["DEFAULT_MAX_BYTES", "XmlRefused", "parse_document", "parse_xml"]

DEFAULT_MAX_BYTES = 50 * 2**20

_DTD_REASON = "declares a DOCTYPE or entities, which ASM never uses"


class XmlRefused(ValueError):
    """A document ``parse_document`` refused. ``reason`` (also its ``str``): what is wrong, never
    the document's text; ``line`` / ``column``: where parsing failed (None when it did not get that
    far); ``quoted``: lxml's message and the first bytes, for a response's error only."""

    def __init__(self, reason: str, *, quoted: str = "", line: int | None = None, column: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.quoted = quoted
        self.line = line
        self.column = column


_HTML_REASON = "is an HTML page where XML was expected"
_local = threading.local()


def _parser() -> etree.XMLParser:
    """One parser per thread: lxml parsers are not thread-safe, and building one costs ~10 us."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,  # no entity expansion (billion laughs, external entities)
            no_network=True,  # never fetch a DTD or entity over the network
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,  # keep libxml2's depth/size safety limits
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, quote: bool = True) -> etree._Element:
    """Parse a response body into an element tree, or raise ``InvalidResponseError``.

    Refused: bodies over ``max_bytes``; any ``<!DOCTYPE`` (ASM never sends one, and DTDs are
    where entity attacks live); malformed or truncated XML; HTML error pages. ``quote=False`` for
    an answer that holds secrets (storage keys): the error then never quotes its first bytes.
    """
    try:
        return parse_document(data, max_bytes=max_bytes)
    except XmlRefused as refused:
        quoted = refused.quoted if quote else " (not quoted: this answer holds secrets)"
        raise InvalidResponseError(f"the response {refused.reason}{quoted}") from None


def parse_document(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """``parse_xml``'s rules and parser, refusing with a content-free ``XmlRefused``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse_xml expects bytes")
    size = len(data)
    if size > max_bytes:
        raise XmlRefused(f"body is {size} bytes, over the {max_bytes}-byte limit; refusing to parse it")
    raw = bytes(data)
    if not raw or raw.isspace():  # not ``strip()``: that copies a body ending in a newline
        raise XmlRefused("body is empty where XML was expected")
    # ASM never sends a DOCTYPE, and DTDs are where entity attacks live: refuse early when it is
    # visible in the first bytes, and check the parsed tree's docinfo for the rest.
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        if b"<html" in head:
            raise XmlRefused(_HTML_REASON)
        raise XmlRefused(_DTD_REASON + "; refusing to parse it")
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        snippet = " ".join(raw[:120].decode("utf-8", "replace").split())
        if snippet.lower().startswith(("<html", "<!doctype html", "<head", "<body")):
            raise XmlRefused(_HTML_REASON) from None
        line, column = exc.position
        raise XmlRefused(
            f"is not well-formed XML (line {line}, column {column})",
            quoted=f" ({exc.msg}); it starts with {snippet!r}",
            line=line,
            column=column,
        ) from None
    if root is None:
        raise XmlRefused("body holds no XML element")
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlRefused(_DTD_REASON + "; refusing to parse it")
    # No walk over the tree for entity references: without a DTD (refused just above) libxml2
    # rejects every reference but the five predefined ones as "Entity 'x' not defined", a
    # well-formedness error raised while parsing, so a tree that got here holds no Entity node.
    return root

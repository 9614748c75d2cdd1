"""XML in and out for the emulator, in the real service's dialect.

Responses: namespaced root (``xmlns`` + ``xmlns:i``), no XML declaration, one line, ``i:nil`` for
nulls, lowercase booleans, ``YYYY-MM-DDThh:mm:ssZ`` timestamps (asm-wire.md 1.3). Element order is
whatever order the caller appends children in; the handlers follow asm-wire.md section 4.

Requests: parsed with a hardened lxml parser (no entity expansion, no DTD, no network) and read
namespace-agnostically, because the legacy SDK and hand-written clients disagree on namespaces and
real ASM only looked at local names.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator

from lxml import etree

from airflow_sm_provider.protocol import NS, NS_I

_NIL = f"{{{NS_I}}}nil"
_TYPE = f"{{{NS_I}}}type"
_NSMAP = {None: NS, "i": NS_I}

Value = str | int | float | bool | None


class XmlError(ValueError):
    """The request body is not well-formed (or hostile) XML: answered 400 InvalidXmlRequest."""


def timestamp(epoch: float) -> str:
    """The recorded ``DateCreated`` style: UTC, seconds, trailing Z, no fraction."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def whole_number(raw: str | None) -> int | None:
    """``raw`` (blanks around it allowed) as a non-negative integer when it is ASCII digits, else None.

    ASM's numbers (LUNs, ports, sizes, upgrade domains) are ASCII decimals; ``str.isdigit`` also says
    yes to '²' and other digits ``int`` refuses, which then surfaced as a 500 instead of the 400."""
    value = (raw or "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def unb64(value: str) -> str:
    """Decode a base64 field strictly; ValueError when it is not base64 of UTF-8 text."""
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from exc


class Builder:
    """Appends children in call order so element order stays explicit at the call site."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element

    @classmethod
    def root(cls, name: str, type_: str | None = None) -> Builder:
        el = etree.Element(f"{{{NS}}}{name}", nsmap=_NSMAP)  # type: ignore[arg-type]
        if type_:
            el.set(_TYPE, type_)
        return cls(el)

    def child(self, name: str, type_: str | None = None) -> Builder:
        el = etree.SubElement(self.element, f"{{{NS}}}{name}")
        if type_:
            el.set(_TYPE, type_)
        return Builder(el)

    def add_foreign(self, name: str, value: str, ns: str, prefix: str) -> Builder:
        """A leaf in another namespace with a fixed prefix (the real service's ``<a:Name>``)."""
        el = etree.SubElement(self.element, f"{{{ns}}}{name}", nsmap={prefix: ns})
        el.text = value
        return self

    def add(self, name: str, value: Value) -> Builder:
        """A leaf; None becomes ``i:nil="true"``, booleans lowercase."""
        el = etree.SubElement(self.element, f"{{{NS}}}{name}")
        if value is None:
            el.set(_NIL, "true")
        elif isinstance(value, bool):
            el.text = "true" if value else "false"
        else:
            el.text = str(value)
        return self

    def opt(self, name: str, value: Value) -> Builder:
        """A leaf that is omitted entirely when the value is None."""
        if value is not None:
            self.add(name, value)
        return self

    def extended_properties(self, props: dict[str, str]) -> Builder:
        box = self.child("ExtendedProperties")
        for key, val in props.items():
            box.child("ExtendedProperty").add("Name", key).add("Value", val)
        return self

    def tobytes(self) -> bytes:
        return etree.tostring(self.element, encoding="utf-8", xml_declaration=False)


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)

MAX_BODY = 4 * 1024 * 1024


class Node:
    """Namespace-agnostic read access to a request element."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element

    @property
    def name(self) -> str:
        return etree.QName(self.element).localname

    def children(self, name: str | None = None) -> Iterator[Node]:
        for el in self.element:
            if isinstance(el.tag, str) and (name is None or etree.QName(el).localname == name):
                yield Node(el)

    def find(self, name: str) -> Node | None:
        return next(self.children(name), None)

    def is_nil(self) -> bool:
        return self.element.get(_NIL, "").lower() == "true"

    def text(self, name: str, default: str | None = None) -> str | None:
        """Text of a direct child; None when absent or nil, "" when empty."""
        node = self.find(name)
        if node is None or node.is_nil():
            return default
        return node.element.text or ""

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.text(name)
        if value is None or value == "":
            return default
        return value.strip().lower() == "true"

    def extended_properties(self) -> dict[str, str] | None:
        box = self.find("ExtendedProperties")
        if box is None:
            return None
        out: dict[str, str] = {}
        for prop in box.children("ExtendedProperty"):
            key = prop.text("Name")
            if key:
                out[key] = prop.text("Value") or ""
        return out


def parse(body: bytes) -> Node:
    """Parse a request body; XmlError for malformed XML, DTDs, entities or oversized input."""
    if not body.strip():
        raise XmlError("The request body is empty.")
    if len(body) > MAX_BODY:
        raise XmlError("The request body is too large.")
    try:
        doc = etree.fromstring(body, _PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        raise XmlError(str(exc)) from exc
    if doc.docinfo.doctype:  # type: ignore[union-attr]
        raise XmlError("DTDs are not allowed.")
    return Node(doc.getroot())

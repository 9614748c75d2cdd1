"""The fast compiled parser maps exactly what a plain reading of the declarative spec says.

``reference`` below is the mapping written the obvious way (walk the spec, match children by local
name, convert) with no speed tricks. Every model is parsed from generated bodies -- every field
present, none present, namespaced, prefixed, foreign namespaces, unknown elements, comments,
``i:nil``, odd booleans and numbers, bad base64, polymorphic items -- by both, and the results
must be equal, class for class and attribute for attribute.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from typing import Any

import pytest
from lxml import etree

from airflow_sm_provider.client import configsets as cs
from airflow_sm_provider.client import models as m
from airflow_sm_provider.client import xmlmap as kinds  # the field kinds: kinds.STR, kinds.LIST, ...
from airflow_sm_provider.client.errors import InvalidResponseError
from airflow_sm_provider.client.ops_base import root_of
from airflow_sm_provider.client.xmlmap import (
    F,
    alias_list,
    empty,
    list_name_of,
    parse_element,
    parse_list,
    spec_of,
)
from airflow_sm_provider.client.xmlsafe import parse_xml
from airflow_sm_provider.protocol import NS, NS_I

ITYPE = f"{{{NS_I}}}type"
MODELS = sorted(
    {
        obj
        for mod in (m, cs)
        for obj in vars(mod).values()
        if isinstance(obj, type) and "__xml__" in vars(obj)
    },
    key=lambda c: c.__name__,
)


# --- the reference: the spec read literally ----------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ref_b64(text: str | None) -> str:
    if not text:
        return ""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return text


def _ref_int(text: str | None, absent: Any) -> Any:
    try:
        return int(text) if text else absent
    except ValueError:
        return absent


def _ref_field(f: F, el: Any) -> Any:
    text = el.text
    if f.absent is not kinds.KIND_DEFAULT and not text:  # an empty element is an absent one
        return f.absent
    if f.kind == kinds.STR:
        return text or ""
    if f.kind == kinds.INT:
        return _ref_int(text, 0)
    if f.kind == kinds.BOOL:
        return text is not None and text.strip().lower() == "true"
    if f.kind == kinds.B64:
        return _ref_b64(text)
    if f.kind == kinds.STRLIST:
        return [c.text or "" for c in el if isinstance(c.tag, str)]
    if f.kind == kinds.DICT:
        out = {}
        for prop in (p for p in el if isinstance(p.tag, str)):
            kids = {_local(c.tag): c.text or "" for c in prop if isinstance(c.tag, str)}
            out[kids.get("Name", "")] = kids.get("Value", "")
        return out
    if f.kind == kinds.MODEL:
        assert f.model is not None
        return reference(el, f.model)
    assert f.kind == kinds.LIST and f.model is not None
    items = []
    for c in el:
        if not isinstance(c.tag, str) or (f.item and _local(c.tag) != f.item):
            continue
        cls = f.model
        if f.poly and c.get(ITYPE) is not None:
            cls = f.poly.get(_local(c.get(ITYPE).split(":")[-1]), f.model)
        items.append(reference(c, cls))
    return alias_list(list_name_of(f.model), items)


def _ref_default(f: F) -> Any:
    if f.absent is not kinds.KIND_DEFAULT:
        return f.absent
    if f.kind == kinds.MODEL:
        assert f.model is not None
        return None if f.optional else reference(etree.Element("absent"), f.model)
    if f.kind == kinds.LIST:  # every list of models answers to its old wrapper attribute
        assert f.model is not None
        return alias_list(list_name_of(f.model))
    return {
        kinds.STR: "",
        kinds.INT: 0,
        kinds.BOOL: False,
        kinds.B64: "",
        kinds.STRLIST: [],
        kinds.DICT: {},
        kinds.LIST: [],
    }[f.kind]


def reference(el: Any, cls: type) -> Any:
    fields = {f.tag: f for f in spec_of(cls).fields if f.read}
    values = {f.attr: _ref_default(f) for f in fields.values()}
    for child in el:
        if isinstance(child.tag, str) and _local(child.tag) in fields:
            f = fields[_local(child.tag)]
            values[f.attr] = _ref_field(f, child)  # a repeated element: the last one wins
    obj: Any = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


def dump(obj: Any) -> Any:
    """Models -> (class name, attributes) trees, so equality also checks classes."""
    if isinstance(obj, list):
        return [type(obj).__name__, [dump(x) for x in obj]]
    if isinstance(obj, dict):
        return {k: dump(v) for k, v in obj.items()}
    if hasattr(obj, "__xml__"):
        return (type(obj).__name__, {k: dump(v) for k, v in sorted(vars(obj).items())})
    return (type(obj).__name__, obj)


# --- generated bodies ----------------------------------------------------------------------------
_counter = itertools.count()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _value(kind: str, variant: str) -> str | None:
    n = next(_counter)
    odd = {
        kinds.STR: ["", "  spaced  ", "a&b<c>", "ünï"],
        kinds.INT: ["", "x12", " 7 ", "-3", "1_000"],
        kinds.BOOL: ["", " True ", "FALSE", "yes", "true"],
        kinds.B64: [
            "",
            "not base64!",
            base64.b64encode("ünï".encode()).decode(),
            base64.b64encode(b"\xff").decode(),
        ],
    }
    if variant == "odd":
        choices = odd[kind]
        return choices[n % len(choices)] or None
    return {
        kinds.STR: f"text{n}",
        kinds.INT: str(n),
        kinds.BOOL: "true" if n % 2 else "false",
        kinds.B64: b64(f"label {n}".encode()),
    }[kind]


def _fill(el: Any, cls: type, q: Any, variant: str, depth: int) -> None:
    for f in spec_of(cls).fields:
        if variant == "sparse" and next(_counter) % 2:
            continue
        child = etree.SubElement(el, q(f.tag))
        if f.kind in (kinds.STR, kinds.INT, kinds.BOOL, kinds.B64):
            if variant == "nil" and next(_counter) % 3 == 0:
                child.set(f"{{{NS_I}}}nil", "true")
            else:
                child.text = _value(f.kind, variant)
        elif f.kind == kinds.STRLIST:
            for i in range(3):
                etree.SubElement(child, q(f.item or "Item")).text = f"s{i}" if i != 1 else None
        elif f.kind == kinds.DICT:
            for i in range(2):
                prop = etree.SubElement(child, q("ExtendedProperty"))
                etree.SubElement(prop, q("Name")).text = f"k{i}"
                etree.SubElement(prop, q("Value")).text = f"v{i}" if i else None
        elif depth < 4:
            assert f.model is not None
            if f.kind == kinds.MODEL:
                _fill(child, f.model, q, variant, depth + 1)
            else:
                item_classes = [f.model, *(f.poly or {}).values()]
                for i, item_cls in enumerate(item_classes * 2):
                    item = etree.SubElement(child, q(f.item or spec_of(item_cls).root))
                    if f.poly and i % 2:
                        name = next(k for k, v in f.poly.items() if v is item_cls)
                        item.set(ITYPE, name if i % 4 == 1 else f"x:{name}")
                    _fill(item, item_cls, q, variant, depth + 1)
                if not f.item:
                    etree.SubElement(child, q("Stray")).text = "any element is an item when none is named"
        if variant == "noisy":
            el.append(etree.Comment(" a comment "))
            etree.SubElement(el, q("UnknownElement")).text = "ignored"
            etree.SubElement(el, "{urn:other}" + f.tag).text = "foreign namespace, same local name"


def body_for(cls: type, variant: str, style: str) -> bytes:
    """``style``: ``default`` (xmlns=), ``prefixed`` (a:Tag) or ``bare`` (no namespace)."""
    if style == "bare":
        nsmap: dict[str | None, str] = {"i": NS_I}

        def q(tag: str) -> str:
            return tag
    else:
        nsmap = {None if style == "default" else "a": NS, "i": NS_I}

        def q(tag: str) -> str:
            return f"{{{NS}}}{tag}"

    root = etree.Element(q(spec_of(cls).root), nsmap=nsmap)  # type: ignore[arg-type]
    _fill(root, cls, q, variant, 0)
    return bytes(etree.tostring(root))


VARIANTS = ["full", "sparse", "odd", "nil", "noisy"]
STYLES = ["default", "prefixed", "bare"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_element_parse_equals_reference(cls: type, variant: str, style: str) -> None:
    body = body_for(cls, variant, style)
    keep_comments = etree.fromstring(body)  # the hardened parser drops comments; this tree keeps them
    for tree in (root_of(body), parse_xml(body), keep_comments):
        assert dump(parse_element(tree, cls)) == dump(reference(tree, cls))


@pytest.mark.parametrize("cls", [m.OSImage, m.Location, m.RoleInstance, m.HostedService], ids=str)
def test_list_parse_equals_reference(cls: type) -> None:
    root_tag = spec_of(cls).root
    items = (
        b"".join(body_for(cls, variant, "bare") for variant in VARIANTS for _ in range(3))
        + f"<Other><{root_tag}/></Other>".encode()
    )
    body = f'<List xmlns="{NS}" xmlns:i="{NS_I}">'.encode() + items + b"</List>"
    tree = root_of(body)
    expected = alias_list(list_name_of(cls), [reference(c, cls) for c in tree if _local(c.tag) == root_tag])
    assert dump(parse_list(tree, cls)) == dump(expected)
    assert len(parse_list(tree, cls)) == 5 * 3


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_empty_equals_reference_of_nothing(cls: type) -> None:
    assert dump(empty(cls)) == dump(reference(etree.Element("x"), cls))
    a: Any = empty(cls)
    b: Any = empty(cls)
    for attr, value in vars(a).items():  # mutable defaults are never shared between instances
        if isinstance(value, (list, dict)) or hasattr(value, "__xml__"):
            assert getattr(b, attr) is not value


def test_parsed_models_are_ordinary_dataclass_instances() -> None:
    dep = parse_element(root_of(body_for(m.Deployment, "full", "default")), m.Deployment)
    assert isinstance(dep, m.Deployment) and isinstance(dep.role_list[0], m.Role)
    kinds = [type(c) for c in dep.role_list[0].configuration_sets]
    assert kinds[:4] == [
        cs.ConfigurationSet,
        cs.ConfigurationSet,
        cs.ConfigurationSet,
        cs.WindowsConfigurationSet,
    ]
    assert dep == m.Deployment(**vars(dep))  # the dataclass's own __eq__ and __init__ agree
    dep.status = "Suspended"  # models are mutable, as the old SDK's were
    assert "Suspended" in repr(dep)


def test_undefined_entity_reference_is_refused_while_parsing() -> None:
    # parse_xml does not walk the tree for entity nodes: without a DTD, libxml2 refuses them.
    with pytest.raises(InvalidResponseError, match="not well-formed"):
        parse_xml(b"<Operation><ID>&x;</ID></Operation>")
    assert parse_xml(b"<a>&amp;&lt;&#65;</a>").text == "&<A"

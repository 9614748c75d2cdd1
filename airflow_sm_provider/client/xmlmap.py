"""One declarative XML mapping that both builds ASM request bodies and parses ASM responses.

Why one mapping: the old SDK kept a hand-written serializer (string concatenation, no escaping) and a
separate reflective parser (snake_case -> PascalCase guessing) that disagreed with each other and with
the wire (``Operation.ID`` never parsed, ``AvailabilityResponse.reason`` a bool). Here each model
has ONE ordered field list (its ``Spec``, in ``__xml__``); the order is the documented request element
order (DataContract order matters to the real service), and the same table drives the parser. Models
do not write that list by hand: ``xmlmodel.xml_model`` builds it from the dataclass fields, so each
attribute is declared once.

Parsing is namespace-agnostic and tolerant (unknown elements ignored, missing elements get the old
SDK's defaults ``""``/``0``/``False``/``[]``) and fast: each spec is compiled once into a
``tag -> (attr, converter)`` dict keyed by both the namespaced and the bare tag, so a response is
mapped in one pass over each element's children without per-element reflection.

Every list of models, a collection response or a nested list, is an ``AliasList``: a real ``list``
that also answers to the attribute the old SDK's wrapper object held it under
(``sms.list_hosted_services().hosted_services``, ``deployment.role_list.roles``). ONE rule names
it (``list_name_of``): the item model's snake_case name made plural, unless the model declares the
old SDK's own name (``@xml_model(list_name="images")`` on ``OSImage``). The list's class carries the
old wrapper CLASS's name (``list_type_of``: ``HostedServices``, ``VMImages``, ``Images``), so ported
code can build one (``disks = DataVirtualHardDisks()``).
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from lxml import etree

from airflow_sm_provider.protocol import NS, NS_I

T = TypeVar("T")

# Field kinds. Plain strings keep specs short and readable.
STR = "str"  #: text; absent or i:nil -> ""
INT = "int"  #: integer; absent or unparsable -> 0
BOOL = "bool"  #: "true"/"false" (case-insensitive); absent -> False
B64 = "b64"  #: base64 of UTF-8 text on the wire, plain str in Python
MODEL = "model"  #: nested element mapped by another spec
LIST = "list"  #: wrapper element holding repeated model items
STRLIST = "strlist"  #: wrapper element holding repeated text items
DICT = "dict"  #: ExtendedProperties{ExtendedProperty*{Name, Value}} <-> dict[str, str]


class _KindDefault:
    """``F.absent``'s default: an absent element parses to its kind's default."""

    def __repr__(self) -> str:
        return "KIND_DEFAULT"


KIND_DEFAULT: Any = _KindDefault()

_NIL = f"{{{NS_I}}}nil"
_ITYPE = f"{{{NS_I}}}type"
_NSMAP = {None: NS, "i": NS_I}


@dataclass(frozen=True)
class F:
    """One element of a model: ``tag`` on the wire, ``attr`` in Python, and how to convert.

    ``read``/``write`` restrict a field to responses (server-filled) or requests; ``nil`` sends
    ``<Tag i:nil="true"/>`` for ``None`` instead of omitting it; ``optional`` nested models parse
    to ``None`` when absent instead of an empty model; ``poly`` maps an ``i:type`` (or a child
    ``ConfigurationSetType``) value to the item class for polymorphic lists. ``absent`` is what a
    text, number or bool field parses to when its element is absent or empty, where the old SDK's
    default was not the kind's (``None`` for a user image's ``Eula``, ``True`` for ``ShowInGui``,
    ``4`` for ``IdleTimeoutInMinutes``); ``KIND_DEFAULT`` = the kind's (``""``, ``0``, ``False``).
    """

    tag: str
    attr: str
    kind: str = STR
    model: type | None = None
    item: str = ""
    read: bool = True
    write: bool = True
    nil: bool = False
    optional: bool = False
    poly: Mapping[str, type] | None = None
    absent: Any = KIND_DEFAULT


@dataclass(frozen=True)
class Spec:
    """A model's root element name and its ordered fields (the order requests are written in).

    ``list_name``: the old SDK's wrapper attribute for a list of this model, where ``list_name_of``'s
    rule would not give it (``"images"`` for ``OSImage``); "" = the rule's. ``list_type``: the old
    SDK's wrapper class, where ``list_type_name_of``'s rule would not give it (``"RoleList"``).
    """

    root: str
    fields: tuple[F, ...]
    list_name: str
    list_type: str

    def __init__(self, root: str, fields: Sequence[F], list_name: str = "", list_type: str = "") -> None:
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "list_name", list_name)
        object.__setattr__(self, "list_type", list_type)


def spec_of(cls: type) -> Spec:
    """The spec of a model class (``__xml__``, built by ``xmlmodel.xml_model`` from its fields)."""
    spec = cls.__dict__.get("__xml__") or getattr(cls, "__xml__", None)
    if not isinstance(spec, Spec):
        raise TypeError(f"{cls.__name__} declares no XML spec")
    return spec


# ---------------------------------------------------------------------------------------------
# Lists that answer to the old SDK's wrapper attribute
# ---------------------------------------------------------------------------------------------


def _itself(self: Any) -> Any:
    return self


def _refill(self: Any, items: Iterable[Any] | None) -> None:
    """``x.hosted_services = [...]`` (old code assigned the wrapper's list): replace the contents;
    ``None`` empties it. Text is refused: it would become a list of its characters."""
    if isinstance(items, (str, bytes)):
        raise TypeError(f"{self.alias} takes a list of models, not text")
    self[:] = [] if items is None else list(items)


class AliasList(list[T]):
    """A list that is also its own old-SDK wrapper: ``x.hosted_services is x``.

    The old SDK returned ``HostedServices`` objects holding the list in ``.hosted_services`` (and
    iterating, ``len`` and indexing); ported code reads either, and builds them empty
    (``HostedServices()``, then ``.hosted_services.append(...)``). Being a ``list`` subclass keeps
    everything new code relies on: ``isinstance(x, list)``, ``x == [...]``, JSON, ``repr``, speed.
    One subclass per attribute name (``alias_list_type``) carries the name as a read-only property
    and the old wrapper class's name as its own; pickling and copying rebuild the same subclass by
    name (``alias_list``). mypy sees each subclass, with exactly its attribute, in the declarations
    ``tools/gen_client.py`` generates (``client/_list_types.py``); ``AliasList`` itself has none.
    """

    __slots__ = ()
    alias: ClassVar[str] = ""

    def __reduce__(self) -> tuple[Any, ...]:
        return alias_list, (self.alias, list(self), type(self).__name__)


_ALIAS_TYPES: dict[str, type[AliasList[Any]]] = {}
_NAMED: set[str] = set()  # aliases whose class was given its old SDK name by its model
_MAKING = threading.Lock()  # one class per alias, also when threads parse their first lists at once


def alias_list_type(alias: str, name: str = "", *, by_model: bool = True) -> type[AliasList[Any]]:
    """The ``AliasList`` subclass answering to ``alias`` (one per attribute name, made on first use).

    ``name`` is its class name (``list_type_of`` passes the old wrapper class's); the old SDK had
    two wrappers holding ``.input_endpoints``, and both names are the one class answering to it.
    Without a name: the attribute in PascalCase. Only the model's name is final (``by_model``): a
    name read from a pickle (``alias_list``) names the class until the model is imported, and the
    model's name then replaces it, so a stale pickle can never rename a class for good.
    """
    with _MAKING:
        made = _ALIAS_TYPES.get(alias)
        if made is None:
            if not alias.isidentifier() or hasattr(list, alias):
                raise TypeError(f"{alias!r} cannot name a list's wrapper attribute")
            doc = f"A list that also answers to ``.{alias}`` (the old SDK's wrapper attribute)."
            attr = property(_itself, _refill, doc=doc)
            namespace = {"__slots__": (), "__doc__": doc, "alias": alias, alias: attr}
            namespace["__module__"] = "airflow_sm_provider.client"  # where it is exported (models_lists)
            made = _ALIAS_TYPES[alias] = type(name or pascal(alias), (AliasList,), namespace)
        elif name and by_model and alias not in _NAMED:  # made before its model was imported
            made.__name__ = made.__qualname__ = name
        if name and by_model:
            _NAMED.add(alias)
        return made


def alias_list(alias: str, items: Iterable[Any] = (), name: str = "") -> AliasList[Any]:
    """A list of ``items`` answering to ``alias`` (also how a pickled ``AliasList`` is rebuilt)."""
    return alias_list_type(alias, name, by_model=False)(items)


_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def pascal(attr: str) -> str:
    """``affinity_group`` -> ``AffinityGroup``: a field's tag, and an old wrapper class's name."""
    return "".join(part[:1].upper() + part[1:] for part in attr.split("_"))


def _plural(word: str) -> str:
    """English plural of a snake_case or PascalCase name: ``...Family`` -> ``...Families``."""
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def list_name_of(model: type) -> str:
    """The old SDK's wrapper attribute for a list of ``model``: the one rule.

    The model's declared ``list_name``, else its class name in snake_case made plural:
    ``HostedService`` -> ``hosted_services``, ``VMImage`` -> ``vm_images``, ``ReservedIP`` ->
    ``reserved_ips``, ``OperatingSystemFamily`` -> ``operating_system_families``.
    """
    declared = spec_of(model).list_name
    if declared:
        return declared
    return _plural(_WORD_BREAK.sub("_", model.__name__).lower())


def list_type_name_of(model: type) -> str:
    """The old SDK's wrapper CLASS for a list of ``model``, by the rule its own names follow.

    The model's declared ``list_type``; else, where the model declares the old wrapper attribute,
    that attribute in PascalCase (``images`` -> ``Images``, ``passes`` -> ``Passes``); else the
    class name made plural (``HostedService`` -> ``HostedServices``, ``VMImage`` -> ``VMImages``).
    """
    spec = spec_of(model)
    if spec.list_type:
        return spec.list_type
    if spec.list_name:
        return pascal(spec.list_name)
    return _plural(model.__name__)


def list_type_of(model: type) -> type[AliasList[Any]]:
    """The ``AliasList`` subclass a list of ``model`` is: answers to ``list_name_of(model)``."""
    return alias_list_type(list_name_of(model), list_type_name_of(model))


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

_Conv = Callable[[Any], Any]


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def _int(el: Any) -> int:
    t = el.text
    if not t:
        return 0
    try:
        return int(t)
    except ValueError:
        return 0


def _bool(el: Any) -> bool:
    t = el.text
    return t is not None and t.strip().lower() == "true"


def b64decode_text(text: str) -> str:
    """Decode base64 of UTF-8 text; keep the raw text when it is not base64 (tolerant parsing)."""
    if not text:
        return ""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return text


def _b64(el: Any) -> str:
    t = el.text
    return b64decode_text(t) if t else ""


def _strlist(el: Any) -> list[str]:
    return [c.text or "" for c in el if isinstance(c.tag, str)]


def _dict(el: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for prop in el:
        if not isinstance(prop.tag, str):
            continue
        name = value = ""
        for c in prop:
            tag = c.tag
            if not isinstance(tag, str):
                continue
            local = _local(tag)
            if local == "Name":
                name = c.text or ""
            elif local == "Value":
                value = c.text or ""
        out[name] = value
    return out


_SIMPLE: dict[str, _Conv] = {
    INT: _int,
    BOOL: _bool,
    B64: _b64,
    STRLIST: _strlist,
    DICT: _dict,
}
_SCALAR_DEFAULTS: dict[str, Any] = {STR: "", INT: 0, BOOL: False, B64: ""}

_Parse = Callable[[Any], Any]


def _or_absent(conv: _Conv | None, absent: Any) -> _Conv:
    """``conv`` (plain text when None) for an element with text, ``absent`` for an empty one: the
    old SDK kept its default for both."""

    def parse(el: Any) -> Any:
        if not el.text:
            return absent
        return el.text if conv is None else conv(el)

    return parse


class _Compiled:
    """A spec compiled for parsing, once per class (on first use).

    ``text``: tag -> attribute for plain-text fields (the bulk of every response), so the hot loop
    is one dict lookup and one ``.text`` per element; ``other``: tag -> (attribute, kind, converter)
    for the rest. Both are keyed by the bare and the ASM-namespaced tag. ``defaults`` holds the
    immutable parse defaults, ``factories`` the mutable ones (new list/dict/model per instance).
    ``parse`` is the element -> instance function (a closure over these tables).
    """

    __slots__ = ("cls", "defaults", "factories", "other", "parse", "text")

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.text: dict[str, str] = {}
        self.other: dict[str, tuple[str, str, _Conv]] = {}
        self.defaults: dict[str, Any] = {}
        self.factories: list[tuple[str, Callable[[], Any]]] = []
        for f in spec_of(cls).fields:
            if not f.read:
                continue
            conv, default, factory = self._converter(f)
            for tag in (f.tag, f"{{{NS}}}{f.tag}"):
                if conv is None:
                    self.text[tag] = f.attr
                else:  # a field with its own ``absent`` is no inlined BOOL/INT: its converter runs
                    self.other[tag] = (f.attr, f.kind if f.absent is KIND_DEFAULT else "absent", conv)
            if factory is None:
                self.defaults[f.attr] = default
            else:
                self.factories.append((f.attr, factory))
        self.parse: _Parse = _element_parser(self)

    @staticmethod
    def _converter(f: F) -> tuple[_Conv | None, Any, Callable[[], Any] | None]:
        if f.absent is not KIND_DEFAULT and f.kind in _SCALAR_DEFAULTS:
            return _or_absent(_SIMPLE.get(f.kind), f.absent), f.absent, None
        if f.kind == STR:
            return None, "", None
        if f.kind in _SCALAR_DEFAULTS:
            return _SIMPLE[f.kind], _SCALAR_DEFAULTS[f.kind], None
        if f.kind == STRLIST:
            return _strlist, None, list
        if f.kind == DICT:
            return _dict, None, dict
        model = f.model
        if model is None:
            raise TypeError(f"field {f.tag} of kind {f.kind} needs a model")
        if f.kind == MODEL:
            conv = _lazy_parser(model)
            return conv, None, (None if f.optional else (lambda m=model: empty(m)))
        if f.kind == LIST:
            return _list_parser(model, f.item, f.poly), None, list_type_of(model)
        raise TypeError(f"unknown field kind {f.kind!r}")


def _element_parser(comp: _Compiled) -> _Parse:
    """The element -> instance function of one compiled spec.

    Every response element passes through the loop below, so it is kept to the minimum: one
    lookup of the element's tag among the plain-text fields and one ``.text`` read. Anything else
    (converted fields, other namespaces, unknown elements, comments) takes the slow branch.
    Instances are made without ``__init__``: ``object.__new__`` and the finished attribute dict.
    """
    cls, defaults, factories = comp.cls, comp.defaults, tuple(comp.factories)
    text_get, other_get = comp.text.get, comp.other.get
    new = object.__new__

    def parse(el: Any) -> Any:
        values = defaults.copy()
        for child in el:
            tag = child.tag
            attr = text_get(tag)
            if attr is not None:
                values[attr] = child.text or ""  # lxml gives None, never "", for no text
                continue
            entry = other_get(tag)
            if entry is None:
                if not isinstance(tag, str):
                    continue  # comment / processing instruction
                tag = _local(tag)  # some other namespace: match on the local name
                attr = text_get(tag)
                if attr is not None:
                    values[attr] = child.text or ""
                    continue
                entry = other_get(tag)
                if entry is None:
                    continue  # unknown element: tolerated
            attr, kind, conv = entry
            if kind is BOOL:  # inline: as _bool, without a call
                t = child.text
                values[attr] = t is not None and (t == "true" or t.strip().lower() == "true")
            elif kind is INT:  # inline: as _int
                t = child.text
                try:
                    values[attr] = int(t) if t else 0
                except ValueError:
                    values[attr] = 0
            else:
                values[attr] = conv(child)
        for attr, factory in factories:
            if attr not in values:
                values[attr] = factory()
        obj: Any = new(cls)
        obj.__dict__ = values
        return obj

    return parse


def _lazy_parser(cls: type) -> _Parse:
    """``cls``'s parse function, compiled on first call (specs may refer to each other)."""
    compiled: list[_Parse] = []

    def parse(el: Any) -> Any:
        if not compiled:
            compiled.append(_compiled(cls).parse)
        return compiled[0](el)

    return parse


def _list_parser(model: type, item: str, poly: Mapping[str, type] | None) -> _Parse:
    """Parse a wrapper element's ``item`` children (any element when ``item`` is empty).

    ``poly`` maps an ``i:type`` value to the item class. Item specs are compiled on first call
    (specs refer to each other), then called directly. The result is the ``AliasList`` of
    ``model``'s ``list_name``.
    """
    names = frozenset((item, f"{{{NS}}}{item}")) if item else frozenset()
    new_list = list_type_of(model)
    item_parse: _Parse | None = None
    poly_parse: dict[str, _Parse] = {}

    def parse(el: Any) -> list[Any]:
        nonlocal item_parse
        if item_parse is None:
            poly_parse.update((name, _compiled(cls).parse) for name, cls in (poly or {}).items())
            item_parse = _compiled(model).parse
        out = new_list()
        append = out.append
        for c in el:
            tag = c.tag
            if tag not in names and (not isinstance(tag, str) or (item and _local(tag) != item)):
                continue
            if poly_parse:
                itype = c.get(_ITYPE)
                if itype is not None:
                    append(poly_parse.get(_local(itype.split(":")[-1]), item_parse)(c))
                    continue
            append(item_parse(c))
        return out

    return parse


_COMPILED: dict[type, _Compiled] = {}


def _compiled(cls: type) -> _Compiled:
    c = _COMPILED.get(cls)
    if c is None:
        c = _COMPILED[cls] = _Compiled(cls)
    return c


def parse_element(el: Any, cls: type[T]) -> T:
    """Map one element onto a new instance of ``cls`` (one pass over its children)."""
    comp = _COMPILED.get(cls) or _compiled(cls)
    result: T = comp.parse(el)
    return result


def empty(cls: type[T]) -> T:
    """An instance with every field at its parse default (what an absent element yields)."""
    comp = _COMPILED.get(cls) or _compiled(cls)
    values = comp.defaults.copy()
    for attr, factory in comp.factories:
        values[attr] = factory()
    obj = object.__new__(cls)
    obj.__dict__ = values
    return obj


_LISTS: dict[tuple[type, str | None], _Parse] = {}


def parse_list(root: Any, cls: type[T], item: str | None = None) -> list[T]:
    """Parse a collection response (``<Images><OSImage/>...``) into a list (``AliasList``: it also
    answers to the old SDK's wrapper attribute, ``.images``)."""
    parse = _LISTS.get((cls, item))
    if parse is None:
        parse = _LISTS[cls, item] = _list_parser(cls, item if item is not None else spec_of(cls).root, None)
    result: list[T] = parse(root)
    return result


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------


def b64encode_text(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _value(source: Any, attr: str) -> Any:
    if isinstance(source, Mapping):
        return source.get(attr)
    return getattr(source, attr, None)


def _scalar_text(kind: str, value: Any) -> str:
    if kind == BOOL or isinstance(value, bool):
        if isinstance(value, str):
            return value.lower()
        return "true" if value else "false"
    if kind == B64:
        return b64encode_text(str(value))
    return str(value)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _text(element: Any, text: str, where: str) -> None:
    """Set ``element``'s text; a value XML cannot carry is the caller's input error, by name.

    Why: lxml refuses NUL and control characters with a bare ``ValueError``; the top-level
    parameters are checked before binding, but a nested model's field (a provisioning set's
    ``user_password``, an unattend setting's ``content``) reaches this writer unchecked. The
    field is named by its path in the request body (``role_list[0].configuration_sets[0].
    user_password``); the value is never quoted: it may be a password.
    """
    try:
        element.text = text
    except ValueError:
        from airflow_sm_provider.client.errors import InvalidInputError

        raise InvalidInputError(
            where, "holds a character XML cannot carry (NUL or a control character): remove it."
        ) from None


def _fill(parent: Any, spec: Spec, source: Any, path: str = "") -> None:
    sub = etree.SubElement
    for f in spec.fields:
        if not f.write:
            continue
        value = _value(source, f.attr)
        if value is None:
            if f.nil:
                sub(parent, _q(f.tag), {_NIL: "true"})
            continue
        where = path + f.attr
        if f.kind == MODEL:
            child = sub(parent, _q(f.tag))
            _fill(child, spec_of(f.model or type(value)), value, where + ".")
            if f.optional and len(child) == 0:
                parent.remove(child)  # an optional sub-structure left at its defaults is not sent
        elif f.kind == LIST:
            if not value:
                continue
            wrapper = sub(parent, _q(f.tag)) if f.tag else parent  # tag "": items directly in parent
            for i, item in enumerate(value):
                item_spec = spec_of(type(item))
                _fill(sub(wrapper, _q(f.item or item_spec.root)), item_spec, item, f"{where}[{i}].")
        elif f.kind == STRLIST:
            if not value:
                continue
            wrapper = sub(parent, _q(f.tag)) if f.tag else parent
            for i, text in enumerate(value):
                _text(sub(wrapper, _q(f.item)), str(text), f"{where}[{i}]")
        elif f.kind == DICT:
            if not value:
                continue
            wrapper = sub(parent, _q(f.tag))
            for name, val in value.items():
                prop = sub(wrapper, _q("ExtendedProperty"))
                _text(sub(prop, _q("Name")), str(name), where)
                _text(sub(prop, _q("Value")), "" if val is None else str(val), f"{where}[{name!r}]")
        else:
            _text(sub(parent, _q(f.tag)), _scalar_text(f.kind, value), where)


def build(spec: Spec, source: Any) -> bytes:
    """Serialize ``source`` (a mapping or an object with the spec's attributes) as request XML.

    ``None`` values are omitted (or sent as ``i:nil`` where the field says so); text is escaped by
    lxml; the root carries the default namespace and ``xmlns:i`` like the real service's own XML.
    """
    root = etree.Element(_q(spec.root), nsmap=_NSMAP)  # type: ignore[arg-type]  # None = default ns
    _fill(root, spec, source)
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=False))


def build_model(obj: Any) -> bytes:
    """Serialize a model instance under its own root element."""
    return build(spec_of(type(obj)), obj)

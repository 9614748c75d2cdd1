"""Declaring an XML model once: ``@xml_model`` dataclasses whose fields ARE the XML mapping.

Why: a model used to state every attribute twice, once as a dataclass field and once in its
``__xml__`` field list, and the two could drift apart (a field added to one and not the other parses
as nothing, silently). Here the dataclass field is the only declaration; ``@xml_model`` applies
``@dataclass`` and builds the class's ``xmlmap.Spec`` from the fields, so ``xmlmap``'s compiled
``tag -> (attr, converter)`` tables (and parsing speed) are unchanged.

The rules, so that most fields need no more than their annotation and default:

* tag: the attribute name in PascalCase (``affinity_group`` -> ``AffinityGroup``); ASM's other
  spellings are given with ``xml_field("LogicalDiskSizeInGB")``, never guessed from acronym lists.
* kind: from the annotation where it is unambiguous (``str`` -> text, ``bool``, ``int``, a model
  class -> nested, ``ListOf[Wrapper, Model]`` (or ``list[Model]``) -> list of models, ``list[str]``
  -> list of texts, ``dict`` -> ExtendedProperties; ``X | None`` as ``X``); explicit where it is
  not: ``kind=B64`` (a ``str`` sent base64), ``model=`` for ``ListOf[Wrapper, Any]``.
* order: the declaration order is the request element order (the real service requires it). Where
  the old SDK's positional constructor order differs from the wire's, ``wire_order=`` names the
  written attributes in wire order, separated by spaces (one string reads as the element sequence
  does, as ``namedtuple``'s field names); it must name each of them exactly once.
* lists of models: ``default_factory=list`` gives the list's ``xmlmap.AliasList`` (the list that
  also answers to the old SDK's wrapper attribute, as parsed lists do); a model whose old wrapper
  attribute is not the rule's plural declares it: ``@xml_model(list_name="images")``, and one whose
  old wrapper class is named otherwise too: ``@xml_model(list_type="RoleList")``. Such a field is
  annotated ``ListOf[Wrapper, Item]`` (``role_instance_list: ListOf[RoleInstanceList,
  RoleInstance]``), so mypy reads it as the wrapper class (``.role_instances``) and the constructor
  and assignment take any iterable of items (``ListOf``); the typed wrapper classes are generated
  into ``_list_types`` (imported for mypy only). At run time the wrapper name resolves to the real
  list class (``_LIST_HINTS``; it must be the item's), ``@xml_model`` binds it in the model's
  module, so ``typing.get_type_hints`` resolves it for anyone, and puts a ``ListOf`` on the class,
  which stores what is assigned as that class.

Request bodies that send part of a model use the model's own fields, picked by attribute, rather
than a second field list: ``subset(Model, "label", ...)`` (a whole body), ``fields_of`` (parts of a
body that flattens two models), ``view`` (a nested model sending fewer fields) and ``values_of``
(a body's values read from any object, the old SDK's models included).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, dataclass_transform, overload

from airflow_sm_provider.client.xmlmap import (
    BOOL,
    DICT,
    INT,
    KIND_DEFAULT,
    LIST,
    MODEL,
    STR,
    STRLIST,
    AliasList,
    F,
    Spec,
    list_type_name_of,
    list_type_of,
    pascal,
    spec_of,
)

T = TypeVar("T")
W = TypeVar("W", bound=AliasList[Any])

#: The key, in ``Field.metadata``, of a field's partial ``F`` (None: the field is not on the wire).
_META = "airflow_sm_provider.xml"


#: What a field without ``xml_field`` declares: tag, kind and model all derived (empty = derive).
_DERIVED = F("", "", "")

#: Old wrapper class name -> its item model, for every model made so far (``RoleInstanceList`` ->
#: ``RoleInstance``): how a wrapper class's name in an annotation (``ListOf[RoleInstanceList, ...]``)
#: resolves while a model is made. A model is made after its items' models (its annotations name
#: them), so they are here.
_LIST_HINTS: dict[str, type] = {}
_NAME = re.compile(r"[A-Za-z_]\w*")


class ListOf(Generic[W, T]):
    """A list-of-models field: ``role_list: ListOf[RoleList, Role] = xml_field(default_factory=list)``.

    Why: reading the field must give the old wrapper class (``RoleList``, whose ``.roles`` mypy
    checks), while building a model must take any list of items (``Role(data_virtual_hard_disks=
    [disk])``, the common way to build a VM request). For mypy this is a descriptor whose
    ``__get__`` returns ``W`` and whose ``__set__`` takes an iterable of ``T`` or None, which
    ``dataclass_transform`` models honour in ``__init__`` too. At run time ``@xml_model`` puts one
    on the class for each such field, and it makes what mypy promises true: the constructor (the
    dataclass ``__init__`` assigns) and every assignment store a ``W`` (a plain list is copied into
    one, None is an empty one, a ``W`` is kept as it is; text is refused).

    It defines ``__set__`` but no ``__get__`` at run time, on purpose: reads then find the value in
    the instance ``__dict__`` with no Python call, and the parser, which fills ``__dict__`` with
    lists it made as ``W`` already, never meets it. The only cost is on assignment.
    """

    __slots__ = ("make", "name")

    def __init__(self, name: str, make: type[W]) -> None:
        self.name, self.make = name, make

    def __set__(self, obj: object, value: Iterable[T] | None) -> None:
        if type(value) is not self.make:
            if isinstance(value, (str, bytes, Mapping)):  # would become its characters / keys
                raise TypeError(f"{self.name} takes a list of models, not {type(value).__name__}")
            value = self.make() if value is None else self.make(value)
        obj.__dict__[self.name] = value

    def __repr__(self) -> str:
        return f"ListOf({self.make.__name__}) field {self.name!r}"

    if TYPE_CHECKING:  # for mypy only; see the class docstring for why there is none at run time

        @overload
        def __get__(self, obj: None, owner: type) -> ListOf[W, T]: ...
        @overload
        def __get__(self, obj: object, owner: type) -> W: ...
        def __get__(self, obj: object, owner: type) -> ListOf[W, T] | W: ...


def xml_field(
    tag: str = "",
    *,
    kind: str = "",
    model: type | None = None,
    item: str = "",
    read: bool = True,
    write: bool = True,
    nil: bool = False,
    optional: bool = False,
    poly: Mapping[str, type] | None = None,
    absent: Any = KIND_DEFAULT,
    skip: bool = False,
    default: Any = dataclasses.MISSING,
    default_factory: Any = dataclasses.MISSING,
    init: bool = True,
    repr: bool = True,  # as dataclasses.field names it
) -> Any:
    """A model field with XML options; the arguments mean what ``xmlmap.F``'s do.

    ``tag`` overrides the PascalCase name, ``kind`` / ``model`` the annotation's kind, ``item`` names
    a list's item element, ``read=False`` / ``write=False`` keep a field out of responses / requests,
    ``skip=True`` keeps it off the wire entirely, ``absent`` is what a response without the element
    gives (the old SDK's default, where it is not the kind's). ``default``, ``default_factory``,
    ``init`` and ``repr`` go to ``dataclasses.field``.
    """
    declared = None if skip else F(tag, "", kind, model, item, read, write, nil, optional, poly, absent)
    result: Any = dataclasses.field(
        default=default,
        default_factory=default_factory,
        init=init,
        repr=repr,
        metadata={_META: declared},
    )
    return result


def _has_spec(tp: Any) -> bool:
    return isinstance(tp, type) and isinstance(getattr(tp, "__xml__", None), Spec)


def _kind_of(owner: type, attr: str, tp: Any) -> tuple[str, type | None]:
    """The kind (and nested model) an annotation says, or a TypeError naming the field."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if str in options:  # ``str | int``: sent and parsed as the text it is
            return STR, None
        if len(options) == 1:
            tp = options[0]
    if tp is str:
        return STR, None
    if tp is bool:
        return BOOL, None
    if tp is int:
        return INT, None
    origin = typing.get_origin(tp)
    if origin is dict:
        return DICT, None
    if origin is ListOf:
        wrapper, item = typing.get_args(tp)
        if _has_spec(item):
            _check_wrapper(owner, attr, wrapper, item)
            return LIST, item
    elif origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        if item is str:
            return STRLIST, None
        if _has_spec(item):
            return LIST, item
    elif _has_spec(tp):
        return MODEL, tp
    hint = " (a list of models is annotated ListOf[ItsWrapperClass, Item])" if _is_list_type(tp) else ""
    raise TypeError(
        f"{owner.__name__}.{attr}: cannot tell the XML kind from the annotation {tp!r}; "
        f"give it with xml_field(kind=..., model=...){hint}"
    )


def _is_list_type(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, AliasList)


def _check_wrapper(owner: type, attr: str, wrapper: Any, item: type) -> None:
    """``ListOf[W, Item]`` names ``W`` for mypy; it must be the list class ``Item``'s lists are."""
    if wrapper is not list_type_of(item):
        raise TypeError(
            f"{owner.__name__}.{attr}: a list of {item.__name__} is ListOf[{list_type_name_of(item)}, ...], "
            f"not ListOf[{getattr(wrapper, '__name__', wrapper)}, ...]"
        )


def _field_spec(owner: type, name: str, metadata: Mapping[str, Any], hint: Any) -> F | None:
    declared: F | None = metadata.get(_META, _DERIVED)
    if declared is None:
        return None
    kind, model = declared.kind, declared.model
    if not kind:
        if model is not None:  # e.g. ``ListOf[ConfigurationSets, Any]``: polymorphic sets
            kind = LIST if typing.get_origin(hint) in (list, ListOf) else MODEL
            if typing.get_origin(hint) is ListOf:
                _check_wrapper(owner, name, typing.get_args(hint)[0], model)
        else:
            kind, model = _kind_of(owner, name, hint)
    return dataclasses.replace(declared, tag=declared.tag or pascal(name), attr=name, kind=kind, model=model)


def _list_hints(cls: type) -> dict[str, Any]:
    """The wrapper class names the annotations of ``cls`` and its bases use (``RoleList`` in
    ``ListOf[RoleList, Role]``), as their list classes: the namespace ``typing.get_type_hints``
    resolves them in. A name its module defines as something else than the list class keeps that
    meaning."""
    out: dict[str, Any] = {}
    for base in cls.__mro__:
        names = vars(sys.modules[base.__module__]) if base.__module__ in sys.modules else {}
        for annotation in inspect.get_annotations(base).values():
            if not isinstance(annotation, str):
                continue
            for name in _NAME.findall(annotation):
                bound = names.get(name)
                if name in _LIST_HINTS and (bound is None or _is_list_type(bound)):
                    out[name] = list_type_of(_LIST_HINTS[name])
    return out


def _bind_list_names(cls: type, localns: Mapping[str, Any]) -> None:
    """Bind each old wrapper class name ``cls``'s own annotations use (``RoleInstanceList``) in its
    module, to the list class (``_list_hints``): mypy imports the names from ``_list_types``, which
    is never imported at run time, and ``typing.get_type_hints(cls)`` must still resolve them."""
    module = sys.modules.get(cls.__module__)
    if module is None:
        return
    names = vars(module)
    for annotation in inspect.get_annotations(cls).values():
        if isinstance(annotation, str):
            for name in _NAME.findall(annotation):
                if name in localns and name not in names:
                    names[name] = localns[name]


def _install_lists(cls: type, hints: Mapping[str, Any]) -> None:
    """Put a ``ListOf`` on ``cls`` for each of its own ``ListOf[W, T]`` fields (after ``@dataclass``,
    which would otherwise read it as the default); subclasses and views inherit them."""
    for name in inspect.get_annotations(cls):
        hint = hints.get(name)
        if typing.get_origin(hint) is ListOf:
            setattr(cls, name, ListOf(name, typing.get_args(hint)[0]))


def _alias_list_defaults(cls: type, hints: Mapping[str, Any]) -> None:
    """Make each ``default_factory=list`` of a list-of-models field the list's ``AliasList`` type.

    So a model built in Python (``ConfigurationSet().input_endpoints.input_endpoints``) holds the
    same kind of list a parsed one does. Done on the class's own ``Field`` objects before
    ``@dataclass`` reads them (the generated ``__init__`` captures the factory).
    """
    for name, value in vars(cls).items():
        if isinstance(value, dataclasses.Field) and value.default_factory is list and name in hints:
            f = _field_spec(cls, name, value.metadata, hints[name])
            if f is not None and f.kind == LIST and f.model is not None:
                value.default_factory = list_type_of(f.model)


def _ordered(owner: type, fields: list[F], wire_order: Sequence[str]) -> list[F]:
    """``fields`` with the written ones in ``wire_order``; read-only ones keep their places."""
    written = [f.attr for f in fields if f.write]
    if sorted(wire_order) != sorted(written):
        raise TypeError(
            f"{owner.__name__}: wire_order must name each written field exactly once; "
            f"it names {sorted(wire_order)}, the written fields are {sorted(written)}"
        )
    by_attr = {f.attr: f for f in fields}
    in_wire_order = iter(wire_order)
    return [by_attr[next(in_wire_order)] if f.write else f for f in fields]


def _inherited_order(cls: type) -> Sequence[str]:
    """The written fields' order of the nearest base model (a subclass keeps its base's wire order)."""
    for base in cls.__mro__[1:]:
        spec = base.__dict__.get("__xml__")
        if isinstance(spec, Spec):
            return [f.attr for f in spec.fields if f.write]
    return ()


def _make(
    cls: type[T], root: str | None, wire_order: Sequence[str], list_name: str = "", list_type: str = ""
) -> type[T]:
    base_order = _inherited_order(cls)
    try:
        localns = _list_hints(cls)
        hints = typing.get_type_hints(cls, localns=localns)
    except NameError as exc:  # annotations are strings: they must name module-level classes
        raise TypeError(
            f"{cls.__name__}: cannot resolve an annotation ({exc}); define models at module level "
            "(a list class's name, ``Certificates``, needs its item model imported first)"
        ) from exc
    _alias_list_defaults(cls, hints)
    data_cls: Any = dataclasses.dataclass(cls)
    fields = [
        s
        for f in dataclasses.fields(data_cls)
        if (s := _field_spec(data_cls, f.name, f.metadata, hints[f.name])) is not None
    ]
    if not wire_order and base_order:
        own = [f.attr for f in fields if f.write and f.attr not in base_order]
        wire_order = [*base_order, *own]
    if wire_order:
        fields = _ordered(data_cls, fields, wire_order)
    data_cls.__xml__ = Spec(root or data_cls.__name__, fields, list_name, list_type)
    _install_lists(data_cls, hints)
    _LIST_HINTS[list_type_name_of(data_cls)] = data_cls
    _bind_list_names(data_cls, localns)
    result: type[T] = data_cls
    return result


@overload
def xml_model(cls: type[T], /) -> type[T]: ...


@overload
def xml_model(
    root: str | None = None, /, *, wire_order: str = "", list_name: str = "", list_type: str = ""
) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(xml_field, dataclasses.field))
def xml_model(
    cls_or_root: type[T] | str | None = None,
    /,
    *,
    wire_order: str = "",
    list_name: str = "",
    list_type: str = "",
) -> type[T] | Callable[[type[T]], type[T]]:
    """Make ``cls`` a dataclass and give it the ``__xml__`` spec its fields declare.

    ``@xml_model`` uses the class name as the root element, ``@xml_model("Error")`` another one.
    ``list_name`` is the old SDK's wrapper attribute for a list of these models, where
    ``xmlmap.list_name_of``'s rule (snake_case plural of the class name) does not give it;
    ``list_type`` the old SDK's wrapper class name, where ``xmlmap.list_type_name_of``'s does not.
    """
    if isinstance(cls_or_root, type):
        return _make(cls_or_root, None, ())
    root = cls_or_root

    order = wire_order.split()

    def decorate(cls: type[T]) -> type[T]:
        return _make(cls, root, order, list_name, list_type)

    return decorate


def fields_of(cls: type, *attrs: str) -> list[F]:
    """Some of ``cls``'s fields, in the order given, all written: the parts of a request body.

    The fields (tag, kind, nested model) are the model's own, so a body never restates them; a
    body that flattens two models (Create Hosted Service: the service's name and its properties)
    joins the parts.
    """
    by_attr = {f.attr: f for f in spec_of(cls).fields}
    missing = [a for a in attrs if a not in by_attr]
    if missing:
        raise TypeError(f"{cls.__name__} has no XML fields {missing}")
    return [dataclasses.replace(by_attr[a], write=True) for a in attrs]


def subset(cls: type, *attrs: str, root: str | None = None, models: Mapping[str, type] | None = None) -> Spec:
    """A request body that sends some of ``cls``'s fields (``fields_of``) under ``root``.

    ``models`` swaps a nested field's model for a ``view`` of it (Update VM Image sends only the
    disks' host caching).
    """
    fields = fields_of(cls, *attrs)
    if models:
        fields = [dataclasses.replace(f, model=models.get(f.attr, f.model)) for f in fields]
    return Spec(root or spec_of(cls).root, fields)


def view(cls: type[T], *attrs: str) -> type[T]:
    """A subclass of the model ``cls`` whose XML sends only ``attrs`` (same root, same fields).

    ``__view_of__`` names ``cls``: a view is a request shape, and a list of views is the model's list.
    """
    spec = subset(cls, *attrs)
    result: type[T] = type(
        f"{cls.__name__}View",
        (cls,),
        {"__xml__": spec, "__view_of__": cls, "__doc__": f"{cls.__name__} sending only {', '.join(attrs)}."},
    )
    return result


def values_of(spec: Spec, obj: Any) -> dict[str, Any]:
    """``obj``'s values of ``spec``'s fields (None where it has none): the source of a body."""
    return {f.attr: getattr(obj, f.attr, None) for f in spec.fields}

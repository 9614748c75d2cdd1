"""The operation model: ONE declarative entry per ASM operation, from which both clients are made.

Why: an operation used to be written in three to five places (a spec function, a forwarder in the
sync client, another in the async one); each new call multiplied the copies and the copies drifted.
Now an operation is an ``Op`` value -- its method name and parameters as the old SDK spells them,
the HTTP verb, a path template whose members are typed and encoded, the query, the body mapping
(an ``xmlmap.Spec``), the response model, whether it is asynchronous and whether a retry may resend
it. ``tools/gen_client.py`` turns the table (``client/operations/``) into real ``def`` methods for
the sync and the async client (``client/_generated.py``), so ``inspect``, IDEs and mypy see true
signatures, and both clients run every request through ``Op.bind`` here.

Paths are safe by construction (design.md "Path rules"): every member goes through ``segment``,
which refuses empty names, ``.`` and ``..`` and control characters and percent-encodes everything
but RFC 3986 unreserved characters, so no argument can move a request onto another resource.

Model-typed parameters are checked by their annotation (``ModelType``): a parameter declared
``OSVirtualHardDisk | None`` or ``Sequence[DnsServer] | None`` refuses anything else with an
``InvalidInputError`` naming it, before its own check and before any request, so no table entry
has to restate its type as a check (a wrong object would otherwise be dropped from the body or
serialized as an empty element).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal
from urllib.parse import quote

from airflow_sm_provider.client.errors import InvalidInputError, InvalidResponseError
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse
from airflow_sm_provider.client.xmlmap import Spec, build, list_type_name_of

REQUIRED: Any = inspect.Parameter.empty
State = Literal["applied", "absent", "unknown"]
Check = Callable[[Any, str], Any]
_MEMBER = re.compile(r"\{(\w+)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def segment(field: str, value: Any) -> str:
    """One path member, encoded. Refuses what could address another resource or break the URL."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(field, f"{field} is required in the request path: pass a non-empty name.")
    if text in (".", ".."):
        raise InvalidInputError(
            field,
            f"{text!r} cannot be a name: a dot segment would address the parent resource; "
            "pass the real name.",
        )
    if _CONTROL.search(text):
        raise InvalidInputError(field, f"{text!r} contains control characters (CR, LF, ...): remove them.")
    return quote(text, safe="")


class PathTemplate:
    """A path template split once into literal text and members: ``render`` joins, no regex.

    ``"/services/hostedservices/{service_name}/deployments/{deployment_name}"`` becomes the
    literals ``("/services/hostedservices/", "/deployments/", "")`` around the members
    ``("service_name", "deployment_name")``; every member still goes through ``segment``.
    """

    __slots__ = ("literals", "members", "template")

    def __init__(self, template: str) -> None:
        pieces = _MEMBER.split(template)  # literal, member, literal, member, ..., literal
        self.template = template
        self.literals: tuple[str, ...] = tuple(pieces[0::2])
        self.members: tuple[str, ...] = tuple(pieces[1::2])

    def render(self, values: Mapping[str, Any]) -> str:
        literals = self.literals
        out = [literals[0]]
        for member, literal in zip(self.members, literals[1:], strict=True):
            out.append(segment(member, values[member]))
            out.append(literal)
        return "".join(out)


QueryPart = Callable[[Mapping[str, Any]], str]


def _query_part(q: Q) -> QueryPart:
    """One ``Q`` as a function of the checked arguments: its ``key=value`` text, or "" to omit it."""
    if q.param is not None:
        param, key, fmt = q.param, q.key, q.fmt

        def from_param(values: Mapping[str, Any]) -> str:
            got = values.get(param)
            if got is None or got == "":
                return ""
            return f"{key}={quote(fmt(got), safe='')}"

        return from_param
    constant = f"{q.key}={q.value}"
    when = q.when
    if when is None:
        return lambda values: constant
    return lambda values: constant if values.get(when) else ""


_LIST_OF = re.compile(r"^(?:Sequence|list|tuple|Iterable)\[(.+)\]$")


def _union(annotation: str) -> list[str]:
    """The top-level members of ``A | B[C | D] | None``: ``["A", "B[C | D]", "None"]``."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(annotation):
        depth += (ch == "[") - (ch == "]")
        if ch == "|" and depth == 0:
            parts.append(annotation[start:i].strip())
            start = i + 1
    parts.append(annotation[start:].strip())
    return parts


def _model_class(name: str) -> type | None:
    """The model ``from airflow_sm_provider.client import <name>`` gives, if ``name`` is one."""
    import airflow_sm_provider.client as package

    cls = getattr(package, name, None) if name.isidentifier() else None
    return cls if isinstance(cls, type) and hasattr(cls, "__xml__") else None


@dataclass(frozen=True)
class ModelType:
    """What a parameter's annotation says about models: which ``classes`` (an instance of any one,
    or of a subclass), a list of them (``many``), and whether None is allowed (``optional``).

    Lists accept any iterable but text and mappings (the old SDK iterated them: a tuple worked) and
    are sent as a list.
    """

    classes: tuple[type, ...]
    many: bool
    optional: bool

    @classmethod
    def of(cls, annotation: str) -> ModelType | None:
        """The model type of ``annotation``, or None when it is not (only) models and None."""
        parts = _union(annotation)
        optional = "None" in parts
        kinds = [p for p in parts if p != "None"]
        if len(kinds) == 1 and (inner := _LIST_OF.match(kinds[0])):
            many, kinds = True, _union(inner.group(1))
        else:
            many = False
        classes = tuple(_model_class(k) for k in kinds)
        if not classes or None in classes:
            return None
        return cls(classes, many, optional)  # type: ignore[arg-type]  # None excluded just above

    def wanted(self) -> str:
        names = [c.__name__ for c in self.classes]
        what = f"a list of {' or '.join(names)}" if self.many else f"a {' or '.join(names)}"
        return f"{what} (from airflow_sm_provider.client import {', '.join(names)})"

    def check(self, value: Any, field: str) -> Any:
        """``value`` if it has this type (a list for ``many``), else ``InvalidInputError(field)``."""
        if value is None:
            if self.optional:
                return None
            raise InvalidInputError(field, f"{field} is required: pass {self.wanted()}.")
        orelse = ", or None" if self.optional else ""
        if not self.many:
            if isinstance(value, self.classes):
                return value
            raise InvalidInputError(
                field, f"{field} must be {self.wanted()}{orelse}, not a {type(value).__name__}."
            )
        if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
            raise InvalidInputError(
                field, f"{field} must be {self.wanted()}{orelse}, not a {type(value).__name__}."
            )
        items = list(value)
        for index, item in enumerate(items):
            if not isinstance(item, self.classes):
                raise InvalidInputError(
                    field,
                    f"{field}[{index}] is a {type(item).__name__}: {field} must be {self.wanted()}{orelse}.",
                )
        return items


def _check_of(p: P) -> Check | None:
    """The parameter's check, after the type check its annotation implies for model parameters."""
    model = ModelType.of(p.type)
    own = p.check
    if model is None:
        return own
    if own is None:
        return model.check
    typed = model.check
    return lambda value, field: own(typed(value, field), field)


class Binding:
    """The per-entry work of ``Op.bind`` done once: parameter checks, path template, query parts.

    Built on an entry's first call (``Op._binding``); it only restructures the entry, so a
    request is checked, encoded and validated exactly as the entry declares.
    """

    __slots__ = ("checks", "path", "query")

    def __init__(self, op: Op) -> None:
        self.checks: tuple[tuple[str, Check | None], ...] = tuple((p.name, _check_of(p)) for p in op.params)
        self.path = PathTemplate(op.path)
        self.query: tuple[QueryPart, ...] = tuple(_query_part(q) for q in op.query)


@dataclass(frozen=True)
class P:
    """One parameter: its name, its annotation (as source text), default, and its check.

    ``check(value, field)`` returns the value to send or raises ``InvalidInputError``.
    """

    name: str
    type: str = "str"
    default: Any = REQUIRED
    check: Check | None = None


@dataclass(frozen=True)
class Q:
    """A query parameter: a constant ``value``, sent only ``when`` that argument is true, or the
    value of argument ``param`` (omitted when None or empty), formatted by ``fmt``."""

    key: str
    value: str | None = None
    param: str | None = None
    when: str | None = None
    fmt: Callable[[Any], str] = str


@dataclass(frozen=True)
class Reconcile:
    """How to learn whether a non-idempotent write was applied when its outcome is unknown.

    ``reads``: (operation name, args from the write's checked arguments); a read answering 404
    gives ``None``. ``decide(results, args)`` says applied / absent (send again) / unknown (raise).
    """

    reads: tuple[tuple[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]], ...]
    decide: Callable[[list[Any], Mapping[str, Any]], State]


@dataclass(frozen=True)
class Op:
    """One ASM operation. See the module docstring; ``operations/*.py`` hold the table."""

    name: str
    verb: str
    path: str
    params: tuple[P, ...] = ()
    query: tuple[Q, ...] = ()
    body: Spec | None = None
    source: Callable[[dict[str, Any]], Any] | None = None
    const: Mapping[str, Any] = field(default_factory=dict)
    result: type | None = None
    many: bool = False
    item: str | None = None
    is_async: bool = True
    resend: bool = True
    x_ms_version: str | None = None
    target: str | Callable[[Mapping[str, Any]], str] | None = None
    validate: Callable[[dict[str, Any]], None] | None = None
    reconcile: Reconcile | None = None
    returns: str = ""
    doc: str = ""
    root: bool = False  #: the path is above the subscription (List Subscriptions)
    #: The answer holds secrets (storage keys): a malformed one is reported without quoting it.
    secret_answer: bool = False

    @property
    def is_read(self) -> bool:
        return self.verb == "GET"

    @property
    def returns_handle(self) -> bool:
        return not self.is_read and self.result is None

    def annotation(self) -> str:
        """The return annotation of the generated method."""
        if self.returns:
            return self.returns
        if self.result is None:
            return "OperationHandle"
        # the old wrapper class: a list that answers to exactly its old attribute (``_list_types``)
        return list_type_name_of(self.result) if self.many else self.result.__name__

    @cached_property
    def _binding(self) -> Binding:
        """What ``bind`` needs, worked out once per entry (the table is built at import)."""
        return Binding(self)

    def bind(self, args: Sequence[Any]) -> tuple[ApiRequest, dict[str, Any]]:
        """Check ``args`` (positional, in ``params`` order) and build the request, with no I/O."""
        b = self._binding
        values: dict[str, Any] = {}
        for (name, check), value in zip(b.checks, args, strict=True):
            values[name] = value if check is None else check(value, name)
        if self.validate is not None:
            self.validate(values)
        path = b.path.render(values)
        if b.query:
            parts = [part for q in b.query if (part := q(values))]
            if parts:
                path += "?" + "&".join(parts)
        body = None
        if self.body is not None:
            source: Any = self.source(values) if self.source is not None else {**values, **self.const}
            body = build(self.body, source)
        request = ApiRequest(
            self.verb,
            path,
            body=body,
            x_ms_version=self.x_ms_version,
            idempotent=self.resend,
            operation=self.name,
            under_subscription=not self.root,
        )
        return request, values

    @cached_property
    def _parser(self) -> Callable[[ApiResponse], Any]:
        """The response parser of this entry, made on its first answer."""
        from airflow_sm_provider.client.ops_base import many, one

        if self.result is None:
            return lambda resp: resp
        quote = not self.secret_answer
        return many(self.result, self.item, quote=quote) if self.many else one(self.result, quote=quote)

    def parse(self, resp: ApiResponse) -> Any:
        return self._parser(resp)

    def target_of(self, values: Mapping[str, Any]) -> str:
        """What a handle says it acts on: the ``target`` template, else the path's members."""
        template = self.target
        if callable(template):
            return template(values)
        if template is None:
            template = (
                self.path.removeprefix("/services/hostedservices/").removeprefix("/services/").strip("/")
            )
        return _MEMBER.sub(lambda m: str(values[m.group(1)]), template)


def accepted_without_id(op: Op, resp: ApiResponse) -> InvalidResponseError:
    """A 202 (still running) without ``x-ms-request-id``: its completion can never be confirmed."""
    return InvalidResponseError(
        f"{op.name}: the service accepted the request (202) but sent no x-ms-request-id, so the "
        "operation cannot be tracked and may still be running; read the resource's state before "
        "acting on it or sending the request again",
        status_code=resp.status,
    )


def reads_back(
    read_op: str, *arg_names: str, decide: Callable[[list[Any], Mapping[str, Any]], State]
) -> Reconcile:
    """Reconcile by one read called with the write's arguments ``arg_names``."""
    return Reconcile(((read_op, lambda a: tuple(a[n] for n in arg_names)),), decide)


# --- short forms for the table (most entries are a read or a delete) ------------------------------
def read(name: str, path: str, *params: P, result: type, many: bool = False, **kw: Any) -> Op:
    """A GET returning ``result`` (a list of it when ``many``)."""
    return Op(name, "GET", path, params, result=result, many=many, **kw)


def delete(name: str, path: str, *params: P, media: str | None = None, **kw: Any) -> Op:
    """A DELETE; ``media`` names a bool parameter (default False) that adds ``?comp=media``
    (also delete the disks / VHD blobs)."""
    if media is not None:
        from airflow_sm_provider.client.validation import boolean

        params = (*params, P(media, "bool", False, boolean))
        kw["query"] = (Q("comp", "media", when=media),)
    return Op(name, "DELETE", path, params, **kw)

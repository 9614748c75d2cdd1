"""One strict reading of rendered values, for every templated argument of every operator and sensor.

Why: Airflow renders templated fields to *strings* (unless a DAG sets
``render_template_as_native_obj``), and ``bool("False")`` is ``True``: a checkbox param rendered into
``delete_vhd`` used to delete disks. Each operator now *declares* the type of its arguments once,
in a class-level mapping ``field_readers = {"delete_vhd": boolean, ...}``, and
:class:`TypedFields` applies it after rendering and before any request, so no operator parses a
value by hand. The readers accept exactly:

* booleans: real bools, ``True/False``, ``true/false``, ``1/0``, ``yes/no`` (any case, surrounding
  blanks ignored); anything else (``"maybe"``, ``"on"``, ``2``) is an error naming the field;
* numbers and durations: ints/floats (not bools), their text (``"30"``, ``"0.5"``), durations also a
  ``timedelta`` or a number with a unit (``"90s"``, ``"5m"``, ``"2h"``); never NaN or infinity;
* text: a ``str``; mappings / lists: the object, or its text as JSON or as a Python literal (what
  Jinja prints for a dict or list param);
* secret-bearing arguments (:func:`secret`, :func:`secret_mapping`: a password, probe headers holding a
  token): an error names the field, the kind and position of the problem and the fix, never the value
  (nor a chained parser error whose traceback would print it); :func:`is_secret` tells them apart;
* optional arguments: ``None``, and the strings ``""`` and ``"None"`` (how Jinja renders a missing or
  None param) mean "not given";
* safety arguments (:func:`guard`): optional arguments that turn a safety check on (the build staging
  must hold, the slot a deployment must be in before it is deleted...). Given as a template (or an
  XComArg) that renders blank, they fail instead: a missing param or an XCom that found nothing must
  not silently turn the check off; so does a blank value ``expand()`` maps over, and blank TEXT
  given directly (``""``, ``"None"``: ``f"{prev}"`` of a None) fails at construction. Given as
  ``None``, or not at all, they are not given, as any optional argument; an operator's
  ``blank_means_not_given=[...]`` names those that may render blank on purpose (an optional param).

Imported while DAG files are parsed: standard library only, the error class on first use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context

__all__ = [
    "Guard",
    "Reader",
    "TypedFields",
    "boolean",
    "duration",
    "guard",
    "invalid",
    "is_blank",
    "is_secret",
    "is_template",
    "list_of_mappings",
    "mapping",
    "number",
    "optional",
    "secret",
    "secret_mapping",
    "text",
]

#: ``reader(field, value) -> typed value``; raises ``InvalidInputError`` naming ``field``.
Reader = Callable[[str, Any], Any]

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_NOT_GIVEN = ("", "None")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([smh]?)\s*$")


def invalid(field: str, message: str) -> NoReturn:
    """Raise the client's ``InvalidInputError`` naming the argument ``field`` (the one way every
    reader and every operator check reports bad input; the error class is imported on first use)."""
    from airflow_sm_provider.client.errors import InvalidInputError

    raise InvalidInputError(field, message)


def is_template(value: Any) -> bool:
    """True when ``value`` is not final yet (a Jinja string or an XComArg); read after rendering."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    return not isinstance(value, (int, float, bool, bytes, type(None), list, tuple, dict, timedelta))


# --------------------------------------------------------------------------- readers
def boolean(field: str, value: Any) -> bool:
    """A real bool, or True/False, true/false, 1/0, yes/no in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    invalid(field, f"must be a boolean (True/False, true/false, 1/0 or yes/no), got {value!r}")


def _as_float(field: str, value: Any, what: str) -> float:
    if isinstance(value, bool):
        invalid(field, f"must be {what}, got the boolean {value!r}")
    if isinstance(value, (int, float)):
        number_ = float(value)
    elif isinstance(value, str):
        try:
            number_ = float(value.strip())
        except ValueError:
            invalid(field, f"must be {what}, got {value!r}")
    else:
        invalid(field, f"must be {what}, got {type(value).__name__} {value!r}")
    if not math.isfinite(number_):
        invalid(field, f"must be {what}, got {value!r}")
    return number_


def number(*, minimum: float | None = None, positive: bool = False, integer: bool = False) -> Reader:
    """A reader of numbers: ``integer`` refuses fractions; ``positive`` means > 0."""
    what = "a whole number" if integer else "a number"
    if positive:
        what = f"a positive {what.split(' ', 1)[1]}"

    def read(field: str, value: Any) -> int | float:
        result = _as_float(field, value, what)
        if integer and not result.is_integer():
            invalid(field, f"must be {what}, got {value!r}")
        if positive and result <= 0:
            invalid(field, f"must be {what}, got {value!r}")
        if minimum is not None and result < minimum:
            invalid(field, f"must be at least {minimum:g}, got {value!r}")
        return int(result) if integer else result

    return read


def duration(*, positive: bool = True) -> Reader:
    """A reader of durations in seconds: a number, a ``timedelta``, or text like ``"90"``, ``"5m"``."""
    what = "a positive number of seconds" if positive else "a number of seconds, 0 or more"
    hint = f"{what} (e.g. 30, '30', '90s', '5m', '2h' or a timedelta)"

    def read(field: str, value: Any) -> float:
        if isinstance(value, timedelta):
            seconds = value.total_seconds()
        elif isinstance(value, str) and (match := _DURATION_RE.match(value)):
            seconds = float(match.group(1)) * _UNITS.get(match.group(2) or "s", 1.0)
        elif isinstance(value, str):
            invalid(field, f"must be {hint}, got {value!r}")
        else:
            seconds = _as_float(field, value, hint)
        if seconds < 0 or (positive and seconds == 0) or not math.isfinite(seconds):
            invalid(field, f"must be {hint}, got {value!r}")
        return seconds

    return read


def text(field: str, value: Any) -> str:
    """A string (names, labels, URLs, options: their own checks run in ``validate_inputs``)."""
    if isinstance(value, str):
        return value
    invalid(field, f"must be a string, got {type(value).__name__} {value!r}")


def _mark_secret(reader: Reader) -> Reader:
    """Declare ``reader`` the reader of a secret-bearing argument (see :func:`is_secret`)."""
    reader.secret = True  # type: ignore[attr-defined]
    return reader


def is_secret(reader: Reader | None) -> bool:
    """True when ``reader`` reads a secret-bearing argument (:func:`secret`, :func:`secret_mapping`,
    or one of them wrapped by :func:`optional` / :func:`guard`): its errors never show the value."""
    return bool(getattr(reader, "secret", False))


def _mask(value: Any) -> None:
    """Register a secret-bearing argument's final value(s) with Airflow's secrets masker, as soon as
    they are read (rendered): Airflow stores the rendered fields right after rendering and masks only
    what it knows, by value or by a name that says "token" or "password". A header such as
    ``X-Functions-Key`` from a Variable named ``probe_key`` was stored in the clear (review, session 8).
    """
    values = value.values() if isinstance(value, Mapping) else [value]
    texts = [str(v) for v in values if isinstance(v, str) and v]
    if texts:
        from airflow_sm_provider._compat import mask_secret

        for text in texts:
            mask_secret(text)


def secret(field: str, value: Any) -> str:
    """A password or key: a string; the error never shows the value (it may be the secret)."""
    if isinstance(value, str):
        return value
    invalid(field, f"must be a string, got a {type(value).__name__} (value not shown: it is a secret)")


_mark_secret(secret)

#: What a secret-bearing argument's error says instead of its value.
_NOT_SHOWN = "value not shown: it may hold a secret"


def _parse_problem(value: str) -> str | None:
    """Where ``value`` stops being JSON ("Expecting ',' delimiter at line 1, column 31"), or None when it
    reads as JSON or as a printed Python literal. The words and position only: never the text."""
    import ast
    import json

    try:
        json.loads(value)
        return None
    except ValueError as exc:
        where = (
            f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else "it is not valid JSON"
        )
    try:
        ast.literal_eval(value.strip())
        return None
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return where


def _literal(field: str, value: str, what: str, *, shown: bool = True) -> Any:
    import ast
    import json

    problem = _parse_problem(value)
    if problem is not None:
        # Raised here, outside any ``except``: a chained SyntaxError's traceback prints the source line.
        if shown:
            invalid(field, f"must be {what} (an object, or its text as JSON), got {value!r}")
        invalid(
            field,
            f"must be {what} (an object, or its text as JSON); its text ({len(value)} characters) is not "
            f"valid JSON: {problem} ({_NOT_SHOWN}). Fix the value or the template so it renders valid JSON "
            "(every brace and quote closed), or give the argument as a dict",
        )
    try:
        return json.loads(value)
    except ValueError:
        return ast.literal_eval(value.strip())


def _kind(data: Any) -> str:
    """What a secret-bearing value is, without the value: "a list", "a mapping with a non-string key"."""
    if isinstance(data, Mapping):
        return "a mapping with a non-string key"
    return f"a {type(data).__name__}"


def _mapping(field: str, value: Any, *, shown: bool) -> dict[str, Any]:
    data = _literal(field, value, "a mapping", shown=shown) if isinstance(value, str) else value
    if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
        got = repr(value) if shown else f"{_kind(data)} ({_NOT_SHOWN})"
        invalid(field, f"must be a mapping with string keys, got {got}")
    return dict(data)


def mapping(field: str, value: Any) -> dict[str, Any]:
    """Name/value pairs: a dict with string keys, or its text (JSON, or a printed Python dict)."""
    return _mapping(field, value, shown=True)


def secret_mapping(field: str, value: Any) -> dict[str, Any]:
    """:func:`mapping` for a secret-bearing argument (probe headers holding a token): an error names
    the field, the kind and position of the problem and the fix, never the value or any part of it."""
    return _mapping(field, value, shown=False)


_mark_secret(secret_mapping)


def list_of_mappings(field: str, value: Any) -> list[dict[str, Any]]:
    """A list of dicts, or its text (JSON, or a printed Python list)."""
    data = _literal(field, value, "a list of mappings", shown=True) if isinstance(value, str) else value
    if not isinstance(data, (list, tuple)) or not all(isinstance(item, Mapping) for item in data):
        invalid(field, f"must be a list of mappings, got {value!r}")
    return [dict(item) for item in data]


def is_blank(value: Any) -> bool:
    """None, or the text ``""`` / ``"None"`` (blanks ignored): what a missing or None param renders to."""
    return value is None or (isinstance(value, str) and value.strip() in _NOT_GIVEN)


def optional(reader: Reader) -> Reader:
    """``reader``, but None, ``""`` and ``"None"`` (a missing or None param, rendered) mean None."""

    def read(field: str, value: Any) -> Any:
        if is_blank(value):
            return None
        return reader(field, value)

    read.__name__ = f"optional_{getattr(reader, '__name__', 'value')}"
    return _mark_secret(read) if is_secret(reader) else read


class Guard:
    """The reader of a safety argument: :func:`optional` ``reader``, plus what the argument turns on.

    The reader alone cannot tell "not given" from "given, but rendered blank" (both arrive as ``""``
    or None); :class:`TypedFields` can, because it saw the template at construction: it refuses the
    blank rendering of a guard given as a template, naming the argument and ``check``.
    """

    def __init__(self, reader: Reader, check: str) -> None:
        self.reader = optional(reader)
        #: A guard over a secret-bearing reader is one too (:func:`is_secret`).
        self.secret = is_secret(reader)
        #: What the argument turns on, in words for the error ("the check that staging holds ...").
        self.check = check
        self.__name__ = f"guard_{getattr(reader, '__name__', 'value')}"

    def __call__(self, field: str, value: Any) -> Any:
        return self.reader(field, value)


def guard(reader: Reader, *, check: str) -> Reader:
    """Declare a safety argument (``argument(None, reader=guard(text, check="..."))``); see :class:`Guard`."""
    return Guard(reader, check)


_JINJA_PART = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _given(value: Any, *, file: bool) -> str:
    """How a template argument was given, for messages: a file's name, a template's Jinja parts.

    Never the literal text around them: an inline ``.cscfg`` or a header template holds settings
    and tokens the masker does not know (``AccountKey=...``, ``Bearer ...``). A template that is
    one expression (``{{ params.build }}``) is quoted whole, since that is all it is.
    """
    if file:
        return f"the template file {value!r}"
    if isinstance(value, str):
        parts = _JINJA_PART.findall(value)
        if len(parts) == 1 and parts[0] == value.strip() and len(value) <= 200:
            return f"the template {value.strip()!r}"
        shown = " ".join(part if len(part) <= 80 else part[:77] + "..." for part in parts[:3])
        more = f" and {len(parts) - 3} more" if len(parts) > 3 else ""
        return f"an inline template ({len(value)} characters, using {shown}{more})"
    return f"an XCom ({type(value).__name__})"


# --------------------------------------------------------------------------- applying them
class TypedFields:
    """Mixin: read every declared argument strictly after rendering (and at construction if final).

    A class declares only its own arguments in ``field_readers``; the readers of its bases are
    merged in (MRO order, subclass wins). Put it before the Airflow base class:
    ``class MyOperator(TypedFields, BaseOperator)``.
    """

    field_readers: ClassVar[Mapping[str, Reader]] = {}

    @classmethod
    def all_field_readers(cls) -> dict[str, Reader]:
        """The merged ``field_readers`` of this class and its bases."""
        merged: dict[str, Reader] = {}
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("field_readers", {}))
        return merged

    def read_fields(self, *, final: bool = True) -> None:
        """Replace each declared argument by its typed value.

        ``final=False`` (construction): skip arguments not set yet and values still to be rendered
        (templates, XComArgs); they are read after rendering, and remembered as given: a safety
        argument (:func:`guard`) given so that renders blank fails. ``final=True``: everything must
        read.
        """
        templates = self._given_templates
        for field, reader in self.all_field_readers().items():
            if not hasattr(self, field):
                if final:
                    raise AttributeError(f"{type(self).__name__} declares a reader for unknown {field!r}")
                continue
            value = getattr(self, field)
            if not final and (is_template(value) or self._is_template_file(value)):
                templates[field] = _given(value, file=not is_template(value))
                continue
            check = reader.check if isinstance(reader, Guard) else None
            guarded = check is not None and field not in getattr(self, "blank_means_not_given", ())
            if not final and guarded and isinstance(value, str) and is_blank(value):
                # Text, not None: the caller passed something (f"{name}" of a None prints 'None').
                invalid(
                    field,
                    f"is {value!r}: blank text does not mean 'not given' for an argument that turns on "
                    f"{check}. Give the value, or leave the argument out (or pass None) to run "
                    f"without the check (blank_means_not_given=[{field!r}] makes blank mean that)",
                )
            if final and field in templates and is_blank(value):
                mapped = templates[field].startswith("a value given")
                said = "is" if mapped else "rendered to"
                self._blank_renderings[field] = f"{templates[field]} {said} {value!r}"
                if guarded:
                    source = "what expand() maps over" if mapped else "what the template reads"
                    invalid(
                        field,
                        f"was given ({templates[field]}) but {said} {value!r}: a missing param or an "
                        f"XCom that found nothing gives that. It turns on {check}, which a blank "
                        f"value must not silently turn off. Fix {source}, or leave the argument out to run "
                        "without the check (if a blank value is meant to turn it off for some runs, say "
                        f"so: blank_means_not_given=[{field!r}])",
                    )
            setattr(self, field, reader(field, value))
            if final and is_secret(reader):
                _mask(getattr(self, field))
        if final:
            #: Every declared argument holds its final, typed value (checks may rely on it).
            self.fields_final = True

    def _notes(self, name: str) -> dict[str, str]:
        """A per-instance ``{field: words}`` kept in ``__dict__`` (not through Airflow's
        ``__setattr__``: these are not arguments), created on first use."""
        found: dict[str, str] = self.__dict__.setdefault(name, {})
        return found

    def note_mapped_guards(self, passed: Iterable[str]) -> None:
        """Remember the safety arguments an unmapped task got from ``partial()`` / ``expand()``.

        Airflow builds a mapped task's operator with its ``expand()`` values already resolved (an
        XCom that found nothing arrives as None, not as an XComArg), so construction cannot see that
        they were given; a guard (:func:`guard`) among them that is blank must fail like a template
        that rendered blank, not silently turn its check off.
        """
        templates = self._given_templates
        for field, reader in self.all_field_readers().items():
            if isinstance(reader, Guard) and field in passed and field not in templates:
                templates[field] = "a value given through partial() or expand()"

    @property
    def _given_templates(self) -> dict[str, str]:
        """Field -> how it was given, for each argument that was a template at construction."""
        return self._notes("_asm_given_templates")

    @property
    def _blank_renderings(self) -> dict[str, str]:
        """Field -> "the template '...' rendered to ''", for each template argument that rendered blank."""
        return self._notes("_asm_blank_renderings")

    def given_as(self, field: str) -> str | None:
        """How ``field`` was given when it was a template at construction ("the template file
        'app.cscfg'", "the template '{{ params.x }}'", "an XCom (...)"), else None. For messages:
        never the rendered value (it may hold secrets)."""
        return self._given_templates.get(field)

    def rendered_blank(self, *fields: str) -> str:
        """Words for messages: which of ``fields`` were given as templates and rendered blank ("" if none).

        E.g. ``" (deployment_name: the template '{{ params.name }}' rendered to '')"``; an error that
        says "give exactly one of ..." reads wrong without it when the user did give one.
        """
        notes = [f"{f}: {self._blank_renderings[f]}" for f in fields if f in self._blank_renderings]
        return f" ({'; '.join(notes)})" if notes else ""

    def _is_template_file(self, value: Any) -> bool:
        """A value naming a template file (``template_ext``) is read after the file is rendered."""
        ext = tuple(getattr(self, "template_ext", ()) or ())
        return bool(ext) and isinstance(value, str) and value.endswith(ext)

    def render_template_fields(self, context: Context, jinja_env: jinja2.Environment | None = None) -> None:
        """Render (Airflow), then read every declared argument strictly: bad values fail here."""
        super().render_template_fields(context, jinja_env)  # type: ignore[misc]
        self.read_fields()

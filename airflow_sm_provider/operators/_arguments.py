"""An operator's own arguments, declared once on the class; the constructor is made from them.

Why: every operator's ``__init__`` used to be the same dozen lines -- take the arguments, store each
one under its own name, read the final ones, validate -- written out again per operator (and again
for the release operators). Now a class declares its arguments as class attributes::

    class AsmDeleteStorageAccountOperator(AsmBaseOperator):
        service_name: str = argument(reader=text)
        if_missing: str = argument("ignore", reader=text)

and :class:`DeclaredArguments` gives the class a real ``__init__`` whose signature lists exactly
those arguments (keyword-only, their defaults, their annotations, then ``**kwargs`` for the base).
A real signature is what Airflow reads: its operator metaclass applies ``default_args`` to the
parameters of each ``__init__`` in the hierarchy, reports missing required ones, and validates
``partial()`` / ``expand()`` arguments against them; ``tools/gen_reference.py`` documents them. The
values are stored by :class:`~airflow_sm_provider.operators.base.AsmBaseOperator`, in one place, before
it reads and validates them.

``argument(reader=...)`` also declares how the rendered value is read (``_rendering``): it is added
to the class's ``field_readers``; ``argument(templated=True)`` adds the argument to the class's
``template_fields``. So each argument is named once, with everything Airflow and the operator
need to know about it. Plain mixins (``.cscfg`` configuration, health checks) declare
their arguments the same way; an operator that inherits one lists them in its own signature.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

from airflow_sm_provider._rendering import Reader

__all__ = ["REQUIRED", "Argument", "DeclaredArguments", "argument"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of an argument the caller must give.
REQUIRED: Any = _Required()


class Argument:
    """One declared argument: its default (or :data:`REQUIRED`) and the reader of its rendered value."""

    __slots__ = ("default", "reader", "templated")

    def __init__(self, default: Any, reader: Reader | None, templated: bool) -> None:
        self.default = default
        self.reader = reader
        self.templated = templated

    def initial(self) -> Any:
        """The default for one instance (a mutable default is copied, never shared)."""
        return copy.copy(self.default) if isinstance(self.default, (dict, list, set)) else self.default


def argument(default: Any = REQUIRED, *, reader: Reader | None = None, templated: bool = False) -> Any:
    """Declare an argument of the class (typed ``Any`` so ``name: str = argument()`` type-checks).

    :param default: the default; :data:`REQUIRED` (the default) when the caller must give it.
    :param reader: reads the rendered value (``_rendering``); added to the class's ``field_readers``.
    :param templated: Jinja-rendered by Airflow: added to the class's ``template_fields``.
    """
    return Argument(default, reader, templated)


#: Class attribute: the arguments a :class:`DeclaredArguments` class declares itself (set at creation).
_HERE = "_arguments_declared_here"
#: Packages whose classes declare no arguments: their (many) attributes are never scanned.
_NO_ARGUMENTS = frozenset({"airflow", "builtins"})


def _declared_on(klass: type) -> dict[str, Argument]:
    """The arguments ``klass`` itself declares (not its bases).

    Why not ``vars()`` of every class in the MRO: Airflow's ``BaseOperator`` and its bases hold several
    hundred attributes, and scanning them twice per operator class was most of the cost of creating
    one (so of importing an operator module). A :class:`DeclaredArguments` class records its own at
    creation; a plain class of ours (or a test's) is scanned; Airflow's are skipped.
    """
    here: dict[str, Argument] | None = klass.__dict__.get(_HERE)
    if here is not None:
        return here
    if klass.__module__.partition(".")[0] in _NO_ARGUMENTS:
        return {}
    return {name: value for name, value in vars(klass).items() if isinstance(value, Argument)}


def _declared(cls: type) -> dict[str, tuple[type, Argument]]:
    """Every argument declared on ``cls`` and its bases: name -> (declaring class, argument)."""
    found: dict[str, tuple[type, Argument]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in _declared_on(klass).items():
            found[name] = (klass, value)
    return found


@functools.cache
def _operator_metaclass() -> type:
    """Airflow's operator metaclass, imported once (an import statement per class check is not free)."""
    from airflow.sdk.bases.operator import BaseOperatorMeta

    return BaseOperatorMeta


def _is_operator(cls: type) -> bool:
    return isinstance(cls, _operator_metaclass())


class DeclaredArguments:
    """Mixin: collect the class's :func:`argument` declarations; give operator classes their ``__init__``."""

    field_readers: ClassVar[Mapping[str, Reader]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        here = {n: a for n, a in vars(cls).items() if isinstance(a, Argument)}
        setattr(cls, _HERE, here)
        readers = {n: a.reader for n, a in here.items() if a.reader}
        if readers:
            cls.field_readers = {**vars(cls).get("field_readers", {}), **readers}
        if not _is_operator(cls):
            return
        own = cls.own_arguments()
        # A plain mixin (not DeclaredArguments) has no field_readers of its own: its readers go here.
        plain = {n: a.reader for n, (klass, a) in own.items() if a.reader and _HERE not in vars(klass)}
        if plain:
            cls.field_readers = {**plain, **vars(cls).get("field_readers", {})}
        templated = [n for n, (_, arg) in own.items() if arg.templated]
        if templated:
            fields = (*getattr(cls, "template_fields", ()), *templated)
            cls.template_fields = tuple(dict.fromkeys(fields))  # type: ignore[attr-defined]
        if own and "__init__" not in vars(cls):
            cls.__init__ = _make_init(cls, own)  # type: ignore[method-assign]

    @classmethod
    def declared_arguments(cls) -> dict[str, Argument]:
        """All arguments of this class and its bases (what ``AsmBaseOperator`` stores)."""
        return {name: arg for name, (_, arg) in _declared(cls).items()}

    @classmethod
    def own_arguments(cls) -> dict[str, tuple[type, Argument]]:
        """The arguments this class adds to (or declares again, e.g. with another default, over) those
        of the operator class it extends."""
        base = next((b for b in cls.__mro__[1:] if _is_operator(b)), object)
        inherited = {n: arg for n, (_, arg) in _declared(base).items()}
        return {n: found for n, found in _declared(cls).items() if inherited.get(n) is not found[1]}

    def init_arguments(self) -> None:
        """Adjust the stored arguments before they are read (a mixin calls ``super()`` first)."""

    def validate_inputs(self) -> None:
        """Check the arguments (a mixin calls ``super()``); see ``AsmBaseOperator.validate_inputs``."""

    def take_arguments(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Remove the declared arguments from ``kwargs``; their values (defaults filled in)."""
        values = {}
        for name, arg in self.declared_arguments().items():
            value = kwargs.pop(name, arg.initial())
            if value is REQUIRED:
                raise TypeError(f"{type(self).__name__}: missing keyword argument {name!r}")
            values[name] = value
        return values


def _make_init(cls: type, own: dict[str, tuple[type, Argument]]) -> Any:
    """An ``__init__`` that passes everything on to the base, with the signature of ``own``."""
    owner: Any = cls

    def __init__(self: Any, **kwargs: Any) -> None:
        super(owner, self).__init__(**kwargs)

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[type, dict[str, Any]] = {}  # read once per declaring class, not per argument
    for name, (klass, arg) in own.items():
        if klass not in annotations:
            annotations[klass] = inspect.get_annotations(klass)
        annotation = annotations[klass].get(name, inspect.Parameter.empty)
        default = inspect.Parameter.empty if arg.default is REQUIRED else arg.default
        params.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
    params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD, annotation="Any"))
    __init__.__signature__ = inspect.Signature(params, return_annotation="None")  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    __init__.__doc__ = f"Store the arguments of :class:`{cls.__name__}` (declared on the class)."
    return __init__

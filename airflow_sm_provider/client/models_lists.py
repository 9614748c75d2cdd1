"""The old SDK's list wrapper classes by name (``HostedServices``, ``RoleList``, ``DataVirtualHardDisks``).

Ported code builds them empty and fills them (``disks = DataVirtualHardDisks();
disks.data_virtual_hard_disks.append(...)``, then ``add_role(..., data_virtual_hard_disks=disks)``).
Here each is the ``xmlmap.AliasList`` subclass our models and results already hold: a real
``list`` answering to the old attribute. Nothing is listed by hand: every list a model holds (a
list-of-models field, found from the operations' results down) and every list an operation
returns has one, named by ``xmlmap``'s rule (``list_type_of``). The old SDK had two wrappers of
``.input_endpoints`` (``InputEndpoints`` of a deployment, ``ConfigurationSetInputEndpoints`` of a
network set); both names are the one class that answers to it.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client.operations import OPERATIONS
from airflow_sm_provider.client.xmlmap import LIST, AliasList, list_type_name_of, list_type_of, spec_of


def _listed_models() -> set[type]:
    """Every model some list holds: what an operation returns many of, and the item of every
    list-of-models field reachable from the operations' results (polymorphic items included)."""
    listed = {op.result for op in OPERATIONS.values() if op.many and op.result is not None}
    todo = [op.result for op in OPERATIONS.values() if op.result is not None]
    seen: set[type] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for f in spec_of(model).fields:
            if f.model is None:
                continue
            if f.kind == LIST:
                listed.add(f.model)
            todo += [f.model, *(f.poly or {}).values()]
    return listed


#: old wrapper class name -> the list class (a name per model: two may name one class, see above)
LIST_TYPES: dict[str, type[AliasList[Any]]] = {
    list_type_name_of(model): list_type_of(model) for model in _listed_models()
}
globals().update(LIST_TYPES)


def __getattr__(name: str) -> Any:  # the names above are made at import time: say so to mypy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The old SDK's list wrapper classes by name (``HostedServices``, ``RoleList``, ``DataVirtualHardDisks``).

Ported code builds them empty and fills them (``disks = DataVirtualHardDisks();
disks.data_virtual_hard_disks.append(...)``, then ``add_role(..., data_virtual_hard_disks=disks)``).
Here each is the ``xmlmap.AliasList`` subclass our models and results already hold: a real
``list`` answering to the old attribute. Nothing is listed by hand: every list a model holds (a
list-of-models field, found from the operations' results and request bodies down) and every list
an operation returns has one, named by ``xmlmap``'s rule (``list_type_of``). The old SDK had two
wrappers of ``.input_endpoints`` (``InputEndpoints`` of a deployment,
``ConfigurationSetInputEndpoints`` of a network set); both names are the one class that answers to
it. ``DnsServers`` (a VM deployment body's list) is ours: the old SDK had no class for it.

mypy sees the typed declarations ``tools/gen_client.py`` writes from the same walk
(``_list_types``: each class an ``AliasList[Item]`` with exactly its attribute, typed as the list
itself, so assigning it an iterable of items, or None, refills the list); at run time the names are
the classes ``xmlmap.alias_list_type`` made, and ``_list_types`` is never imported. A model's field
holding one is ``xmlmodel.ListOf[Wrapper, Item]``: read as the class, built and assigned from any
iterable of items.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.client.operations import OPERATIONS
from airflow_sm_provider.client.xmlmap import LIST, AliasList, F, list_type_name_of, list_type_of, spec_of

if TYPE_CHECKING:
    from airflow_sm_provider.client._list_types import *  # noqa: F403  # the typed classes


def listed_models() -> dict[type, list[F]]:
    """Every model some list holds -> the list-of-models fields holding it (empty for a list only
    an operation returns): what an operation returns many of, and the item of every list field
    reachable from the operations' results and request bodies (polymorphic items included)."""
    listed: dict[type, list[F]] = {
        op.result: [] for op in OPERATIONS.values() if op.many and op.result is not None
    }
    todo: list[Iterable[F]] = [spec_of(op.result).fields for op in OPERATIONS.values() if op.result]
    todo += [op.body.fields for op in OPERATIONS.values() if op.body is not None]
    seen: set[type] = set()
    while todo:
        for f in todo.pop():
            if f.model is None:
                continue
            if f.kind == LIST and "__view_of__" not in vars(f.model):  # a view's list: its model's
                listed.setdefault(f.model, []).append(f)
            for model in (f.model, *(f.poly or {}).values()):
                if model not in seen:
                    seen.add(model)
                    todo.append(spec_of(model).fields)
    return listed


#: old wrapper class name -> the list class (a name per model: two may name one class, see above)
LIST_TYPES: dict[str, type[AliasList[Any]]] = {
    list_type_name_of(model): list_type_of(model) for model in listed_models()
}
globals().update(LIST_TYPES)

"""The old SDK's list wrapper classes by name (``HostedServices``, ``RoleList``, ``DataVirtualHardDisks``).

Ported code builds them empty and fills them (``disks = DataVirtualHardDisks();
disks.data_virtual_hard_disks.append(...)``, then ``add_role(..., data_virtual_hard_disks=disks)``).
Here each is the ``xmlmap.AliasList`` subclass our models and results already hold: a real
``list`` answering to the old attribute. Nothing is listed by hand: every list a model holds (a
list-of-models field) and every list an operation returns has one, named by ``xmlmap``'s rule
(``list_type_of``). The old SDK had two wrappers of ``.input_endpoints`` (``InputEndpoints`` of a
deployment, ``ConfigurationSetInputEndpoints`` of a network set); both names are the one class that
answers to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from airflow_sm_provider.client import (
    configsets,
    models_catalog,
    models_compute,
    models_media,
    models_network,
    models_storage,
    models_subscription,
)
from airflow_sm_provider.client.operations import OPERATIONS
from airflow_sm_provider.client.xmlmap import LIST, AliasList, Spec, list_type_name_of, list_type_of

_MODEL_MODULES = (
    configsets,
    models_catalog,
    models_compute,
    models_media,
    models_network,
    models_storage,
    models_subscription,
)


def _listed_models() -> Iterator[type]:
    """Every model some list holds: the item of a list field, or what an operation returns many of."""
    for module in _MODEL_MODULES:
        for value in vars(module).values():
            spec = value.__dict__.get("__xml__") if isinstance(value, type) else None
            if isinstance(spec, Spec):
                yield from (f.model for f in spec.fields if f.kind == LIST and f.model is not None)
    yield from (op.result for op in OPERATIONS.values() if op.many and op.result is not None)


#: old wrapper class name -> the list class (a name per model: two may name one class, see above)
LIST_TYPES: dict[str, type[AliasList]] = {
    list_type_name_of(model): list_type_of(model) for model in _listed_models()
}
globals().update(LIST_TYPES)


def __getattr__(name: str) -> Any:  # the names above are made at import time: say so to mypy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

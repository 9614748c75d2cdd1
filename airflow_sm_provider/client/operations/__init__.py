"""The operation table: every ASM operation of the client, one ``Op`` entry each, by family.

``OPERATIONS`` (name -> Op) is what ``tools/gen_client.py`` generates the client methods from and
what the clients dispatch on. Adding an operation: one entry in a family module (plus its emulator
handler and tests), then ``python tools/gen_client.py``.
"""

from __future__ import annotations

import inspect
from typing import Any

from airflow_sm_provider.client.operation import Op
from airflow_sm_provider.client.operations import (
    cloud,
    deployments,
    images,
    network,
    storage,
    subscription,
    vms,
)
from airflow_sm_provider.client.transport import ApiRequest

FAMILIES = (subscription, cloud, deployments, storage, vms, images, network)
OPERATIONS: dict[str, Op] = {op.name: op for family in FAMILIES for op in family.OPS}

if len(OPERATIONS) != sum(len(f.OPS) for f in FAMILIES):  # pragma: no cover - a table error
    raise RuntimeError("two operation entries share a name")


def request_for(name: str, *args: Any, **kwargs: Any) -> ApiRequest:
    """The request ``client.<name>(*args, **kwargs)`` would send, built without a client or I/O.

    For tests, audits and dry runs; raises ``InvalidInputError`` exactly as the call would.
    """
    from airflow_sm_provider.client._generated import OperationMethods

    bound = inspect.signature(getattr(OperationMethods, name)).bind(None, *args, **kwargs)
    bound.apply_defaults()
    return OPERATIONS[name].bind(bound.args[1:])[0]

"""Parameter declarations that several operations of the table share.

A label, a description, a location or affinity group and extended properties mean the same on
every resource that has them (cloud services, storage accounts, affinity groups, deployments,
images): one declaration each, so their annotation, default and check cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.operation import P, State, reads_back
from airflow_sm_provider.client.operations import _checks as c

__all__ = [
    "DEPLOYMENT_NAME",
    "DESCRIPTION",
    "EXTENDED_PROPERTIES",
    "LABEL",
    "OPTIONAL_AFFINITY_GROUP",
    "OPTIONAL_LABEL",
    "OPTIONAL_LOCATION",
    "ROLE_NAME",
    "SERVICE_NAME",
    "created",
]

#: A required label (sent base64 where the body says so).
LABEL = P("label", check=v.label)
#: A label that may be left out (an update that changes something else).
OPTIONAL_LABEL = P("label", "str | None", None, c.opt_label)
DESCRIPTION = P("description", "str | None", None, v.description)
OPTIONAL_LOCATION = P("location", "str | None", None, c.opt_location)
OPTIONAL_AFFINITY_GROUP = P("affinity_group", "str | None", None, c.opt_text)
EXTENDED_PROPERTIES = P("extended_properties", "dict[str, str] | None", None, v.extended_properties)


#: Path members named the same in every operation that addresses them.
SERVICE_NAME = P("service_name", check=c.name)
DEPLOYMENT_NAME = P("deployment_name", check=c.name)
ROLE_NAME = P("role_name", check=c.name)


def created(
    read_op: str, name: str, decide: Callable[[list[Any], Mapping[str, Any]], State]
) -> dict[str, Any]:
    """The entry options of a create addressed by one name: never resent blindly, its target is the
    named resource, and a lost answer is reconciled by reading that resource back (``read_op``)."""
    return {"resend": False, "target": f"{{{name}}}", "reconcile": reads_back(read_op, name, decide=decide)}

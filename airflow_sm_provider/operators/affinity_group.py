"""Operators for affinity groups (co-locate cloud services and storage in one region)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import optional, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import (
    check_name,
    check_region,
    check_text,
    choice,
)
from airflow_sm_provider.operators.base import (
    IF_EXISTS,
    IF_MISSING,
    AsmBaseOperator,
    AsmUpdateOperator,
    diff,
    get_or_none,
)

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = [
    "AsmCreateAffinityGroupOperator",
    "AsmDeleteAffinityGroupOperator",
    "AsmUpdateAffinityGroupOperator",
]


def _group_result(group: Any, name: str, status: str, request_id: str | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "label": getattr(group, "label", ""),
        "location": getattr(group, "location", ""),
        "request_id": request_id,
        "status": status,
    }


class AsmCreateAffinityGroupOperator(AsmBaseOperator):
    """Create an affinity group in a region, idempotently.

    :param name: unique in the subscription.
    :param location: region, e.g. "West US".
    :param group_label: display label (up to 100 characters); defaults to ``name``.
    :param description: free text (up to 1024 characters).
    :param if_exists: "fail" (default) or "reuse" a group with the same location and label (and
        description when given); a differing one is an error naming the fields.
    """

    name: str = argument(reader=text, templated=True)
    location: str = argument(reader=text, templated=True)
    group_label: str | None = argument(None, reader=optional(text), templated=True)
    description: str | None = argument(None, reader=optional(text), templated=True)
    if_exists: str = argument("fail", reader=choice(IF_EXISTS), templated=True)
    operation_name = "create affinity group"
    default_poll_interval = 5.0
    default_timeout = 600.0

    def validate_inputs(self) -> None:
        check_name("name", self.name)
        check_region("location", self.location)
        check_text("group_label", self.group_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        group = get_or_none(client.get_affinity_group_properties, self.name)
        if group is None:
            return None
        what = f"Affinity group {self.name!r}"
        differing = diff(
            {
                "location": (self.location, group.location),
                "group_label": (self.group_label or self.name, group.label),
                "description": (self.description, group.description),
            }
        )
        self.reuse_existing(what, differing, adopt=adopt)
        return {**_group_result(group, self.name, "Exists"), "reused": True}

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.create_affinity_group(
            self.name, self.group_label or self.name, self.location, self.description
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        group = get_or_none(client.get_affinity_group_properties, self.name)
        return {**_group_result(group, self.name, status, request_id), "reused": False}


class AsmUpdateAffinityGroupOperator(AsmUpdateOperator):
    """Change an affinity group's label or description (its location cannot change).

    The group is read first; when it already has the label and description asked for, no request
    is sent (``status`` "Unchanged", ``changed`` empty), so a re-run or a retry does not redo it (a
    retry that finds the update of the try it follows done: "Succeeded", that try's ``changed``,
    ``by_previous_try`` True).

    :param name: the affinity group.
    :param group_label: new label (up to 100 characters), or None to keep it.
    :param description: new description (up to 1024 characters), or None to keep it.
    """

    name: str = argument(reader=text, templated=True)
    group_label: str | None = argument(None, reader=optional(text), templated=True)
    description: str | None = argument(None, reader=optional(text), templated=True)
    operation_name = "update affinity group"
    default_poll_interval = 5.0
    default_timeout = 600.0
    update_fields = ("group_label", "description")
    _label: str = ""  # the group's label (set by ``check_existing``)

    def validate_inputs(self) -> None:
        super().validate_inputs()
        check_name("name", self.name)
        check_text("group_label", self.group_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        group = client.get_affinity_group_properties(self.name)
        self._label = group.label
        differing = diff(
            {
                "group_label": (self.group_label, group.label),
                "description": (self.description, group.description),
            }
        )
        if not self.changes(f"Affinity group {self.name!r}", differing, adopt=adopt):
            return self.build_result(client, None, self.unchanged_status)
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        # Update Affinity Group always carries a label: the current one unless a new one is asked for.
        description = self.description if "description" in self._changed else None
        return client.update_affinity_group(self.name, self.group_label or self._label, description)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        group = get_or_none(client.get_affinity_group_properties, self.name)
        return {
            **_group_result(group, self.name, status, request_id),
            "changed": list(self._changed),
            "by_previous_try": self._by_previous_try,
        }


class AsmDeleteAffinityGroupOperator(AsmBaseOperator):
    """Delete an affinity group (it must no longer hold services or storage accounts).

    :param name: the affinity group.
    :param if_missing: "ignore" (default) or "fail" when it does not exist.
    """

    name: str = argument(reader=text, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete affinity group"
    default_poll_interval = 5.0
    default_timeout = 600.0

    def validate_inputs(self) -> None:
        check_name("name", self.name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        group = get_or_none(client.get_affinity_group_properties, self.name)
        if group is None:
            self.nothing_to_delete(f"Affinity group {self.name!r}", adopt=adopt)
            return {"name": self.name, "request_id": None, "status": "Absent"}
        users = [s.service_name for s in (group.hosted_services or []) + (group.storage_services or [])]
        if users:
            from airflow_sm_provider.client.errors import ConflictError

            raise ConflictError(
                f"Affinity group {self.name!r} still holds {users}; delete or move them first",
                code=protocol.ERR_CONFLICT,
                before_request=True,
            )
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_affinity_group(self.name)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {"name": self.name, "request_id": request_id, "status": status}

"""Operators for cloud services (the old SDK's "hosted services")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, mapping, optional, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import (
    check_location,
    check_service_name,
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
    "AsmCreateCloudServiceOperator",
    "AsmDeleteCloudServiceOperator",
    "AsmUpdateCloudServiceOperator",
]


def _service_result(client: ServiceManagementClient, name: str, request_id: str | None, status: str) -> dict:
    svc = get_or_none(client.get_hosted_service_properties, name)
    props = getattr(svc, "hosted_service_properties", None)
    return {
        "service_name": name,
        "url": getattr(svc, "url", ""),
        "location": getattr(props, "location", ""),
        "affinity_group": getattr(props, "affinity_group", ""),
        "label": getattr(props, "label", ""),
        "request_id": request_id,
        "status": status,
    }


class AsmCreateCloudServiceOperator(AsmBaseOperator):
    """Create a cloud service (``<service_name>.cloudapp.net``), idempotently.

    :param service_name: DNS prefix, unique in Azure.
    :param service_label: display label (up to 100 characters); defaults to ``service_name``.
    :param description: free text (up to 1024 characters).
    :param location: region, e.g. "West US". Exactly one of ``location`` / ``affinity_group``.
    :param affinity_group: affinity group to place the service in.
    :param extended_properties: name/value pairs stored with the service.
    :param if_exists: "fail" (default) or "reuse" an existing service whose location, affinity
        group, label and description match; a differing one is an error naming the fields.
    """

    service_name: str = argument(reader=text, templated=True)
    service_label: str | None = argument(None, reader=optional(text), templated=True)
    description: str | None = argument(None, reader=optional(text), templated=True)
    location: str | None = argument(None, reader=optional(text), templated=True)
    affinity_group: str | None = argument(None, reader=optional(text), templated=True)
    extended_properties: dict[str, str] | None = argument(None, reader=optional(mapping), templated=True)
    if_exists: str = argument("fail", reader=choice(IF_EXISTS), templated=True)
    operation_name = "create cloud service"
    default_poll_interval = 5.0
    default_timeout = 600.0

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)
        check_text("service_label", self.service_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)
        check_location(self.location, self.affinity_group)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        svc = get_or_none(client.get_hosted_service_properties, self.service_name)
        if svc is None:
            return None
        what = f"Cloud service {self.service_name!r}"
        props = svc.hosted_service_properties
        differing = diff(
            {
                "location": (self.location or None, props.location or None),
                "affinity_group": (self.affinity_group or None, props.affinity_group or None),
                "service_label": (self.service_label or self.service_name, props.label),
                "description": (self.description, props.description),
            }
        )
        self.reuse_existing(what, differing, adopt=adopt)
        return {**_service_result(client, self.service_name, None, "Exists"), "reused": True}

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.create_hosted_service(
            self.service_name,
            self.service_label or self.service_name,
            self.description,
            self.location or None,
            self.affinity_group or None,
            self.extended_properties,
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {**_service_result(client, self.service_name, request_id, status), "reused": False}


class AsmUpdateCloudServiceOperator(AsmUpdateOperator):
    """Change a cloud service's label, description or extended properties (merged).

    The service is read first; only what differs from it is sent, and when nothing differs no
    request is sent at all (``status`` "Unchanged", ``changed`` empty), so a re-run or a retry does
    not redo the update (a retry that finds the update of the try it follows done: "Succeeded",
    that try's ``changed``, ``by_previous_try`` True). Extended properties are merged: they differ
    when a given key is missing or has another value, and only those keys are sent.

    :param service_name: the cloud service.
    :param service_label: new label (up to 100 characters), or None to keep it.
    :param description: new description (up to 1024 characters), or None to keep it.
    :param extended_properties: properties to add or overwrite; others are kept.
    """

    service_name: str = argument(reader=text, templated=True)
    service_label: str | None = argument(None, reader=optional(text), templated=True)
    description: str | None = argument(None, reader=optional(text), templated=True)
    extended_properties: dict[str, str] | None = argument(None, reader=optional(mapping), templated=True)
    operation_name = "update cloud service"
    default_poll_interval = 5.0
    default_timeout = 600.0
    update_fields = ("service_label", "description", "extended_properties")
    #: The given extended properties whose value differs from the service's (set by ``check_existing``).
    _changed_props: dict[str, str] | None = None

    def validate_inputs(self) -> None:
        super().validate_inputs()
        check_service_name("service_name", self.service_name)
        check_text("service_label", self.service_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        props = client.get_hosted_service_properties(self.service_name).hosted_service_properties
        current = props.extended_properties or {}
        self._changed_props = {
            k: str(v) for k, v in (self.extended_properties or {}).items() if current.get(k) != str(v)
        } or None
        differing = diff(
            {
                "service_label": (self.service_label, props.label),
                "description": (self.description, props.description),
                "extended_properties": (self._changed_props, {}),
            }
        )
        if not self.changes(f"Cloud service {self.service_name!r}", differing, adopt=adopt):
            return self.build_result(client, None, self.unchanged_status)
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        changed = set(self._changed)
        return client.update_hosted_service(
            self.service_name,
            self.service_label if "service_label" in changed else None,
            self.description if "description" in changed else None,
            self._changed_props if "extended_properties" in changed else None,
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            **_service_result(client, self.service_name, request_id, status),
            "changed": list(self._changed),
            "by_previous_try": self._by_previous_try,
        }


class AsmDeleteCloudServiceOperator(AsmBaseOperator):
    """Delete a cloud service, optionally with its deployments, disks and VHD blobs.

    :param service_name: the cloud service.
    :param delete_deployments: also delete every deployment and its OS/data disks and VHDs (one
        ``comp=media`` request). When False and deployments exist, the task reads the service,
        sends no delete, and fails ("Not sent (ConflictError): ...") naming them.
    :param if_missing: "ignore" (default: the goal, no service, is reached) or "fail".
    """

    service_name: str = argument(reader=text, templated=True)
    delete_deployments: bool = argument(False, reader=boolean, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete cloud service"
    default_poll_interval = 10.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        svc = get_or_none(client.get_hosted_service_properties, self.service_name, True)
        if svc is None:
            self.nothing_to_delete(f"Cloud service {self.service_name!r}", adopt=adopt)
            return {"service_name": self.service_name, "request_id": None, "status": "Absent"}
        names = [d.name for d in (getattr(svc, "deployments", None) or [])]
        if names and not self.delete_deployments:
            from airflow_sm_provider.client.errors import ConflictError

            raise ConflictError(
                f"Cloud service {self.service_name!r} still has deployments {names}; delete them first or "
                "pass delete_deployments=True (also deletes their disks and VHDs)",
                code=protocol.ERR_CONFLICT,
                before_request=True,
            )
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_hosted_service(self.service_name, complete=self.delete_deployments)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {"service_name": self.service_name, "request_id": request_id, "status": status}

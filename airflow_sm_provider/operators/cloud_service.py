"""Operators for cloud services (the old SDK's "hosted services")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, mapping, optional, text
from airflow_sm_provider.operators._checks import (
    check_choice,
    check_location,
    check_service_name,
    check_text,
    invalid,
    is_template,
)
from airflow_sm_provider.operators.base import (
    IF_EXISTS,
    IF_MISSING,
    AsmBaseOperator,
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

    template_fields: Sequence[str] = (
        *AsmBaseOperator.template_fields,
        "service_name",
        "service_label",
        "description",
        "location",
        "affinity_group",
        "extended_properties",
        "if_exists",
    )
    field_readers = {
        "service_name": text,
        "service_label": optional(text),
        "description": optional(text),
        "location": optional(text),
        "affinity_group": optional(text),
        "extended_properties": optional(mapping),
        "if_exists": text,
    }
    operation_name = "create cloud service"
    default_poll_interval = 5.0
    default_timeout = 600.0

    def __init__(
        self,
        *,
        service_name: str,
        service_label: str | None = None,
        description: str | None = None,
        location: str | None = None,
        affinity_group: str | None = None,
        extended_properties: dict[str, str] | None = None,
        if_exists: str = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.service_name = service_name
        self.service_label = service_label
        self.description = description
        self.location = location
        self.affinity_group = affinity_group
        self.extended_properties = extended_properties
        self.if_exists = if_exists
        self.read_fields(final=False)
        self.validate_inputs()

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)
        check_text("service_label", self.service_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)
        check_location(self.location, self.affinity_group)
        check_choice("if_exists", self.if_exists, IF_EXISTS)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        svc = get_or_none(client.get_hosted_service_properties, self.service_name)
        if svc is None:
            return None
        what = f"Cloud service {self.service_name!r}"
        if self.if_exists == "fail" and not adopt:
            self.exists_error(what)
        props = svc.hosted_service_properties
        differing = diff(
            {
                "location": (self.location or None, props.location or None),
                "affinity_group": (self.affinity_group or None, props.affinity_group or None),
                "service_label": (self.service_label or self.service_name, props.label),
                "description": (self.description, props.description),
            }
        )
        if differing:
            self.mismatch(what, differing)
        self.log.info("%s already exists as requested; reusing it.", what)
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


class AsmUpdateCloudServiceOperator(AsmBaseOperator):
    """Change a cloud service's label, description or extended properties (merged).

    :param service_name: the cloud service.
    :param service_label: new label (up to 100 characters), or None to keep it.
    :param description: new description, or None to keep it.
    :param extended_properties: properties to add or overwrite; others are kept.
    """

    template_fields: Sequence[str] = (
        *AsmBaseOperator.template_fields,
        "service_name",
        "service_label",
        "description",
        "extended_properties",
    )
    field_readers = {
        "service_name": text,
        "service_label": optional(text),
        "description": optional(text),
        "extended_properties": optional(mapping),
    }
    operation_name = "update cloud service"
    default_poll_interval = 5.0
    default_timeout = 600.0

    def __init__(
        self,
        *,
        service_name: str,
        service_label: str | None = None,
        description: str | None = None,
        extended_properties: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.service_name = service_name
        self.service_label = service_label
        self.description = description
        self.extended_properties = extended_properties
        self.read_fields(final=False)
        self.validate_inputs()

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)
        check_text("service_label", self.service_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)
        values = (self.service_label, self.description, self.extended_properties)
        if not any(is_template(v) for v in values) and all(v is None for v in values):
            invalid(
                "service_label",
                "give at least one of service_label, description or extended_properties to update",
            )

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.update_hosted_service(
            self.service_name, self.service_label, self.description, self.extended_properties
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return _service_result(client, self.service_name, request_id, status)


class AsmDeleteCloudServiceOperator(AsmBaseOperator):
    """Delete a cloud service, optionally with its deployments, disks and VHD blobs.

    :param service_name: the cloud service.
    :param delete_deployments: also delete every deployment and its OS/data disks and VHDs (one
        ``comp=media`` request). When False and deployments exist, the task fails before sending
        anything and names them.
    :param if_missing: "ignore" (default: the goal, no service, is reached) or "fail".
    """

    template_fields: Sequence[str] = (
        *AsmBaseOperator.template_fields,
        "service_name",
        "delete_deployments",
        "if_missing",
    )
    field_readers = {"service_name": text, "delete_deployments": boolean, "if_missing": text}
    operation_name = "delete cloud service"
    default_poll_interval = 10.0
    default_timeout = 1800.0

    def __init__(
        self,
        *,
        service_name: str,
        delete_deployments: bool = False,
        if_missing: str = "ignore",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.service_name = service_name
        self.delete_deployments = delete_deployments
        self.if_missing = if_missing
        self.read_fields(final=False)
        self.validate_inputs()

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)
        check_choice("if_missing", self.if_missing, IF_MISSING)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        svc = get_or_none(client.get_hosted_service_properties, self.service_name, True)
        if svc is None:
            if self.if_missing == "fail" and not adopt:
                self.missing_error(f"Cloud service {self.service_name!r}")
            self.log.info("Cloud service %r does not exist; nothing to delete.", self.service_name)
            return {"service_name": self.service_name, "request_id": None, "status": "Absent"}
        names = [d.name for d in (getattr(svc, "deployments", None) or [])]
        if names and not self.delete_deployments:
            from airflow_sm_provider.client.errors import ConflictError

            raise ConflictError(
                f"Cloud service {self.service_name!r} still has deployments {names}; delete them first or "
                "pass delete_deployments=True (also deletes their disks and VHDs)",
                code=protocol.ERR_CONFLICT,
            )
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_hosted_service(self.service_name, complete=self.delete_deployments)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {"service_name": self.service_name, "request_id": request_id, "status": status}

"""Operators for classic storage accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import mapping, optional, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import (
    check_location,
    check_storage_name,
    check_text,
    choice,
)
from airflow_sm_provider.operators.base import (
    IF_EXISTS,
    IF_MISSING,
    AsmBaseOperator,
    SettleProbe,
    diff,
    get_or_none,
)

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = ["AsmCreateStorageAccountOperator", "AsmDeleteStorageAccountOperator"]


def _account_result(client: ServiceManagementClient, name: str, request_id: str | None, status: str) -> dict:
    """Names and endpoints only: the account keys are secrets and never go to XCom."""
    acct = get_or_none(client.get_storage_account_properties, name)
    props = getattr(acct, "storage_service_properties", None)
    return {
        "service_name": name,
        "url": getattr(acct, "url", ""),
        "endpoints": list(getattr(props, "endpoints", None) or []),
        "location": getattr(props, "location", ""),
        "affinity_group": getattr(props, "affinity_group", ""),
        "account_type": getattr(props, "account_type", ""),
        "account_status": getattr(props, "status", ""),
        "request_id": request_id,
        "status": status,
    }


class AsmCreateStorageAccountOperator(AsmBaseOperator):
    """Create a storage account (``<service_name>.blob.core.windows.net``), idempotently.

    :param service_name: 3-24 lowercase letters and digits, unique in Azure.
    :param account_label: display label (up to 100 characters); defaults to ``service_name``.
    :param description: free text (up to 1024 characters).
    :param location: region. Exactly one of ``location`` / ``affinity_group``.
    :param affinity_group: affinity group to place the account in.
    :param account_type: replication, e.g. "Standard_LRS" (the old SDK's default Standard_GRS).
    :param extended_properties: name/value pairs stored with the account.
    :param if_exists: "fail" (default) or "reuse" an account in the same place with the same type
        and label; a differing one is an error naming the fields.
    """

    service_name: str = argument(reader=text, templated=True)
    account_label: str | None = argument(None, reader=optional(text), templated=True)
    description: str | None = argument(None, reader=optional(text), templated=True)
    location: str | None = argument(None, reader=optional(text), templated=True)
    affinity_group: str | None = argument(None, reader=optional(text), templated=True)
    account_type: str = argument(
        "Standard_GRS", reader=choice(protocol.STORAGE_ACCOUNT_TYPES), templated=True
    )
    extended_properties: dict[str, str] | None = argument(None, reader=optional(mapping), templated=True)
    if_exists: str = argument("fail", reader=choice(IF_EXISTS), templated=True)
    operation_name = "create storage account"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_storage_name("service_name", self.service_name)
        check_text("account_label", self.account_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)
        check_location(self.location, self.affinity_group)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        acct = get_or_none(client.get_storage_account_properties, self.service_name)
        if acct is None:
            return None
        what = f"Storage account {self.service_name!r}"
        if self.if_exists == "fail" and not adopt:
            self.exists_error(what)
        props = acct.storage_service_properties
        differing = diff(
            {
                "location": (self.location or None, props.location or None),
                "affinity_group": (self.affinity_group or None, props.affinity_group or None),
                "account_type": (self.account_type, props.account_type),
                "account_label": (self.account_label or self.service_name, props.label),
            }
        )
        if differing:
            self.mismatch(what, differing)
        self.log.info("%s already exists as requested; reusing it.", what)
        return {**_account_result(client, self.service_name, None, "Exists"), "reused": True}

    def settle_probe(self, client: ServiceManagementClient) -> SettleProbe | None:
        from airflow_sm_provider.client.polling import Probe, storage_created_condition

        name = self.service_name
        probe = Probe(
            f"storage account {name} Created",
            storage_created_condition,
            lambda: client.get_storage_account_properties(name),
        )
        return probe, None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.create_storage_account(
            self.service_name,
            self.description,
            self.account_label or self.service_name,
            affinity_group=self.affinity_group or None,
            location=self.location or None,
            extended_properties=self.extended_properties,
            account_type=self.account_type,
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {**_account_result(client, self.service_name, request_id, status), "reused": False}


class AsmDeleteStorageAccountOperator(AsmBaseOperator):
    """Delete a storage account and everything stored in it.

    :param service_name: the storage account.
    :param if_missing: "ignore" (default) or "fail" when it does not exist.
    """

    service_name: str = argument(reader=text, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete storage account"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_storage_name("service_name", self.service_name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        if get_or_none(client.get_storage_account_properties, self.service_name) is not None:
            return None
        if self.if_missing == "fail" and not adopt:
            self.missing_error(f"Storage account {self.service_name!r}")
        self.log.info("Storage account %r does not exist; nothing to delete.", self.service_name)
        return {"service_name": self.service_name, "request_id": None, "status": "Absent"}

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_storage_account(self.service_name)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {"service_name": self.service_name, "request_id": request_id, "status": status}

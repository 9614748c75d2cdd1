"""Storage accounts and affinity groups (asm-wire 4.4, 4.5). Labels are base64 on the wire."""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.models import (
    AffinityGroup,
    AvailabilityResponse,
    StorageService,
    StorageServiceProperties,
)
from airflow_sm_provider.client.operation import Op, P, Q, State, delete, read
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.operations import _params as common
from airflow_sm_provider.client.validation import location_xor_affinity_group
from airflow_sm_provider.client.xmlmap import F, Spec
from airflow_sm_provider.client.xmlmodel import fields_of, subset

STORAGE = "/services/storageservices"
ACCOUNT = f"{STORAGE}/{{service_name}}"
AFFINITY = "/affinitygroups"
GROUP = f"{AFFINITY}/{{affinity_group_name}}"
GROUP_NAME = P("affinity_group_name", check=c.name)


def _account_type(values: dict[str, Any]) -> None:
    """The old SDK's rule: ``geo_replication_enabled=False`` means a locally redundant account."""
    if values.get("geo_replication_enabled") is False:
        values["account_type"] = "Standard_LRS"


def _create_storage(values: dict[str, Any]) -> None:
    location_xor_affinity_group(values["location"], values["affinity_group"])
    _account_type(values)


def _account_has_label(results: list[Any], args: Any) -> State:
    acct = results[0]
    if acct is None:
        return "absent"
    props = acct.storage_service_properties  # None only in a response without the properties
    return "applied" if props is not None and props.label == args["label"] else "unknown"


def _group_matches(results: list[Any], args: Any) -> State:
    group = results[0]
    if group is None:
        return "absent"
    return "applied" if group.label == args["label"] and group.location == args["location"] else "unknown"


#: The settings Create and Update Storage Account both take, after the names and labels.
ACCOUNT_SETTINGS = (
    P("geo_replication_enabled", "bool | None", None, c.opt_flag),
    common.EXTENDED_PROPERTIES,
    P("account_type", "str", "Standard_GRS", c.account_type),
)
#: What both bodies send after the names, labels and places: the account's properties and type.
ACCOUNT_SETTINGS_FIELDS = (
    *fields_of(StorageService, "extended_properties"),
    *fields_of(StorageServiceProperties, "account_type"),
)

OPS = (
    read("list_storage_accounts", STORAGE, result=StorageService, many=True),
    read("get_storage_account_properties", ACCOUNT, common.SERVICE_NAME, result=StorageService),
    read(
        "get_storage_account_keys",
        f"{ACCOUNT}/keys",
        common.SERVICE_NAME,
        result=StorageService,
        secret_answer=True,
    ),
    Op(
        "regenerate_storage_account_keys",
        "POST",
        f"{ACCOUNT}/keys",
        (common.SERVICE_NAME, P("key_type", check=c.key_type)),
        query=(Q("action", "regenerate"),),
        body=Spec("RegenerateKeys", [F("KeyType", "key_type")]),
        result=StorageService,
        secret_answer=True,
        resend=False,
        is_async=False,
        doc="Returns the account with its new keys; regenerating twice would change the key twice.",
    ),
    read(
        "check_storage_account_name_availability",
        f"{STORAGE}/operations/isavailable/{{service_name}}",
        common.SERVICE_NAME,
        result=AvailabilityResponse,
    ),
    Op(
        "create_storage_account",
        "POST",
        STORAGE,
        (
            P("service_name", check=v.storage_name),
            P("description", "str | None", check=v.description),
            common.LABEL,
            common.OPTIONAL_AFFINITY_GROUP,
            common.OPTIONAL_LOCATION,
            *ACCOUNT_SETTINGS,
        ),
        body=Spec(
            "CreateStorageServiceInput",
            [
                *fields_of(StorageService, "service_name"),
                *fields_of(StorageServiceProperties, "description", "label", "affinity_group", "location"),
                *ACCOUNT_SETTINGS_FIELDS,
            ],
        ),
        validate=_create_storage,
        **common.created("get_storage_account_properties", "service_name", _account_has_label),
    ),
    Op(
        "update_storage_account",
        "PUT",
        ACCOUNT,
        (
            common.SERVICE_NAME,
            common.DESCRIPTION,
            common.OPTIONAL_LABEL,
            *ACCOUNT_SETTINGS,
        ),
        body=Spec(
            "UpdateStorageServiceInput",
            [*fields_of(StorageServiceProperties, "description", "label"), *ACCOUNT_SETTINGS_FIELDS],
        ),
        validate=_account_type,
        is_async=False,
    ),
    delete("delete_storage_account", ACCOUNT, common.SERVICE_NAME),
    # --- affinity groups (synchronous on the service) ------------------------------------------------
    read("list_affinity_groups", AFFINITY, result=AffinityGroup, many=True),
    read("get_affinity_group_properties", GROUP, GROUP_NAME, result=AffinityGroup),
    Op(
        "create_affinity_group",
        "POST",
        AFFINITY,
        (
            P("name", check=c.name),
            common.LABEL,
            P("location", check=c.location),
            common.DESCRIPTION,
        ),
        body=subset(AffinityGroup, "name", "label", "description", "location", root="CreateAffinityGroup"),
        is_async=False,
        **common.created("get_affinity_group_properties", "name", _group_matches),
    ),
    Op(
        "update_affinity_group",
        "PUT",
        GROUP,
        (GROUP_NAME, common.LABEL, common.DESCRIPTION),
        body=subset(AffinityGroup, "label", "description", root="UpdateAffinityGroup"),
        is_async=False,
    ),
    delete("delete_affinity_group", GROUP, GROUP_NAME, is_async=False),
)

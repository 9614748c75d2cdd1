"""Storage accounts and affinity groups (asm-wire 4.4, 4.5). Labels are base64 on the wire."""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.models import AffinityGroup, AvailabilityResponse, StorageService
from airflow_sm_provider.client.operation import Op, P, Q, State, delete, read, reads_back
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.validation import location_xor_affinity_group
from airflow_sm_provider.client.xmlmap import B64, DICT, F, Spec

STORAGE = "/services/storageservices"
ACCOUNT = f"{STORAGE}/{{service_name}}"
AFFINITY = "/affinitygroups"
GROUP = f"{AFFINITY}/{{affinity_group_name}}"
SVC = P("service_name", check=c.name)
GROUP_NAME = P("affinity_group_name", check=c.name)
EXT = P("extended_properties", "dict[str, str] | None", None, v.extended_properties)


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
    return "applied" if acct.storage_service_properties.label == args["label"] else "unknown"


def _group_matches(results: list[Any], args: Any) -> State:
    group = results[0]
    if group is None:
        return "absent"
    return "applied" if group.label == args["label"] and group.location == args["location"] else "unknown"


OPS = (
    read("list_storage_accounts", STORAGE, result=StorageService, many=True),
    read("get_storage_account_properties", ACCOUNT, SVC, result=StorageService),
    read("get_storage_account_keys", f"{ACCOUNT}/keys", SVC, result=StorageService),
    Op(
        "regenerate_storage_account_keys",
        "POST",
        f"{ACCOUNT}/keys",
        (SVC, P("key_type", check=c.key_type)),
        query=(Q("action", "regenerate"),),
        body=Spec("RegenerateKeys", [F("KeyType", "key_type")]),
        result=StorageService,
        resend=False,
        is_async=False,
        doc="Returns the account with its new keys; regenerating twice would change the key twice.",
    ),
    read(
        "check_storage_account_name_availability",
        f"{STORAGE}/operations/isavailable/{{service_name}}",
        SVC,
        result=AvailabilityResponse,
    ),
    Op(
        "create_storage_account",
        "POST",
        STORAGE,
        (
            P("service_name", check=v.storage_name),
            P("description", "str | None", check=v.description),
            P("label", check=v.label),
            P("affinity_group", "str | None", None, c.opt_text),
            P("location", "str | None", None, c.opt_location),
            P("geo_replication_enabled", "bool | None", None, c.opt_flag),
            EXT,
            P("account_type", "str", "Standard_GRS", c.account_type),
        ),
        body=Spec(
            "CreateStorageServiceInput",
            [
                F("ServiceName", "service_name"),
                F("Description", "description"),
                F("Label", "label", B64),
                F("AffinityGroup", "affinity_group"),
                F("Location", "location"),
                F("ExtendedProperties", "extended_properties", DICT),
                F("AccountType", "account_type"),
            ],
        ),
        validate=_create_storage,
        resend=False,
        target="{service_name}",
        reconcile=reads_back("get_storage_account_properties", "service_name", decide=_account_has_label),
    ),
    Op(
        "update_storage_account",
        "PUT",
        ACCOUNT,
        (
            SVC,
            P("description", "str | None", None, v.description),
            P("label", "str | None", None, c.opt_label),
            P("geo_replication_enabled", "bool | None", None, c.opt_flag),
            EXT,
            P("account_type", "str", "Standard_GRS", c.account_type),
        ),
        body=Spec(
            "UpdateStorageServiceInput",
            [
                F("Description", "description"),
                F("Label", "label", B64),
                F("ExtendedProperties", "extended_properties", DICT),
                F("AccountType", "account_type"),
            ],
        ),
        validate=_account_type,
        is_async=False,
    ),
    delete("delete_storage_account", ACCOUNT, SVC),
    # --- affinity groups (synchronous on the service) ------------------------------------------------
    read("list_affinity_groups", AFFINITY, result=AffinityGroup, many=True),
    read("get_affinity_group_properties", GROUP, GROUP_NAME, result=AffinityGroup),
    Op(
        "create_affinity_group",
        "POST",
        AFFINITY,
        (
            P("name", check=c.name),
            P("label", check=v.label),
            P("location", check=c.location),
            P("description", "str | None", None, v.description),
        ),
        body=Spec(
            "CreateAffinityGroup",
            [
                F("Name", "name"),
                F("Label", "label", B64),
                F("Description", "description"),
                F("Location", "location"),
            ],
        ),
        is_async=False,
        resend=False,
        target="{name}",
        reconcile=reads_back("get_affinity_group_properties", "name", decide=_group_matches),
    ),
    Op(
        "update_affinity_group",
        "PUT",
        GROUP,
        (GROUP_NAME, P("label", check=v.label), P("description", "str | None", None, v.description)),
        body=Spec("UpdateAffinityGroup", [F("Label", "label", B64), F("Description", "description")]),
        is_async=False,
    ),
    delete("delete_affinity_group", GROUP, GROUP_NAME, is_async=False),
)

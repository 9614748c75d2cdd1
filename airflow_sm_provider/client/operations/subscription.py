"""The subscription itself: its properties, catalogues, operation status and log, management
certificates (asm-wire 1.4, 2, 4.1)."""

from __future__ import annotations

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.models import (
    Location,
    OperatingSystem,
    OperatingSystemFamily,
    Operation,
    Subscription,
    SubscriptionCertificate,
)
from airflow_sm_provider.client.models_subscription import RoleSize, SubscriptionOperationCollection
from airflow_sm_provider.client.operation import Op, P, Q, delete, read
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.xmlmap import spec_of

THUMB = P("thumbprint", check=c.thumbprint)
OPT = "str | None"

OPS = (
    read("get_subscription", "", result=Subscription),
    read("list_subscriptions", "/subscriptions", result=Subscription, many=True, root=True),
    read("list_locations", "/locations", result=Location, many=True),
    read("list_operating_systems", "/operatingsystems", result=OperatingSystem, many=True),
    read(
        "list_operating_system_families", "/operatingsystemfamilies", result=OperatingSystemFamily, many=True
    ),
    read("list_role_sizes", "/rolesizes", result=RoleSize, many=True),
    read(
        "get_operation_status",
        "/operations/{request_id}",
        P("request_id", check=v.request_id),
        result=Operation,
    ),
    read(
        "list_subscription_operations",
        "/operations",
        *c.optional_texts(
            "start_time", "end_time", "object_id_filter", "operation_result_filter", "continuation_token"
        ),
        query=(
            Q("StartTime", param="start_time"),
            Q("EndTime", param="end_time"),
            Q("ObjectIdFilter", param="object_id_filter"),
            Q("OperationResultFilter", param="operation_result_filter"),
            Q("ContinuationToken", param="continuation_token"),
        ),
        result=SubscriptionOperationCollection,
        doc="Times are ISO-8601 (``2015-06-30T00:00:00Z``); page with the returned ``continuation_token``.",
    ),
    # --- management certificates (the ones that authenticate API callers) ----------------------------
    read("list_management_certificates", "/certificates", result=SubscriptionCertificate, many=True),
    read("get_management_certificate", "/certificates/{thumbprint}", THUMB, result=SubscriptionCertificate),
    Op(
        "add_management_certificate",
        "POST",
        "/certificates",
        (
            P("public_key", "str", check=v.base64_data),
            P("thumbprint", check=c.thumbprint),
            P("data", "str", check=v.base64_data),
        ),
        body=spec_of(SubscriptionCertificate),
        source=lambda a: SubscriptionCertificate(a["public_key"], a["thumbprint"], a["data"]),
        is_async=False,
    ),
    delete("delete_management_certificate", "/certificates/{thumbprint}", THUMB, is_async=False),
)

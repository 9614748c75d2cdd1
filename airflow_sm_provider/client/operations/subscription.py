"""The subscription itself: its properties, catalogues, operation status and log, management
certificates (asm-wire 1.4, 2, 4.1)."""

from __future__ import annotations

from airflow_sm_provider.client.models import (
    Location,
    OperatingSystem,
    OperatingSystemFamily,
    Operation,
    Subscription,
    SubscriptionCertificate,
)
from airflow_sm_provider.client.models_subscription import RoleSize, SubscriptionOperationCollection
from airflow_sm_provider.client.operation import Op, P, Q
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.xmlmap import F, Spec

THUMB = P("thumbprint", check=c.thumbprint)
OPT = "str | None"

OPS = (
    Op("get_subscription", "GET", "", result=Subscription),
    Op("list_subscriptions", "GET", "/subscriptions", result=Subscription, many=True, root=True),
    Op("list_locations", "GET", "/locations", result=Location, many=True),
    Op("list_operating_systems", "GET", "/operatingsystems", result=OperatingSystem, many=True),
    Op(
        "list_operating_system_families",
        "GET",
        "/operatingsystemfamilies",
        result=OperatingSystemFamily,
        many=True,
    ),
    Op("list_role_sizes", "GET", "/rolesizes", result=RoleSize, many=True),
    Op(
        "get_operation_status",
        "GET",
        "/operations/{request_id}",
        (P("request_id", check=c.request_id),),
        result=Operation,
    ),
    Op(
        "list_subscription_operations",
        "GET",
        "/operations",
        (
            P("start_time", OPT, None, c.opt_text),
            P("end_time", OPT, None, c.opt_text),
            P("object_id_filter", OPT, None, c.opt_text),
            P("operation_result_filter", OPT, None, c.opt_text),
            P("continuation_token", OPT, None, c.opt_text),
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
    Op("list_management_certificates", "GET", "/certificates", result=SubscriptionCertificate, many=True),
    Op(
        "get_management_certificate",
        "GET",
        "/certificates/{thumbprint}",
        (THUMB,),
        result=SubscriptionCertificate,
    ),
    Op(
        "add_management_certificate",
        "POST",
        "/certificates",
        (
            P("public_key", "str", check=c.base64_data),
            P("thumbprint", check=c.thumbprint),
            P("data", "str", check=c.base64_data),
        ),
        body=Spec(
            "SubscriptionCertificate",
            [
                F("SubscriptionCertificatePublicKey", "public_key"),
                F("SubscriptionCertificateThumbprint", "thumbprint"),
                F("SubscriptionCertificateData", "data"),
            ],
        ),
        is_async=False,
    ),
    Op("delete_management_certificate", "DELETE", "/certificates/{thumbprint}", (THUMB,), is_async=False),
)

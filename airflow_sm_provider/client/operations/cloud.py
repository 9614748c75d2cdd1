"""Cloud (hosted) services and their service certificates (asm-wire 4.2).

Labels are base64 on the wire here. Creates reconcile by reading the service back.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.models import AvailabilityResponse, HostedService, HostedServiceProperties
from airflow_sm_provider.client.models_subscription import Certificate
from airflow_sm_provider.client.operation import Op, P, Q, State, delete, read
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.operations import _params as common
from airflow_sm_provider.client.validation import InvalidInputError, location_xor_affinity_group
from airflow_sm_provider.client.xmlmap import F, Spec
from airflow_sm_provider.client.xmlmodel import fields_of, subset

HOSTED = "/services/hostedservices"
SERVICE = f"{HOSTED}/{{service_name}}"
CERTIFICATE = f"{SERVICE}/certificates/{{thumbalgorithm}}-{{thumbprint}}"
CERTIFICATE_ID = (
    common.SERVICE_NAME,
    P("thumbalgorithm", check=c.thumbalgorithm),
    P("thumbprint", check=c.thumbprint),
)


def _where(values: dict[str, Any]) -> None:
    location_xor_affinity_group(values["location"], values["affinity_group"])


def _something(values: dict[str, Any]) -> None:
    if all(values[k] is None for k in ("label", "description", "extended_properties")):
        raise InvalidInputError("label", "nothing to update: pass label, description or extended_properties.")


def _service_has_label(results: list[Any], args: Any) -> State:
    svc = results[0]
    if svc is None:
        return "absent"
    return "applied" if svc.hosted_service_properties.label == args["label"] else "unknown"


OPS = (
    read("list_hosted_services", HOSTED, result=HostedService, many=True),
    read(
        "get_hosted_service_properties",
        SERVICE,
        common.SERVICE_NAME,
        P("embed_detail", "bool", False, v.boolean),
        query=(Q("embed-detail", param="embed_detail", fmt=lambda b: "true" if b else "false"),),
        result=HostedService,
    ),
    read(
        "check_hosted_service_name_availability",
        f"{HOSTED}/operations/isavailable/{{service_name}}",
        common.SERVICE_NAME,
        result=AvailabilityResponse,
    ),
    Op(
        "create_hosted_service",
        "POST",
        HOSTED,
        (
            P("service_name", check=v.service_name),
            common.LABEL,
            common.DESCRIPTION,
            common.OPTIONAL_LOCATION,
            common.OPTIONAL_AFFINITY_GROUP,
            common.EXTENDED_PROPERTIES,
        ),
        body=Spec(
            "CreateHostedService",
            [
                *fields_of(HostedService, "service_name"),
                *fields_of(
                    HostedServiceProperties,
                    "label",
                    "description",
                    "location",
                    "affinity_group",
                    "extended_properties",
                ),
            ],
        ),
        validate=_where,
        **common.created("get_hosted_service_properties", "service_name", _service_has_label),
    ),
    Op(
        "update_hosted_service",
        "PUT",
        SERVICE,
        (common.SERVICE_NAME, common.OPTIONAL_LABEL, common.DESCRIPTION, common.EXTENDED_PROPERTIES),
        body=subset(
            HostedServiceProperties, "label", "description", "extended_properties", root="UpdateHostedService"
        ),
        validate=_something,
        is_async=False,
    ),
    delete("delete_hosted_service", SERVICE, common.SERVICE_NAME, media="complete"),
    # --- service certificates (the certificates a cloud service's roles use) ----------------------
    read(
        "list_service_certificates",
        f"{SERVICE}/certificates",
        common.SERVICE_NAME,
        result=Certificate,
        many=True,
    ),
    read("get_service_certificate", CERTIFICATE, *CERTIFICATE_ID, result=Certificate),
    Op(
        "add_service_certificate",
        "POST",
        f"{SERVICE}/certificates",
        (
            common.SERVICE_NAME,
            P("data", "str | bytes", check=v.base64_data),
            P("certificate_format", check=c.certificate_format),
            P("password", "str | None", None, c.opt_text),
        ),
        body=Spec(
            "CertificateFile",
            [F("Data", "data"), F("CertificateFormat", "certificate_format"), F("Password", "password")],
        ),
        # Adding the same certificate twice is harmless (the service keeps one per thumbprint).
        doc="The certificate ``data`` is base64 (line-wrapped base64 is accepted).",
    ),
    delete("delete_service_certificate", CERTIFICATE, *CERTIFICATE_ID),
)

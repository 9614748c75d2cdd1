"""Cloud (hosted) services and their service certificates (asm-wire 4.2).

Labels are base64 on the wire here. Creates reconcile by reading the service back.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client.models import AvailabilityResponse, HostedService
from airflow_sm_provider.client.models_subscription import Certificate
from airflow_sm_provider.client.operation import Op, P, Q, Reconcile, State
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.validation import InvalidInputError, location_xor_affinity_group
from airflow_sm_provider.client.xmlmap import B64, DICT, F, Spec

HOSTED = "/services/hostedservices"
SERVICE = f"{HOSTED}/{{service_name}}"
SVC = P("service_name", check=c.name)
EXT = P("extended_properties", "dict[str, str] | None", None, c.ext_props)
DESC = P("description", "str | None", None, c.description)


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
    Op("list_hosted_services", "GET", HOSTED, result=HostedService, many=True),
    Op(
        "get_hosted_service_properties",
        "GET",
        SERVICE,
        (SVC, P("embed_detail", "bool", False, c.flag)),
        query=(Q("embed-detail", param="embed_detail", fmt=lambda b: "true" if b else "false"),),
        result=HostedService,
    ),
    Op(
        "check_hosted_service_name_availability",
        "GET",
        f"{HOSTED}/operations/isavailable/{{service_name}}",
        (SVC,),
        result=AvailabilityResponse,
    ),
    Op(
        "create_hosted_service",
        "POST",
        HOSTED,
        (
            P("service_name", check=c.service_name),
            P("label", check=c.label),
            DESC,
            P("location", "str | None", None, c.opt_location),
            P("affinity_group", "str | None", None, c.opt_text),
            EXT,
        ),
        body=Spec(
            "CreateHostedService",
            [
                F("ServiceName", "service_name"),
                F("Label", "label", B64),
                F("Description", "description"),
                F("Location", "location"),
                F("AffinityGroup", "affinity_group"),
                F("ExtendedProperties", "extended_properties", DICT),
            ],
        ),
        validate=_where,
        resend=False,
        target="{service_name}",
        reconcile=Reconcile(
            (("get_hosted_service_properties", lambda a: (a["service_name"],)),), _service_has_label
        ),
    ),
    Op(
        "update_hosted_service",
        "PUT",
        SERVICE,
        (SVC, P("label", "str | None", None, c.opt_label), DESC, EXT),
        body=Spec(
            "UpdateHostedService",
            [
                F("Label", "label", B64),
                F("Description", "description"),
                F("ExtendedProperties", "extended_properties", DICT),
            ],
        ),
        validate=_something,
        is_async=False,
    ),
    Op(
        "delete_hosted_service",
        "DELETE",
        SERVICE,
        (SVC, P("complete", "bool", False, c.flag)),
        query=(Q("comp", "media", when="complete"),),
    ),
    # --- service certificates (the certificates a cloud service's roles use) ----------------------
    Op(
        "list_service_certificates",
        "GET",
        f"{SERVICE}/certificates",
        (SVC,),
        result=Certificate,
        many=True,
    ),
    Op(
        "get_service_certificate",
        "GET",
        f"{SERVICE}/certificates/{{thumbalgorithm}}-{{thumbprint}}",
        (SVC, P("thumbalgorithm", check=c.thumbalgorithm), P("thumbprint", check=c.thumbprint)),
        result=Certificate,
    ),
    Op(
        "add_service_certificate",
        "POST",
        f"{SERVICE}/certificates",
        (
            SVC,
            P("data", "str | bytes", check=c.base64_data),
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
    Op(
        "delete_service_certificate",
        "DELETE",
        f"{SERVICE}/certificates/{{thumbalgorithm}}-{{thumbprint}}",
        (SVC, P("thumbalgorithm", check=c.thumbalgorithm), P("thumbprint", check=c.thumbprint)),
    ),
)

"""The subscription's own resources: management certificates, List Subscriptions, List Subscription
Operations (asm-wire.md 1.4, 2.2, 5.1).

Management certificates ARE the emulator's authentication: adding one authorises it on the
subscription from the next request on, deleting one makes its holder get 403 ForbiddenError.
``SubscriptionCertificate{SubscriptionCertificatePublicKey, SubscriptionCertificateThumbprint,
SubscriptionCertificateData, Created}``; Data is the base64 DER of the .cer, and the thumbprint must
be its SHA-1 (400 BadRequest otherwise). Add answers 201 Created, delete 200 (synchronous, as the
old SDK treats them). Certificates registered outside the API (the emulator's own client
certificate, ``--register-cert``) are listed with empty key and data.

List Subscriptions (``GET /subscriptions``): the real call wanted an Azure AD token; the emulator
answers a certificate with the subscriptions it is registered on (``service.py`` authenticates it).

List Subscription Operations (``GET /<sub>/operations?StartTime=&EndTime=&ObjectIdFilter=
&OperationResultFilter=&ContinuationToken=``): every operation of the subscription whose start is
in the window, ``OperationName`` the PascalCase of the operation kind (CreateHostedService),
``OperationObjectId`` the path of a GET on the object it acted on (the request path; for a create
POSTed to a collection, the new resource's path), ``OperationParameters`` the names in its path,
``OperationCaller`` the certificate that sent it; pages of ``PAGE`` with a ContinuationToken.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import time

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    caller_thumbprint,
    conflict,
    empty,
    handler,
    not_found,
    required,
    xml,
)
from airflow_sm_provider.emulator.handlers.operations import dashed
from airflow_sm_provider.emulator.handlers.seed import subscription_doc
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.xmlio import Builder, timestamp, whole_number

KIND = "management_certificate"
#: The namespace of ``<a:Name>`` / ``<a:Value>`` in OperationParameter (the old SDK reads ``a:Name``).
DATA_CONTRACT_NS = "http://schemas.datacontract.org/2004/07/Microsoft.WindowsAzure.ServiceManagement"
PAGE = 1000
MSG_CERT_NOT_FOUND = "The specified certificate does not exist."


def _certificate(b: Builder, thumbprint: str, doc: dict[str, str] | None) -> None:
    doc = doc or {}
    b.add("SubscriptionCertificatePublicKey", doc.get("public_key", ""))
    b.add("SubscriptionCertificateThumbprint", thumbprint.upper())
    b.add("SubscriptionCertificateData", doc.get("data", ""))
    b.add("Created", doc.get("created", ""))


def _thumbprints(ctx: Ctx) -> list[str]:
    return [t for s, t in ctx.store.certificates() if s == ctx.sub.lower()]


@handler("list_management_certificates")
def list_certificates(ctx: Ctx) -> Response:
    root = Builder.root("SubscriptionCertificates")
    for thumb in _thumbprints(ctx):
        _certificate(root.child("SubscriptionCertificate"), thumb, ctx.store.get(ctx.sub, KIND, thumb))
    return xml(200, root)


@handler("get_management_certificate")
def get_certificate(ctx: Ctx) -> Response:
    thumb = ctx.route.params["thumbprint"].strip().lower()
    if thumb not in _thumbprints(ctx):
        raise not_found(MSG_CERT_NOT_FOUND)
    root = Builder.root("SubscriptionCertificate")
    _certificate(root, thumb, ctx.store.get(ctx.sub, KIND, thumb))
    return xml(200, root)


@handler("add_management_certificate")
def add_certificate(ctx: Ctx) -> Response:
    body = ctx.body("SubscriptionCertificate")
    thumb = required(body, "SubscriptionCertificateThumbprint").replace(":", "").strip()
    raw = required(body, "SubscriptionCertificateData")
    try:
        der = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad_request("The value of SubscriptionCertificateData is not a valid base64 string.") from exc
    actual = hashlib.sha1(der, usedforsecurity=False).hexdigest()
    if actual.lower() != thumb.lower():
        raise bad_request(
            f"The SubscriptionCertificateThumbprint {thumb} is not the SHA-1 thumbprint of the "
            f"certificate in SubscriptionCertificateData ({actual.upper()})."
        )
    if thumb.lower() in _thumbprints(ctx):
        raise conflict("A certificate with the specified thumbprint already exists in the subscription.")
    doc = {
        "public_key": body.text("SubscriptionCertificatePublicKey") or "",
        "data": "".join(raw.split()),
        "created": timestamp(ctx.now),
    }
    ctx.store.put(ctx.sub, KIND, thumb.lower(), doc)
    ctx.store.add_certificate(ctx.sub, thumb)
    ctx.start_operation("add_management_certificate")
    return empty(201)


@handler("delete_management_certificate")
def delete_certificate(ctx: Ctx) -> Response:
    thumb = ctx.route.params["thumbprint"].strip().lower()
    if thumb not in _thumbprints(ctx):
        raise not_found(MSG_CERT_NOT_FOUND)
    ctx.store.remove_certificate(ctx.sub, thumb)
    ctx.store.delete(ctx.sub, KIND, thumb)
    ctx.start_operation("delete_management_certificate")
    return empty(200)


@handler("list_subscriptions")
def list_subscriptions(ctx: Ctx) -> Response:
    root = Builder.root("Subscriptions")
    for sub in ctx.store.subscriptions_of(caller_thumbprint(ctx.request.client_cert_der)):
        doc = ctx.store.subscription(sub) or subscription_doc(sub, ctx.now)
        entry = root.child("Subscription").add("SubscriptionID", doc["id"])
        entry.add("SubscriptionName", doc["name"]).add("SubscriptionStatus", doc["status"])
        entry.add("AccountAdminLiveEmailId", doc["admin_email"]).add(
            "ServiceAdminLiveEmailId", doc["admin_email"]
        )
        entry.add("MaxCoreCount", doc["max_cores"]).add("MaxStorageAccounts", doc["max_storage"])
        entry.add("MaxHostedServices", doc["max_hosted"])
        entry.add("AADTenantID", "00000000-0000-0000-0000-000000000000")
        entry.add("CreatedTime", timestamp(doc["created"]))
    return xml(200, root)


def _epoch(raw: str | None, name: str, default: float) -> float:
    if raw is None or not raw.strip():
        return default
    text = raw.strip().replace("Z", "").split(".")[0]
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return float(calendar.timegm(time.strptime(text, fmt)))
        except ValueError:
            continue
    raise bad_request(f"The {name} '{raw}' is not a valid date and time.", p.ERR_MISSING_QUERY)


def _pascal(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


@handler("list_subscription_operations")
def list_operations(ctx: Ctx) -> Response:
    query = {k.lower(): v for k, v in ctx.request.query.items()}
    start = _epoch(query.get("starttime"), "StartTime", 0.0)
    end = _epoch(query.get("endtime"), "EndTime", ctx.now + 1)
    wanted_object = (query.get("objectidfilter") or "").rstrip("/").lower()
    result = (query.get("operationresultfilter") or "").lower()
    if result and result not in [s.lower() for s in p.OPERATION_STATUSES]:
        raise bad_request(f"The OperationResultFilter '{result}' is not valid.", p.ERR_MISSING_QUERY)
    skip = whole_number(query.get("continuationtoken") or "0")
    if skip is None:
        raise bad_request("The ContinuationToken is not valid.", p.ERR_MISSING_QUERY)
    found = [
        op
        for op in ctx.store.operations(ctx.sub)
        if start <= op.started <= end
        and (not wanted_object or op.completion.get("object", "").lower() == wanted_object)
        and (not result or op.status.lower() == result)
    ]
    page, offset = found[skip : skip + PAGE], skip + PAGE
    root = Builder.root("SubscriptionOperationCollection")
    box = root.child("SubscriptionOperations")
    for op in page:
        entry = box.child("SubscriptionOperation").add("OperationId", dashed(op.id))
        entry.add("OperationObjectId", op.completion.get("object", ""))
        entry.add("OperationName", _pascal(op.kind))
        params = entry.child("OperationParameters")
        for key, value in (op.completion.get("params") or {}).items():
            param = params.child("OperationParameter")  # data-contract names, as the old SDK expects
            param.add_foreign("Name", key, DATA_CONTRACT_NS, "a").add_foreign(
                "Value", value, DATA_CONTRACT_NS, "a"
            )
        caller = entry.child("OperationCaller").add("UsedServiceManagementApi", True)
        caller.add("SubscriptionCertificateThumbprint", op.completion.get("caller", ""))
        status = entry.child("OperationStatus").add("ID", dashed(op.id)).add("Status", op.status)
        if op.status != p.OP_IN_PROGRESS:
            status.add("HttpStatusCode", op.http_status or 200)
        entry.add("OperationStartedTime", timestamp(op.started))
        if op.status != p.OP_IN_PROGRESS:
            entry.add("OperationCompletedTime", timestamp(op.ends))
    if offset < len(found):
        root.add("ContinuationToken", str(offset))
    return xml(200, root)

"""Service certificates of a hosted service: list, get, add (async, ~5 s), delete (async).

Shapes from the old SDK (``Certificates{Certificate*{CertificateUrl, Thumbprint, ThumbprintAlgorithm,
Data}}``; ``POST .../certificates`` with ``CertificateFile{Data, CertificateFormat, Password}``; the
certificate is addressed as ``.../certificates/<thumbalgorithm>-<thumbprint>``). ``Data`` in
answers is the base64 DER of the public certificate whatever was uploaded (a .pfx keeps its private
key server-side, as the real store did); the thumbprint is the SHA-1 of that DER, upper-case hex.

Choices (no recording): a certificate becomes visible when its operation ends; adding one that is
already there succeeds and changes nothing (scripts re-ran Add-AzureCertificate freely); Data that is
not base64 or not a certificate, an unknown CertificateFormat (pfx | cer) or a wrong .pfx password:
400 BadRequest naming the field; an unknown thumbprint or algorithm: 404 ResourceNotFound.
Deployments whose .cscfg names a certificate the service does not have are refused 400 BadRequest
(``deployments.py``), which is why a certificate must be uploaded before the first deployment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import partial

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    completion,
    doc_deleted,
    empty,
    handler,
    not_found,
    render_kind,
    render_one,
    required,
)
from airflow_sm_provider.emulator.handlers.hosted import get_service
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.xmlio import Builder

KIND = "service_certificate"
MSG_NOT_FOUND = "The specified certificate does not exist."
FORMATS = ("pfx", "cer")


def cert_key(service: str, algorithm: str, thumbprint: str) -> str:
    return f"{service}/{algorithm.lower()}-{thumbprint.upper()}"


def certificates_of(store: Store, sub: str, service: str) -> list[Doc]:
    return store.list_docs(sub, KIND, prefix=f"{service}/")


def _public_der(data: bytes, fmt: str, password: str | None) -> bytes:
    if fmt == "cer":
        try:
            return x509.load_der_x509_certificate(data).public_bytes(serialization.Encoding.DER)
        except ValueError:
            cert = x509.load_pem_x509_certificate(data)  # a PEM .cer was accepted as well
            return cert.public_bytes(serialization.Encoding.DER)
    secret = password.encode() if password else None
    try:
        _, found, others = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        raise bad_request(
            "The Password is not the password of the .pfx in Data, or Data is not a .pfx."
        ) from exc
    if found is None and others:
        # A certificate-only .pfx (``openssl pkcs12 -export -nokeys``, how the Ansible azure module
        # uploads an SSH certificate) holds its certificate among the "additional" ones.
        found = others[0]
    if found is None:
        raise bad_request("The .pfx in Data holds no certificate.")
    return found.public_bytes(serialization.Encoding.DER)


def _render(ctx: Ctx, b: Builder, cert: Doc) -> None:
    url = ctx.mgmt_url(
        "services", "hostedservices", cert["service"], "certificates", f"sha1-{cert['thumbprint']}"
    )
    b.add("CertificateUrl", url).add("Thumbprint", cert["thumbprint"])
    b.add("ThumbprintAlgorithm", cert["algorithm"]).add("Data", cert["data"])


@handler("list_service_certificates")
def list_certificates(ctx: Ctx) -> Response:
    svc = get_service(ctx, ctx.route.params["service"])
    certificates = certificates_of(ctx.store, ctx.sub, svc["name"])
    return render_kind("Certificates", "Certificate", partial(_render, ctx), certificates)


def _find(ctx: Ctx) -> Doc:
    svc = get_service(ctx, ctx.route.params["service"])
    algorithm, _, thumbprint = ctx.route.params["certificate"].partition("-")
    cert = ctx.store.get(ctx.sub, KIND, cert_key(svc["name"], algorithm, thumbprint)) if thumbprint else None
    if cert is None:
        raise not_found(MSG_NOT_FOUND)
    return cert


@handler("get_service_certificate")
def get(ctx: Ctx) -> Response:
    return render_one("Certificate", partial(_render, ctx), _find(ctx))


@handler("add_service_certificate")
def add(ctx: Ctx) -> Response:
    svc = get_service(ctx, ctx.route.params["service"])
    body = ctx.body("CertificateFile")
    raw = required(body, "Data")
    fmt = required(body, "CertificateFormat").lower()
    if fmt not in FORMATS:
        raise bad_request(f"The CertificateFormat '{fmt}' is not valid. Valid values are pfx and cer.")
    try:
        data = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad_request("The value of Data is not a valid base64 string.") from exc
    try:
        der = _public_der(data, fmt, body.text("Password"))
    except ValueError as exc:
        raise bad_request(f"The Data is not a valid {fmt} certificate.") from exc
    thumbprint = hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()
    doc = {
        "service": svc["name"],
        "algorithm": "sha1",
        "thumbprint": thumbprint,
        "data": base64.b64encode(der).decode("ascii"),
    }
    ctx.start_operation("add_service_certificate", {"action": "certificate_added", "doc": doc})
    return empty(202)


@completion("certificate_added")
def _added(store: Store, op: Operation, step: Doc, now: float) -> None:
    doc = step["doc"]
    if store.get(op.sub, "hosted_service", doc["service"]) is not None:
        store.put(op.sub, KIND, cert_key(doc["service"], doc["algorithm"], doc["thumbprint"]), doc)


@handler("delete_service_certificate")
def delete(ctx: Ctx) -> Response:
    cert = _find(ctx)
    key = cert_key(cert["service"], cert["algorithm"], cert["thumbprint"])
    ctx.start_operation("delete_service_certificate", doc_deleted(KIND, key))
    return empty(202)

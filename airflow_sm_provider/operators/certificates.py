"""Service certificates of a cloud service: add (before an HTTPS service's first deployment), delete.

Idempotent by thumbprint: the operator computes the certificate's SHA-1 thumbprint before sending and
asks ASM whether the service already holds it (``if_exists="reuse"``, the default, succeeds without a
request). The certificate data and its password are secrets: masked, never in XCom or logs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_sm_provider._rendering import is_template, optional, secret, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import check_service_name, choice, invalid
from airflow_sm_provider.operators.base import IF_EXISTS, IF_MISSING, AsmBaseOperator, get_or_none

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = [
    "AsmAddServiceCertificateOperator",
    "AsmDeleteServiceCertificateOperator",
    "certificate_thumbprint",
]

FORMATS = ("pfx", "cer")


def certificate_thumbprint(
    data: bytes,
    certificate_format: str,
    password: str | None,
    *,
    field: str = "data",
    path: str | None = None,
    origin: str = "password=",
) -> str:
    """The SHA-1 thumbprint ASM files a certificate under (upper-case hex of the DER certificate).

    ``field`` names the argument the bytes came from (``data`` or ``certificate_path``: the
    ``InvalidInputError`` field), ``path`` the file when there was one, ``origin`` where
    the password came from; neither the password nor the data is ever shown.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    what = f"{path!r} " if path is not None else ""
    if certificate_format == "pfx":
        try:
            _, cert, _ = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
        except ValueError:
            if password:
                invalid(
                    field,
                    f"{what}could not be opened with the password from {origin}: the password "
                    "is wrong, or the file is not a PKCS#12 (.pfx) file",
                )
            invalid(
                field,
                f"{what}could not be opened without a password: it is password-protected PKCS#12 (or "
                "not PKCS#12 at all); pass its password with password= or password_variable=",
            )
        if cert is None:
            invalid(field, f"{what}is a .pfx that holds no certificate")
        der = cert.public_bytes(Encoding.DER)
    else:
        try:
            der = x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)
        except ValueError:
            try:
                der = x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
            except ValueError as exc:
                invalid(field, f"{what}is not a DER or PEM certificate ({exc})")
    return hashlib.sha1(der).hexdigest().upper()  # noqa: S324 -- ASM's thumbprint is SHA-1 by definition


class _CertificateStoreAction(AsmBaseOperator):
    """A call on the certificate store of cloud service ``service_name``: a quick metadata operation."""

    service_name: str
    default_poll_interval = 5.0
    default_timeout = 600.0

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)


class AsmAddServiceCertificateOperator(_CertificateStoreAction):
    """Upload a certificate to a cloud service (old SDK ``add_service_certificate``).

    :param service_name: the cloud service.
    :param data: the certificate as base64 text; or give ``certificate_path``.
    :param certificate_path: a ``.pfx`` or ``.cer`` file read by the worker.
    :param certificate_format: "pfx" (with its private key, for HTTPS endpoints) or "cer".
    :param password: the ``.pfx`` password (a secret: masked, never logged or returned). Not templated
        (a rendered template is shown in the UI): pass it, or name an Airflow Variable instead.
    :param password_variable: the Airflow Variable holding the password, read at run time.
    :param if_exists: "reuse" (default: the same thumbprint is already there, nothing sent) or "fail".
    """

    service_name: str = argument(reader=text, templated=True)
    data: str | None = argument(None)
    certificate_path: str | None = argument(None, reader=optional(text), templated=True)
    certificate_format: str = argument("pfx", reader=choice(FORMATS))
    password: str | None = argument(None, reader=optional(secret))
    password_variable: str | None = argument(None, reader=optional(text))
    if_exists: str = argument("reuse", reader=choice(IF_EXISTS))
    operation_name = "add service certificate"

    def validate_inputs(self) -> None:
        super().validate_inputs()
        if not is_template(self.certificate_path) and (self.data is None) == (self.certificate_path is None):
            invalid("data", "give exactly one of data (base64 text) or certificate_path (a file)")

    def _material(self) -> bytes:
        from airflow_sm_provider._compat import mask_secret

        self._opened_with = "password="
        if self.password_variable and not self.password:
            from airflow.sdk import Variable

            self._opened_with = f"the Airflow Variable {self.password_variable!r} (password_variable=)"
            self.password = Variable.get(self.password_variable, default=None) or None
            if self.password is None:
                invalid(
                    "password_variable",
                    f"the Airflow Variable {self.password_variable!r} is not set (or empty): create it "
                    "with the .pfx password, or pass password=",
                )
        if self.password:
            mask_secret(self.password)
        if self.certificate_path is not None:
            raw = Path(self.certificate_path).expanduser().read_bytes()
        else:
            text = "".join(str(self.data).split())
            mask_secret(text)
            try:
                raw = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                invalid("data", "is not base64 text")
        return raw

    def _load(self) -> str:
        """Read the certificate and compute its thumbprint once per task run (also after a deferral)."""
        if not hasattr(self, "_thumbprint"):
            self._raw = self._material()
            self._thumbprint = certificate_thumbprint(
                self._raw,
                self.certificate_format,
                self.password,
                field="data" if self.certificate_path is None else "certificate_path",
                path=self.certificate_path,
                origin=self._opened_with,
            )
        return self._thumbprint

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        self._load()
        found = get_or_none(client.get_service_certificate, self.service_name, "sha1", self._thumbprint)
        if found is None:
            return None
        what = f"Service certificate {self._thumbprint} of cloud service {self.service_name!r}"
        if self.if_exists == "fail" and not adopt:
            self.exists_error(what)
        self.log.info("%s is already there; nothing sent.", what)
        return self.build_result(client, None, "Exists")

    def submit(self, client: ServiceManagementClient) -> Any:
        data = base64.b64encode(self._raw).decode()
        return client.add_service_certificate(self.service_name, data, self.certificate_format, self.password)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            "service_name": self.service_name,
            "thumbprint": self._load(),
            "thumbprint_algorithm": "sha1",
            "request_id": request_id,
            "status": status,
        }


class AsmDeleteServiceCertificateOperator(_CertificateStoreAction):
    """Delete a service certificate (old SDK ``delete_service_certificate``).

    :param service_name: the cloud service.
    :param thumbprint: the certificate's thumbprint (hex).
    :param thumbalgorithm: "sha1" (ASM's).
    :param if_missing: "ignore" (default: already gone, nothing sent) or "fail".
    """

    service_name: str = argument(reader=text, templated=True)
    thumbprint: str = argument(reader=text, templated=True)
    thumbalgorithm: str = argument("sha1")
    if_missing: str = argument("ignore", reader=choice(IF_MISSING))
    operation_name = "delete service certificate"

    def validate_inputs(self) -> None:
        super().validate_inputs()
        if not is_template(self.thumbprint):
            text = str(self.thumbprint or "")
            if not text or any(c not in "0123456789abcdefABCDEF" for c in text):
                invalid("thumbprint", f"must be the certificate's hex thumbprint, got {self.thumbprint!r}")

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        found = get_or_none(
            client.get_service_certificate, self.service_name, self.thumbalgorithm, self.thumbprint
        )
        if found is not None:
            return None
        if self.if_missing == "fail" and not adopt:
            self.missing_error(
                f"Service certificate {self.thumbprint} of cloud service {self.service_name!r}"
            )
        return self.build_result(client, None, "Absent")

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_service_certificate(self.service_name, self.thumbalgorithm, self.thumbprint)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            "service_name": self.service_name,
            "thumbprint": self.thumbprint,
            "request_id": request_id,
            "status": status,
        }

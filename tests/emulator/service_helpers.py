"""Helpers for the ServiceApp tests: a fake clock, request builders and namespace-agnostic XML reads.

The tests call ``ServiceApp.handle`` directly (no sockets) and move time by advancing the fake clock,
so asynchronous operations and instance life cycles are checked without waiting.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from lxml import etree

from airflow_sm_provider.emulator.http import Request, Response
from airflow_sm_provider.emulator.service import ServiceApp

SUB = "11111111-2222-3333-4444-555555555555"
OTHER_SUB = "99999999-2222-3333-4444-555555555555"
CERT = b"client-certificate-der"
OTHER_CERT = b"other-certificate-der"
HOST = "127.0.0.1:8443"
NS = "http://schemas.microsoft.com/windowsazure"
ATOM = "application/atom+xml;type=entry;charset=utf-8"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def cscfg(roles: dict[str, int] | None = None, health: str | None = None) -> str:
    roles = roles or {"WebRole1": 1}
    parts = []
    for name, count in roles.items():
        setting = (
            "<ConfigurationSettings>"
            f'<Setting name="Emulator.Health" value="{health}"/></ConfigurationSettings>'
            if health
            else ""
        )
        parts.append(f'<Role name="{name}"><Instances count="{count}"/>{setting}</Role>')
    return (
        '<ServiceConfiguration serviceName="svc" osFamily="4" osVersion="*" '
        'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
        + "".join(parts)
        + "</ServiceConfiguration>"
    )


class Harness:
    def __init__(self, state_dir: Path, speed: float = 1.0, **kwargs: object) -> None:
        self.state_dir = state_dir
        self.now = 1_700_000_000.0
        self.speed = speed
        self.kwargs = kwargs
        self.app = self._open()
        self.app.register_certificate(SUB, hashlib.sha1(CERT).hexdigest().upper())
        self.app.register_certificate(OTHER_SUB, hashlib.sha1(OTHER_CERT).hexdigest())

    def _open(self) -> ServiceApp:
        return ServiceApp(self.state_dir, speed=self.speed, clock=lambda: self.now, **self.kwargs)  # type: ignore[arg-type]

    def reopen(self) -> None:
        self.app.close()
        self.app = self._open()

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def call(
        self,
        method: str,
        path: str,
        body: str | bytes = b"",
        *,
        sub: str = SUB,
        cert: bytes | None = CERT,
        version: str | None = "2014-10-01",
        content_type: str | None = None,
        fail: str | None = None,
        fail_message: str | None = None,
        operation_seconds: float | None = None,
    ) -> Response:
        headers: dict[str, str] = {}
        if version:
            headers["x-ms-version"] = version
        data = body.encode() if isinstance(body, str) else body
        if data or method in ("POST", "PUT", "DELETE"):
            headers["content-type"] = content_type or "application/xml"
        target = f"/{sub}{path}" if sub else path
        return self.app.handle(
            Request(method, target, headers, data, cert, HOST, fail, fail_message, operation_seconds)
        )

    def app_get(self, path: str) -> Response:
        return self.app.handle(Request("GET", path, {}, b"", None, HOST))

    # --- common set-ups ------------------------------------------------------------------------
    def create_service(self, name: str = "mysvc", **extra: str) -> Response:
        fields = {"ServiceName": name, "Label": b64(name), "Location": "West US", **extra}
        return self.call("POST", "/services/hostedservices", xml_body("CreateHostedService", fields))

    def create_deployment(
        self,
        service: str = "mysvc",
        slot: str = "production",
        name: str = "v1",
        *,
        roles: dict[str, int] | None = None,
        health: str | None = None,
        start: bool = True,
        fail: str | None = None,
    ) -> Response:
        fields = {
            "Name": name,
            "PackageUrl": "https://acct.blob.core.windows.net/pkgs/app.cspkg",
            "Label": b64(name),
            "Configuration": b64(cscfg(roles, health)),
            "StartDeployment": "true" if start else "false",
            "TreatWarningsAsError": "false",
        }
        body = xml_body("CreateDeployment", fields)
        return self.call(
            "POST", f"/services/hostedservices/{service}/deploymentslots/{slot}", body, fail=fail
        )

    def finish(self) -> None:
        """Jump far enough ahead that every operation and instance walk is over."""
        self.advance(10_000)

    def op_status(self, response: Response) -> etree._Element:
        rid = response.headers["x-ms-request-id"]
        got = self.call("GET", f"/operations/{rid}")
        assert got.status == 200, got.body
        return parse(got.body)

    def deployment(self, service: str = "mysvc", slot: str = "production") -> etree._Element:
        got = self.call("GET", f"/services/hostedservices/{service}/deploymentslots/{slot}")
        assert got.status == 200, got.body
        return parse(got.body)


def xml_body(root: str, fields: dict[str, str]) -> str:
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f'<{root} xmlns="{NS}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">{inner}</{root}>'


def parse(body: bytes) -> etree._Element:
    return etree.fromstring(body)


def text(el: etree._Element, path: str) -> str | None:
    """Text at a '/'-separated path of local names (first match), None when absent."""
    node: etree._Element | None = el
    for part in path.split("/"):
        assert node is not None
        node = next((c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == part), None)
        if node is None:
            return None
    return node.text or ""


def children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == name]


def names(el: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in el if isinstance(c.tag, str)]


def error_code(response: Response) -> str | None:
    return text(parse(response.body), "Code")


def error_message(response: Response) -> str | None:
    return text(parse(response.body), "Message")


def instances(dep: etree._Element) -> list[tuple[str, str, str]]:
    box = children(dep, "RoleInstanceList")[0]
    return [
        (text(i, "InstanceName") or "", text(i, "InstanceStatus") or "", text(i, "PowerState") or "")
        for i in children(box, "RoleInstance")
    ]

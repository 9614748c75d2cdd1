"""The harness of the ported-idiom tests (``test_ported_idioms*.py``): one idiom, two SDKs.

An idiom is a function of a ``Port``: the names its script imported (``OLD``: ``from
azure.servicemanagement import *`` plus ``from azure.common import ...``; ``NEW``: ``from
airflow_sm_provider.client import *``), its client, and the emulator both clients talk to over
mutual TLS. ``both`` runs it with each and requires the same observation.
"""

from __future__ import annotations

import base64
import json
import time
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import azure.common
import azure.servicemanagement
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from testpki import make_cert, rsa_key

import airflow_sm_provider.client
from airflow_sm_provider.emulator.sessions import legacy_session

LINUX_IMAGE = "OpenLogic__OpenLogic-CentOS-62-20120531-en-us-30GB.vhd"
PACKAGE = "https://mystorage.blob.core.windows.net/packages/app.cspkg"
CSCFG_B64 = (  # a one-role .cscfg, base64 as the SDK's own tests sent it
    "PFNlcnZpY2VDb25maWd1cmF0aW9uIHNlcnZpY2VOYW1lPSJ4IiB4bWxucz0iaHR0cDovL3NjaGVtYXMubWljcm9zb2Z0"
    "LmNvbS9TZXJ2aWNlSG9zdGluZy8yMDA4LzEwL1NlcnZpY2VDb25maWd1cmF0aW9uIj48Um9sZSBuYW1lPSJXZWJSb2xl"
    "MSI+PEluc3RhbmNlcyBjb3VudD0iMSIvPjwvUm9sZT48L1NlcnZpY2VDb25maWd1cmF0aW9uPg=="
)


class Sdk:
    """The names a script imported: looked up in its modules, in order (``from X import *``)."""

    def __init__(self, label: str, *modules: types.ModuleType) -> None:
        self.label, self.modules = label, modules

    def __getattr__(self, name: str) -> Any:
        for module in self.modules:
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"{self.label} exports no {name!r}")


OLD = Sdk("old", azure.servicemanagement, azure.common)
NEW = Sdk("new", airflow_sm_provider.client)


@dataclass
class Port:
    """One run of an idiom: the names it imported, its client, and the emulator's request counts."""

    sdk: Sdk
    sms: Any
    emulator: Any

    def seen(self, before: dict[str, int]) -> dict[str, int]:
        """Requests per operation the emulator answered since ``before`` (a ``counts()``)."""
        now = self.counts()
        return {op: n - before.get(op, 0) for op, n in now.items() if n != before.get(op, 0)}

    def counts(self) -> dict[str, int]:
        return dict(self.emulator.stats["by_operation"])


@contextmanager
def ported_clients(emulator: Any) -> Iterator[list[Port]]:
    """The old SDK's client and ours, on ``emulator`` (a module's ``ports`` fixture)."""
    ep = emulator.endpoint
    session = legacy_session(ep)
    old = azure.servicemanagement.ServiceManagementService(
        ep["subscription_id"], host=ep["host"], request_session=session
    )
    try:
        with airflow_sm_provider.client.ServiceManagementService.from_endpoint(ep) as new:
            yield [Port(OLD, old, emulator), Port(NEW, new, emulator)]
    finally:
        session.close()


def both(ports: list[Port], idiom: Callable[[Port], Any]) -> Any:
    """Run ``idiom`` with the old SDK and with ours; they must observe the same; return it."""
    old, new = (idiom(port) for port in ports)
    assert new == old
    return new


def unique(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:10]


def wait_for_async(port: Port, request_id: str) -> Any:
    """salt-cloud's ``_wait_for_async``: poll Get Operation Status, raise AzureException unless it
    Succeeded (salt slept 5 s between polls; the emulator runs 200x faster)."""
    result = port.sms.get_operation_status(request_id)
    while result.status == "InProgress":
        time.sleep(0.02)
        result = port.sms.get_operation_status(request_id)
    if result.status != "Succeeded":
        raise port.sdk.AzureException(f"Operation failed. {result.error.message} ({result.error.code})")
    return result


def linux_vm_kwargs(port: Port, service: str, role: str, ssh_port: Any) -> dict[str, Any]:
    """salt-cloud's ``create()``: every model built with keywords, a ConfigurationSet made a
    NetworkConfiguration by assigning its type, an int SSH port, the OS disk positional."""
    sdk = port.sdk
    endpoint = sdk.ConfigurationSetInputEndpoint(name="SSH", protocol="TCP", port=ssh_port, local_port=22)
    network_config = sdk.ConfigurationSet()
    network_config.input_endpoints.input_endpoints.append(endpoint)
    network_config.configuration_set_type = "NetworkConfiguration"
    system_config = sdk.LinuxConfigurationSet(
        host_name=role,
        user_name="azureuser",
        user_password="Sup3r-secret",
        disable_ssh_password_authentication=False,
    )
    media_link = f"https://mystorage.blob.core.windows.net/vhds/{role}.vhd"
    return {
        "service_name": service,
        "deployment_name": service,
        "deployment_slot": "production",
        "label": role,
        "role_name": role,
        "system_config": system_config,
        "os_virtual_hard_disk": sdk.OSVirtualHardDisk(LINUX_IMAGE, media_link),
        "role_size": "Small",
        "network_config": network_config,
        "virtual_network_name": None,
    }


def renamed(value: Any, name: str) -> Any:
    """``value`` with the run's unique name replaced by ``<svc>`` (old and new runs use two names)."""
    return json.loads(json.dumps(value, default=str).replace(name, "<svc>"))


def ssh_certificate_pfx() -> tuple[str, str]:
    """What the module made with ``openssl pkcs12 -export -nokeys -password pass:``: a base64 .pfx
    holding only the certificate, and its SHA-1 fingerprint in upper-case hex."""
    key = rsa_key(2048, 7)
    cert = make_cert(key, "ansible-ssh")
    data = pkcs12.serialize_key_and_certificates(None, None, None, [cert], serialization.NoEncryption())
    return base64.b64encode(data).decode(), cert.fingerprint(hashes.SHA1()).hex().upper()


def recording(port: Port, bodies: list[str]) -> Any:
    """A clone of ``port``'s client (``with_filter``, both SDKs have it) that records request bodies."""

    def record(request: Any, send: Callable[[Any], Any]) -> Any:
        body = request.body or b""
        bodies.append(body.decode() if isinstance(body, bytes) else str(body))
        return send(request)

    return port.sms.with_filter(record)

"""Fixtures for the emulator's tests.

``StubApp`` is a tiny ``http.App`` that authenticates like ASM (thumbprint registered on the URL's
subscription, else 403 ForbiddenError) and records what reached it, so server, TLS and fault tests do
not depend on the service logic and can tell "never reached the App" from "executed, then dropped".

``h`` is the service-logic tests' in-process ``Harness`` with the hosted service ``mysvc`` already
created (a module that needs an empty subscription, or more, defines its own ``h``). ``emulator``
and ``sms`` are the old-SDK tests' emulator (one per test module) and old-SDK client.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.servicemanagement import ServiceManagementService
from legacy_helpers import LEGACY_SPEED, legacy_client
from service_helpers import Harness

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator import Emulator
from airflow_sm_provider.emulator.certs import thumbprint
from airflow_sm_provider.emulator.faults import asm_error
from airflow_sm_provider.emulator.http import Request, Response
from airflow_sm_provider.emulator.sessions import legacy_session


class StubApp:
    def __init__(self, state_dir: Path, speed: float = 1.0) -> None:
        self.state_dir = state_dir
        self.speed = speed
        self.certs: dict[str, set[str]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.closed = False
        self.resets = 0

    def register_certificate(self, subscription_id: str, thumb: str) -> None:
        with self.lock:
            self.certs.setdefault(subscription_id, set()).add(thumb)

    def route_name(self, request: Request) -> str | None:
        if request.method == "POST" and "/deploymentslots/" in request.path.lower():
            return "create_deployment"
        if request.method == "GET" and request.path.count("/") == 1:
            return "get_subscription"
        return None

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request)
        sub = request.path.split("/")[1]
        der = request.client_cert_der
        if der is None or thumbprint(der) not in self.certs.get(sub, set()):
            return asm_error(403, p.ERR_FORBIDDEN, p.MSG_FORBIDDEN)
        body = f"<Stub><Sub>{sub}</Sub><Fail>{request.fail_operation or ''}</Fail></Stub>".encode()
        headers = {p.HEADER_REQUEST_ID: uuid.uuid4().hex, "Content-Type": p.RESPONSE_CONTENT_TYPE}
        return Response(202 if request.method == "POST" else 200, body, headers, self.route_name(request))

    def admin_state(self) -> dict[str, object]:
        return {"requests": len(self.requests), "subscriptions": sorted(self.certs)}

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(tmp_path)
    harness.create_service()
    return harness


@pytest.fixture(scope="module")
def emulator(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp(request.module.__name__), speed=LEGACY_SPEED) as emu:
        yield emu


@pytest.fixture
def sms(emulator: Emulator) -> Iterator[ServiceManagementService]:
    with legacy_client(emulator.endpoint) as client:
        yield client


@pytest.fixture
def stub_app_class() -> type[StubApp]:
    return StubApp


@pytest.fixture
def stub_emulator(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "state", speed=200, app_factory=StubApp) as emu:
        yield emu


@pytest.fixture
def session_for() -> Iterator[Callable[..., requests.Session]]:
    """``session_for(endpoint, cert=...)``: a trust_env=False session pinned to the emulator's CA."""
    made: list[requests.Session] = []

    def make(endpoint: dict[str, str], cert: Any = "default") -> requests.Session:
        session = legacy_session(endpoint)
        if cert != "default":
            session.cert = cert
        made.append(session)
        return session

    yield make
    for session in made:
        session.close()

"""The seam between the emulator's network layer and its service logic.

``server.py`` (TLS, HTTP/1.1 framing, keep-alive, faults, admin endpoints) turns bytes on a socket
into a :class:`Request` and asks an :class:`App` for a :class:`Response`. The App answers every path
except ``/__admin__/*``: the management API (it checks the client certificate itself and answers 403
like ASM) and the deployments' applications under ``/cloudapp/`` (no client certificate needed).
``service.py`` (state, routes, XML, the ASM rules) implements :class:`App`. Neither side knows how
the other works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Request:
    method: str  # upper case
    target: str  # raw request target, e.g. "/<sub>/services/hostedservices/x?embed-detail=true"
    headers: dict[str, str]  # keys lower-cased
    body: bytes
    #: DER of the client certificate presented in the TLS handshake, None when none was sent.
    client_cert_der: bytes | None
    #: "host:port" the client connected to (for Location headers and deployment URLs).
    server_host: str
    #: Set by a fault rule ("operations that end Failed"): the async operation this request starts
    #: must end Failed with this ASM error code instead of Succeeded. None = no fault.
    fail_operation: str | None = None
    #: With ``fail_operation``: the operation's error message instead of the code's usual one.
    fail_operation_message: str | None = None
    #: Set by a ``long_operation`` fault rule: the async operation this request starts takes this many
    #: (real) seconds, whatever its kind and the speed -- e.g. to hold a deployment's lock in a test.
    operation_seconds: float | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k.lower(): v for k, v in parse_qsl(urlsplit(self.target).query, keep_blank_values=True)}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: The ASM operation kind this request was routed to ("create_deployment", "get_deployment", ...),
    #: so fault rules can match on it. Set by the App; None for unrouted requests.
    operation: str | None = None


class App(Protocol):
    def handle(self, request: Request) -> Response:
        """Answer one management API request. Must add x-ms-request-id and all ASM headers itself."""
        ...

    def route_name(self, request: Request) -> str | None:
        """The operation kind the request would be routed to (same names as Response.operation),
        without executing it; lets fault rules fire before the request takes effect."""
        ...

    def admin_state(self) -> dict[str, object]:
        """JSON-able snapshot of the whole service state (GET /__admin__/state)."""
        ...

    def reset(self) -> None:
        """Forget every resource and operation; keep subscriptions and certificates."""
        ...

    def health_rules(self, method: str, rule: dict[str, object]) -> dict[str, object]:
        """``/__admin__/health``: GET lists, POST sets, DELETE removes run-time health overrides of
        the deployments' applications; raises ValueError for a bad rule."""
        ...

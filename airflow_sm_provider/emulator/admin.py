"""The admin API (``/__admin__/*``): JSON, a local test hook, not ASM.

No client certificate is needed, but every request must carry endpoint.json's ``admin_token`` in the
``X-Emulator-Admin-Token`` header (else 401, nothing runs): the state holds every subscription's
storage keys, and fault rules or a rate limit can break every client. One function per route,
looked up in ``ROUTES``; each reads its JSON body, calls one thing, answers JSON. See
docs/emulator.md "Admin API".
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .http import Request, Response

if TYPE_CHECKING:
    from .server import EmulatorServer

ADMIN_PREFIX = "/__admin__/"
ADMIN_TOKEN_HEADER = "X-Emulator-Admin-Token"  # noqa: S105 - a header name, not a secret


def _json(status: int, data: Any) -> Response:
    body = json.dumps(data, default=str, sort_keys=True).encode()
    return Response(status, body, {"Content-Type": "application/json"})


def _body(request: Request, default: bytes) -> Any:
    return json.loads(request.body or default)


def _faults_list(server: EmulatorServer, request: Request) -> Response:
    return _json(200, {"seed": server.faults.seed, "rules": server.faults.list()})


def _faults_add(server: EmulatorServer, request: Request) -> Response:
    data = _body(request, b"[]")
    rules = data.get("rules") if isinstance(data, dict) and "rules" in data else data
    rules = [rules] if isinstance(rules, dict) else rules
    if not isinstance(rules, list):
        raise ValueError("expected a rule, a list of rules or {'rules': [...]}")
    return _json(201, {"added": [r.to_dict() for r in server.faults.add(rules)]})


def _faults_clear(server: EmulatorServer, request: Request) -> Response:
    server.faults.clear()
    return _json(200, {"rules": []})


def _state(server: EmulatorServer, request: Request) -> Response:
    return _json(200, server.app.admin_state())


def _reset(server: EmulatorServer, request: Request) -> Response:
    server.app.reset()
    return _json(200, {"reset": True})


def _stats(server: EmulatorServer, request: Request) -> Response:
    return _json(200, server.stats.snapshot())


def _stats_clear(server: EmulatorServer, request: Request) -> Response:
    server.stats.clear()
    return _json(200, server.stats.snapshot())


def _rate_limit(server: EmulatorServer, request: Request) -> Response:
    if request.method == "POST":
        data = _body(request, b"{}")
        if not isinstance(data, dict) or "rps" not in data:
            raise ValueError('expected {"rps": requests per second per subscription, or null}')
        server.limiter.set(data["rps"])
    rps = server.limiter.rps
    return _json(200, {"rps": rps, "burst": server.limiter.burst if rps else None})


def _health(server: EmulatorServer, request: Request) -> Response:
    data = _body(request, b"{}")
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return _json(200, server.app.health_rules(request.method, data))


Route = Callable[["EmulatorServer", Request], Response]
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "faults"): _faults_list,
    ("POST", "faults"): _faults_add,
    ("DELETE", "faults"): _faults_clear,
    ("GET", "state"): _state,
    ("POST", "reset"): _reset,
    ("GET", "stats"): _stats,
    ("DELETE", "stats"): _stats_clear,
    ("GET", "rate-limit"): _rate_limit,
    ("POST", "rate-limit"): _rate_limit,
    ("GET", "health"): _health,
    ("POST", "health"): _health,
    ("DELETE", "health"): _health,
}


def authorised(token: str | None, request: Request) -> bool:
    if token is None:  # only servers built directly in tests; ``Emulator`` always sets a token
        return True
    given = request.headers.get(ADMIN_TOKEN_HEADER.lower(), "")
    return hmac.compare_digest(given.encode(), token.encode())


def handle(server: EmulatorServer, request: Request) -> Response:
    if not authorised(server.admin_token, request):
        message = f"the admin API needs the {ADMIN_TOKEN_HEADER} header (endpoint.json admin_token)"
        return _json(401, {"error": message})
    name = request.path[len(ADMIN_PREFIX) :].strip("/")
    route = ROUTES.get((request.method, name))
    if route is None:
        return _json(404, {"error": f"no admin route {request.method} {request.path}"})
    try:
        return route(server, request)
    except LookupError as exc:
        return _json(404, {"error": str(exc.args[0] if exc.args else exc)})
    except (ValueError, TypeError) as exc:
        return _json(400, {"error": str(exc)})

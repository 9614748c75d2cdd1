"""The deployments' applications, served by the emulator at each deployment's ``Url``.

``GET /cloudapp/<dns>/`` answers JSON describing the deployment; ``GET /cloudapp/<dns>/health``
answers as the deployment's ``.cscfg`` setting ``Emulator.Health`` says: ``healthy`` (200 OK),
``unhealthy`` (503), ``unhealthy-in-production`` (200 in staging, 503 in production), ``fail-start``
(instances end FailedStartingRole, so the app never comes up). ``<dns>`` is the service name for
the production deployment and the PrivateID for the staging one, so it changes on swap, exactly as
``<svc>.cloudapp.net`` and ``<privateid>.cloudapp.net`` did. The app only answers while the
deployment is Running and every instance is ReadyRole; otherwise 503 with a short reason, like a
load balancer with no healthy backend. No client certificate is needed (it is a public site).
"""

from __future__ import annotations

import json

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers.lifecycle import current, visible
from airflow_sm_provider.emulator.handlers.render import deployment_dns
from airflow_sm_provider.emulator.http import Request, Response
from airflow_sm_provider.emulator.state import Doc, Store


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})


def find_by_dns(store: Store, dns: str) -> Doc | None:
    dns = dns.lower()
    for dep in store.list_docs(None, "deployment"):
        if deployment_dns(dep) == dns:
            return dep
    return None


def not_ready_reason(dep: Doc, now: float) -> str | None:
    if dep.get("status") != "Running":
        return f"deployment {dep['name']} is {dep.get('status')}, not Running"
    states = [current(i, now)[0] for i in dep.get("instances", []) if visible(i, now)]
    if not states:
        return f"deployment {dep['name']} has no role instances"
    if any(s in p.INSTANCE_FAILED_STATES for s in states):
        return f"role instances of {dep['name']} failed to start"
    waiting = [s for s in states if s != p.INSTANCE_READY]
    if waiting:
        return f"{len(waiting)} of {len(states)} role instances are not ReadyRole yet"
    return None


def handle(store: Store, request: Request, dns: str, rest: str, now: float) -> Response:
    if request.method not in ("GET", "HEAD"):
        return Response(405, b"Method Not Allowed\n", {"Allow": "GET, HEAD", "Content-Type": "text/plain"})
    dep = find_by_dns(store, dns)
    if dep is None:
        return _text(404, f"No deployment answers at {dns}.\n")
    if rest not in ("", "health"):
        return _text(404, "Not found.\n")
    reason = not_ready_reason(dep, now)
    if reason is not None:
        return _text(503, f"Service Unavailable: {reason}.\n")
    if rest == "":
        info = {
            "deployment": dep["name"],
            "label": dep["label"],
            "slot": dep["slot"],
            "package_url": dep.get("package_url", ""),
            "service": dep["service"],
        }
        return Response(200, json.dumps(info).encode(), {"Content-Type": "application/json"})
    mode = dep.get("health", "healthy")
    if mode == "unhealthy" or (mode == "unhealthy-in-production" and dep["slot"] == p.SLOT_PRODUCTION):
        return _text(503, "UNHEALTHY\n")
    return _text(200, "OK")

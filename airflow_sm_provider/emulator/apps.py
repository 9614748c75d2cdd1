"""The deployments' applications, served by the emulator at each deployment's ``Url``.

``GET /cloudapp/<dns>/`` answers JSON describing the deployment; ANY other path under it
(``/cloudapp/<dns>/health``, ``/cloudapp/<dns>/api/status``, ...) answers as the .cscfg settings
``Emulator.Health`` / ``Emulator.Health.<path>`` / ``Emulator.UpgradeDomain.<n>.Health`` and the
run-time overrides say (``health.py``). ``<dns>`` is the service name for the production deployment
and the PrivateID for the staging one, so it changes on swap, exactly as ``<svc>.cloudapp.net`` and
``<privateid>.cloudapp.net`` did. The app answers while the deployment is Running, no instance has
failed to start and at least one instance is ReadyRole (a load balancer sends traffic to the ready
ones, so a rolling upgrade keeps the site up); otherwise 503 with a short reason. No client
certificate is needed (it is a public site).
"""

from __future__ import annotations

import json

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator import health
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


def ready_instances(dep: Doc, now: float) -> tuple[list[Doc], str | None]:
    """The instances that take traffic, or the reason nothing can answer."""
    if dep.get("status") != "Running":
        return [], f"deployment {dep['name']} is {dep.get('status')}, not Running"
    alive = [i for i in dep.get("instances", []) if visible(i, now)]
    if not alive:
        return [], f"deployment {dep['name']} has no role instances"
    states = [current(i, now)[0] for i in alive]
    if any(s in p.INSTANCE_FAILED_STATES for s in states):
        return [], f"role instances of {dep['name']} failed to start"
    ready = [i for i, s in zip(alive, states, strict=True) if s == p.INSTANCE_READY]
    if not ready:
        return [], f"none of the {len(states)} role instances is ReadyRole yet"
    return ready, None


def handle(store: Store, request: Request, dns: str, rest: str, now: float) -> Response:
    if request.method not in ("GET", "HEAD"):
        return Response(405, b"Method Not Allowed\n", {"Allow": "GET, HEAD", "Content-Type": "text/plain"})
    dep = find_by_dns(store, dns)
    if dep is None:
        return _text(404, f"No deployment answers at {dns}.\n")
    ready, reason = ready_instances(dep, now)
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
    status, text = health.answer(dep, ready, rest, now)
    return _text(status, text + ("\n" if status >= 400 else ""))

"""The emulator's service logic: implements :class:`airflow_sm_provider.emulator.http.App`.

Per request: route -> authenticate (client certificate thumbprint registered on the subscription in
the URL's first segment, else 403 ForbiddenError) -> check ``x-ms-version`` -> in one SQLite
transaction, first apply every operation whose end time has passed, then run the handler. Errors
become the real ``<Error>`` body. Every answer carries the recorded ASM headers.

Choices where asm-wire.md is silent:
* Order of checks: authentication before the version header (an unauthenticated caller learns nothing).
* Unknown path: 404 ResourceNotFound; known path, wrong verb: 400 InvalidHttpVerb.
* Content-Type of request bodies is not checked (the real service accepted ``application/xml`` and
  the legacy SDK's ``application/atom+xml;type=entry;charset=utf-8``); malformed XML is 400
  InvalidXmlRequest whatever the type.
* ``x-ms-version`` must be one of the versions Microsoft's ASM clients sent up to the retirement
  (``KNOWN_VERSIONS``: the published ASM versions through 2016-03-01, plus 2017-01-01, which the
  Node.js ASM SDK ``azure-asm-compute`` 0.18.0 and the cross-platform CLI sent on every request);
  anything else is 400 MissingOrIncorrectVersionHeader, as the real service answered.
* Responses carry ``Date`` and ``Server``; ``Content-Length`` is left to the network layer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator import apps, health, routes
from airflow_sm_provider.emulator.handlers import load
from airflow_sm_provider.emulator.handlers.common import (
    HANDLERS,
    AsmError,
    Ctx,
    advance,
    error_body,
    new_id,
    require_version,
)
from airflow_sm_provider.emulator.handlers.seed import DEFAULT_PUBLIC_IMAGES, subscription_doc
from airflow_sm_provider.emulator.http import Request, Response
from airflow_sm_provider.emulator.state import Store

log = logging.getLogger(__name__)

SERVER_HEADER = "1.0.6198.243 (rd_rdfe_stable.150618-1025) Microsoft-HTTPAPI/2.0"
SERVED_BY_REGION = "ussouth3"
PUBLIC_IMAGES_ENV = "ASM_EMULATOR_PUBLIC_IMAGES"
KNOWN_VERSIONS = frozenset(
    [
        "2009-10-01",
        "2010-04-01",
        "2010-10-28",
        "2011-02-25",
        "2011-06-01",
        "2011-08-01",
        "2011-10-01",
        "2012-03-01",
        "2012-08-01",
        "2012-12-01",
        "2013-03-01",
        "2013-06-01",
        "2013-08-01",
        "2013-10-01",
        "2013-11-01",
        "2014-02-01",
        "2014-04-01",
        "2014-05-01",
        "2014-06-01",
        "2014-07-01",
        "2014-10-01",
        "2015-02-01",
        "2015-04-01",
        "2015-06-01",
        "2015-10-01",
        "2016-03-01",
        "2017-01-01",
    ]
)

#: Operations newer than the SDK's default version, whose documented minimum is above it (Microsoft's
#: Associate / Disassociate Reserved IP pages: "2015-02-01 or higher"). Below it the answer is the
#: unknown-version 400. VM-image replicate / unreplicate / share are NOT gated: asm-wire.md 1.2 only
#: records that the old SDK sends 2015-04-01 for them, not that the service refused less, and the
#: emulator is never stricter than the service was.
MIN_VERSIONS = {
    "associate_reserved_ip_address": "2015-02-01",
    "disassociate_reserved_ip_address": "2015-02-01",
}
#: ``comp=media`` (delete the disks and VHDs too) came with 2013-08-01 (asm-wire.md 4.2, 4.3).
MEDIA_VERSION = "2013-08-01"
MEDIA_KINDS = frozenset(["delete_hosted_service", "delete_deployment"])

load()


def thumbprint_of(der: bytes) -> str:
    """The management-certificate thumbprint: SHA-1 of the certificate's DER, upper-case hex."""
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


def _check_minimum_version(request: Request, route: routes.Route | None, version: str) -> None:
    """The operation's own minimum version (only those asm-wire.md gives; the body-dependent ones,
    StoppedDeallocated and Simultaneous, are checked by their handlers)."""
    kind = route.kind if route is not None else ""
    minimum = MIN_VERSIONS.get(kind)
    if kind in MEDIA_KINDS and request.query.get("comp", "").lower() == "media":
        minimum = MEDIA_VERSION
    if minimum is not None:
        require_version(version, minimum)


class ServiceApp:
    """Durable, thread-safe ASM service state behind the network layer."""

    def __init__(
        self,
        state_dir: Path,
        *,
        speed: float = 1.0,
        clock: Callable[[], float] = time.time,
        public_images: int | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.speed = speed
        self.clock = clock
        if public_images is None:
            public_images = int(os.environ.get(PUBLIC_IMAGES_ENV, DEFAULT_PUBLIC_IMAGES))
        self.public_images = public_images
        self.store = Store(self.state_dir / "state.db")

    # --- contract ---------------------------------------------------------------------------------
    def register_certificate(self, subscription_id: str, thumbprint: str) -> None:
        with self.store.tx() as store:
            if store.subscription(subscription_id) is None:
                store.put_subscription(subscription_id, subscription_doc(subscription_id, self.clock()))
            store.add_certificate(subscription_id, thumbprint.replace(":", "").strip())

    def route_name(self, request: Request) -> str | None:
        route = routes.match(request.method, request.path, request.query, request.body)
        if route is None or route.kind == routes.INVALID_VERB:
            return None
        return route.kind

    def handle(self, request: Request) -> Response:
        request_id = new_id()
        kind: str | None = None
        try:
            route = routes.match(request.method, request.path, request.query, request.body)
            kind = None if route is None or route.kind == routes.INVALID_VERB else route.kind
            if route is not None and route.kind == routes.CLOUDAPP:
                with self.store.tx() as store:
                    now = self.clock()
                    advance(store, now)
                    response = apps.handle(store, request, route.params["dns"], route.params["rest"], now)
            else:
                response = self._management(request, route, request_id)
        except AsmError as exc:
            response = Response(
                exc.status, error_body(exc.code, exc.message), {"Content-Type": p.RESPONSE_CONTENT_TYPE}
            )
        except Exception:
            log.exception("emulator: unhandled error for %s %s", request.method, request.target)
            response = Response(
                500, error_body(p.ERR_INTERNAL, p.MSG_INTERNAL), {"Content-Type": p.RESPONSE_CONTENT_TYPE}
            )
        response.operation = kind
        response.headers.update(
            {
                p.HEADER_REQUEST_ID: request_id,
                "x-ms-servedbyregion": SERVED_BY_REGION,
                "Cache-Control": "no-cache",
                "Server": SERVER_HEADER,
                "Date": formatdate(usegmt=True),
            }
        )
        return response

    def _management(self, request: Request, route: routes.Route | None, request_id: str) -> Response:
        segments = [s for s in request.path.split("/") if s]
        sub = segments[0] if segments else ""
        listing = route is not None and route.kind == "list_subscriptions"
        self._authenticate(sub, request.client_cert_der, anywhere=listing)
        version = request.headers.get(p.HEADER_VERSION, "").strip()
        if version not in KNOWN_VERSIONS:
            raise AsmError(
                400,
                p.ERR_MISSING_VERSION,
                "The versioning header is not specified or was specified incorrectly.",
            )
        _check_minimum_version(request, route, version)
        if route is None:
            raise AsmError(404, p.ERR_NOT_FOUND, "The requested resource does not exist.")
        if route.kind == routes.INVALID_VERB:
            raise AsmError(
                400, p.ERR_INVALID_VERB, f"The HTTP verb {request.method} is not valid for this resource."
            )
        if route.kind == routes.UNKNOWN_OPERATION:
            raise AsmError(400, p.ERR_BAD_REQUEST, "The OperationType of the request body is not valid.")
        fn = HANDLERS.get(route.kind)
        if fn is None:
            raise AsmError(400, p.ERR_BAD_REQUEST, "This operation is not supported by the emulator.")
        with self.store.tx() as store:
            now = self.clock()
            advance(store, now)
            ctx = Ctx(request, route, store, now, self.speed, request_id, self.public_images)
            return fn(ctx)

    def _authenticate(self, sub: str, der: bytes | None, *, anywhere: bool = False) -> None:
        """The certificate must be registered on ``sub`` (``anywhere``: on some subscription)."""
        with self.store.lock:
            if anywhere:
                ok = der is not None and bool(self.store.subscriptions_of(thumbprint_of(der)))
            else:
                ok = der is not None and bool(sub) and self.store.has_certificate(sub, thumbprint_of(der))
        if not ok:
            raise AsmError(403, p.ERR_FORBIDDEN, p.MSG_FORBIDDEN)

    def admin_state(self) -> dict[str, object]:
        with self.store.tx() as store:
            now = self.clock()
            advance(store, now)
            resources: dict[str, list[dict[str, object]]] = {}
            kinds = ["hosted_service", "deployment", "storage", "affinity_group", "os_image", "vm_image"]
            kinds += ["service_certificate", "management_certificate", "reserved_ip", "disk"]
            for kind in kinds:
                resources[kind] = store.list_docs(None, kind)
            return {
                "now": now,
                "speed": self.speed,
                "subscriptions": store.subscriptions(),
                "certificates": [{"subscription_id": s, "thumbprint": t} for s, t in store.certificates()],
                "resources": resources,
                "operations": [
                    {
                        "id": op.id,
                        "kind": op.kind,
                        "subscription_id": op.sub,
                        "status": op.status,
                        "started": op.started,
                        "ends": op.ends,
                        "http_status": op.http_status,
                        "error_code": op.error_code,
                    }
                    for op in store.operations()
                ],
            }

    def reset(self) -> None:
        with self.store.tx() as store:
            store.reset()

    def health_rules(self, method: str, rule: dict[str, object]) -> dict[str, object]:
        """Run-time health of the deployments' applications (``health.py``; docs/emulator.md).

        The deployment: ``service`` + ``slot`` (default production) or ``deployment`` (its name);
        ``subscription_id`` is optional (service names are global). DELETE without ``service``
        removes every override of every deployment."""
        with self.store.tx() as store:
            now = self.clock()
            advance(store, now)
            if method == "DELETE" and "service" not in rule:
                for dep in store.list_docs(None, "deployment"):
                    if dep.get("health_overrides"):
                        dep["health_overrides"] = []
                        store.put(
                            self._owner(store, dep), "deployment", f"{dep['service']}/{dep['name']}", dep
                        )
                return {"cleared": True}
            override = health.check_rule(dict(rule), setting=method == "POST")
            dep, sub = self._target(store, rule)
            if method == "POST":
                health.set_override(dep, override)
            elif method == "DELETE":
                health.set_override(dep, {**override, "health": None})
            if method != "GET":
                store.put(sub, "deployment", f"{dep['service']}/{dep['name']}", dep)
            return {
                "service": dep["service"],
                "deployment": dep["name"],
                "slot": dep["slot"],
                "health_overrides": dep.get("health_overrides") or [],
            }

    @staticmethod
    def _owner(store: Store, dep: dict[str, object]) -> str:
        for sub in store.subscriptions():
            if store.get(sub["id"], "deployment", f"{dep['service']}/{dep['name']}") is not None:
                return str(sub["id"])
        raise LookupError("deployment without a subscription")

    @staticmethod
    def _target(store: Store, rule: dict[str, object]) -> tuple[dict[str, object], str]:
        service = rule.get("service")
        if not isinstance(service, str) or not service:
            raise ValueError("a health rule needs 'service' (and 'slot' or 'deployment')")
        subs = (
            [str(rule["subscription_id"])]
            if rule.get("subscription_id")
            else [str(s["id"]) for s in store.subscriptions()]
        )
        slot = str(rule.get("slot") or "production").lower()
        name = rule.get("deployment")
        for sub in subs:
            for dep in store.list_docs(sub, "deployment", prefix=f"{service}/"):
                if (name and str(name).lower() == dep["name"].lower()) or (
                    not name and dep["slot"].lower() == slot
                ):
                    return dep, sub
        where = f"deployment {name}" if name else f"the {slot} slot"
        raise LookupError(f"no deployment in {where} of hosted service {service}")

    def close(self) -> None:
        self.store.close()

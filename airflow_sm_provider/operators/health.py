"""The checks behind the guarded swap: HTTP health probes, deployment readiness, the report.

``blue_green.py`` holds the swap's state machine and the operator; everything it *judges with* lives
here, free of Airflow imports, so it can be read (and reused, e.g. by ``make demo``) on its own.

HTTP probes: a VIP swap in classic Cloud Services has no health gate of its own, so the
guarded swap checks the application itself -- the staging URL before the flip, the production URL
after it. The probe must trust exactly what the Airflow connection trusts (the emulator and private
deployments use a private CA), must not pick up proxy or CA settings from the environment (the
machines set ``REQUESTS_CA_BUNDLE``), and must never follow a redirect to somewhere else. The
standard library's ``http.client`` with an explicit ``ssl.SSLContext`` gives all three, so no extra
dependency is needed.

Every probe returns a :class:`CheckResult`, which is plain JSON-able data: it goes into the swap
report in XCom, so it holds no secret (URLs, status codes, timings and short messages only).
"""

from __future__ import annotations

import http.client
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

#: Bytes of the response body kept in a failed check's detail (bodies can be large or noisy).
BODY_EXCERPT = 120


def utcnow_iso() -> str:
    """Now as an ISO-8601 UTC string: what every time in the swap report looks like."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class HealthCheckConfig:
    """How to probe a deployment's application.

    :param path: path appended to the deployment ``Url`` (``Url`` ends with ``/``; a leading slash
        here is tolerated and does not drop the Url's own path).
    :param expected_status: the HTTP status that counts as healthy.
    :param retries: attempts per check before the check fails (a swap can cause a short disruption,
        so one failed request must not fail a release).
    :param timeout: seconds per attempt (connect + read).
    :param interval: seconds between attempts.
    """

    path: str = "health"
    expected_status: int = 200
    retries: int = 3
    timeout: float = 5.0
    interval: float = 1.0


@dataclass
class CheckResult:
    """One gate of the guarded swap, as it appears in the report."""

    name: str
    ok: bool
    detail: str
    at: str = field(default_factory=utcnow_iso)
    target: str | None = None
    attempts: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def ssl_context_from_extras(extras: dict[str, Any]) -> ssl.SSLContext:
    """The TLS trust of the Airflow connection, reused for the application probe.

    ``ca_bundle`` may be a file path or PEM text (the hook accepts both); without it the system
    trust store is used. ``verify: false`` turns verification off, loudly, as the client does.
    """
    ca = extras.get("ca_bundle")
    verify = str(extras.get("verify", True)).strip().lower() not in ("false", "0", "no", "off")
    if not verify:
        log.warning("Health probes do not verify TLS certificates: the connection sets verify=false.")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if not ca:
        return ssl.create_default_context()
    text = str(ca)
    if "-----BEGIN" in text:
        return ssl.create_default_context(cadata=text)
    return ssl.create_default_context(cafile=str(Path(text).expanduser()))


def health_url(deployment_url: str, path: str) -> str:
    """Join the deployment Url and the health path without losing the Url's own path."""
    return deployment_url.rstrip("/") + "/" + path.lstrip("/")


def probe_once(url: str, timeout: float, ctx: ssl.SSLContext) -> tuple[int | None, str]:
    """One GET; returns (status, short detail). Network problems give ``(None, reason)``.

    Redirects are not followed on purpose: a health endpoint that redirects is misconfigured, and a
    redirect could lead the probe (and the swap decision) to another host.
    """
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.netloc, timeout=timeout, context=ctx)
    elif parts.scheme == "http":
        conn = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    else:
        return None, f"unsupported URL scheme {parts.scheme!r}"
    try:
        conn.request("GET", target, headers={"User-Agent": "airflow-sm-provider-health/1"})
        resp = conn.getresponse()
        body = resp.read(4096).decode("utf-8", "replace").strip().replace("\n", " ")
        return resp.status, f"HTTP {resp.status} {body[:BODY_EXCERPT]}".strip()
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def check_health(
    name: str,
    deployment_url: str,
    config: HealthCheckConfig,
    ctx: ssl.SSLContext,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckResult:
    """Probe ``<Url><path>`` up to ``config.retries`` times; healthy on the first expected status."""
    url = health_url(deployment_url, config.path)
    detail = "not probed"
    attempts = max(1, int(config.retries))
    for attempt in range(1, attempts + 1):
        status, detail = probe_once(url, config.timeout, ctx)
        if status == config.expected_status:
            log.info("Health check %s: %s answered %s (attempt %d)", name, url, status, attempt)
            return CheckResult(name=name, ok=True, detail=detail, target=url, attempts=attempt)
        log.warning(
            "Health check %s: %s -> %s, expected HTTP %s (attempt %d of %d)",
            name,
            url,
            detail,
            config.expected_status,
            attempt,
            attempts,
        )
        if attempt < attempts:
            sleep(config.interval)
    return CheckResult(
        name=name,
        ok=False,
        detail=f"expected HTTP {config.expected_status}, last answer: {detail}",
        target=url,
        attempts=attempts,
    )


# --- deployment state -----------------------------------------------------------------------------
#: Deployment statuses that change by themselves (an operation is moving them); worth waiting for.
TRANSITIONAL_STATUSES = (
    "RunningTransitioning",
    "SuspendedTransitioning",
    "Starting",
    "Suspending",
    "Deploying",
)
#: Instance states from which a deployment will not become ready without someone intervening.
FAILED_INSTANCE_STATES = ("FailedStartingRole", "FailedStartingVM", "UnresponsiveRole")


def slot_summary(dep: Any | None) -> dict[str, Any] | None:
    """What the report records about a slot: name, status, instance counts, lock, label, Url."""
    if dep is None:
        return None
    counts: dict[str, int] = {}
    for inst in dep.role_instance_list:
        counts[inst.instance_status] = counts.get(inst.instance_status, 0) + 1
    return {
        "name": dep.name,
        "status": dep.status,
        "instances": counts,
        "locked": bool(dep.locked),
        "label": dep.label,
        "url": dep.url,
    }


def assess_deployment(dep: Any) -> tuple[str, str]:
    """Classify a deployment for the swap gates: ``ready``, ``settling`` (wait) or ``hopeless`` (refuse).

    Locked and transitional states are ``settling``: another operation is still changing the
    deployment, and swapping over it is exactly what must not happen. ``Suspended`` or failed
    instances will not heal by waiting, so the gate refuses at once instead of burning its timeout.
    """
    if dep.locked:
        return "settling", f"{dep.name} is locked by an operation in progress"
    if dep.status in TRANSITIONAL_STATUSES:
        return "settling", f"{dep.name} is {dep.status}"
    if dep.status != "Running":
        return "hopeless", f"{dep.name} is {dep.status or 'in an unknown state'}, not Running"
    instances = list(dep.role_instance_list)
    if not instances:
        return "hopeless", f"{dep.name} has no role instances"
    failed = [i.instance_name for i in instances if i.instance_status in FAILED_INSTANCE_STATES]
    if failed:
        return "hopeless", f"{dep.name} has failed instances: {', '.join(failed)}"
    waiting = [
        f"{i.instance_name}={i.instance_status}" for i in instances if i.instance_status != "ReadyRole"
    ]
    if waiting:
        return "settling", f"{dep.name} instances not ready: {', '.join(waiting)}"
    return "ready", f"{dep.name} is Running, {len(instances)} instance(s) ReadyRole"


def format_report(report: dict[str, Any]) -> str:
    """The report as the few lines a release engineer reads in the task log."""
    lines = [
        f"service {report['service_name']}: {report['outcome']} -- {report['message']}",
        f"  old production: {report['old_production']}  new: {report['new_production']}  "
        f"rolled back: {report['rolled_back']}",
    ]
    for check in report["checks"]:
        lines.append(
            f"  [{'ok' if check['ok'] else 'FAIL'}] {check['at']} {check['name']}: {check['detail']}"
        )
    return "\n".join(lines)


def as_bool(value: Any) -> bool:
    """Params rendered through Jinja arrive as strings ("False"); read them the way people mean them."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y")
    return bool(value)


class SwapRefused(Exception):
    """The guarded swap stopped; ``final`` means a flip happened, so a retry must not flip again."""

    def __init__(self, report: dict[str, Any], final: bool) -> None:
        super().__init__(report.get("message", "guarded swap refused"))
        self.report = report
        self.final = final

    def summary(self) -> str:
        return format_report(self.report)


@dataclass
class SwapSettings:
    """Everything that decides how a guarded swap behaves (see ``AsmGuardedSwapOperator``)."""

    health: HealthCheckConfig
    expected_new: str | None = None
    rollback_mode: bool = False
    bake_seconds: float = 0.0
    bake_interval: float = 10.0
    lock_wait_timeout: float = 300.0
    poll_interval: float = 5.0
    swap_timeout: float = 900.0
    rollback_on_failure: bool = True

    def __post_init__(self) -> None:
        self.bake_seconds = max(0.0, float(self.bake_seconds))
        self.bake_interval = max(0.1, float(self.bake_interval))
        self.poll_interval = max(0.05, float(self.poll_interval))


def new_report(service_name: str, settings: SwapSettings) -> dict[str, Any]:
    """The empty swap report (JSON-able, no secrets); the swap fills it in as it goes."""
    return {
        "service_name": service_name,
        "mode": "rollback" if settings.rollback_mode else "release",
        "outcome": "running",
        "message": "",
        "old_production": None,
        "new_production": settings.expected_new,
        "before": {},
        "after": {},
        "swapped": False,
        "rolled_back": False,
        "swap_request_id": None,
        "rollback_request_id": None,
        "started_at": utcnow_iso(),
        "swapped_at": None,
        "finished_at": None,
        "checks": [],
    }


# --- retry reconciliation ---------------------------------------------------------------------------
#: Task-state-store key of the swap intent (survives retries of the same task instance).
STATE_KEY = "asm_guarded_swap"


def load_intent(store: Any, run_id: str | None, log: Any) -> dict[str, Any]:
    """What an earlier try of *this* run was about to swap (``{"old", "new"}``), or ``{}``.

    The store is an optimisation: without it, reconciling by ``expected_new_deployment`` still works.
    An intent written by another run is ignored -- only a retry may skip its own swap.
    """
    if store is None:
        return {}
    try:
        value = store.get(STATE_KEY)
    except Exception as exc:
        log.warning("Cannot read the task state store (%s); reconciling by slot names only", exc)
        return {}
    if not isinstance(value, dict) or not run_id or value.get("run_id") != run_id:
        return {}
    return value


def save_intent(store: Any, run_id: str | None, old: str | None, new: str, log: Any) -> None:
    """Record the swap about to be sent, so a retry after a crash does not send it twice."""
    if store is None:
        return
    try:
        store.set(STATE_KEY, {"old": old or "", "new": new, "at": utcnow_iso(), "run_id": run_id})
    except Exception as exc:
        log.warning("Cannot write the task state store (%s); a retry will reconcile by names", exc)

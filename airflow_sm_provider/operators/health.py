"""Application health checks of the release operators: what to ask, how to ask it, over which TLS.

A VIP swap or an upgrade-domain walk has no health gate of its own in classic Cloud Services, so
the release operators check the application itself. Users point the check at their app:

* ``url``: a full URL template, e.g. ``"{deployment_url}health"`` (the default),
  ``"https://{deployment_name}.internal.example.com/ready"`` or a fixed monitoring URL. Placeholders
  are ``{deployment_url}`` (the deployment's ``Url``, ending in ``/``), ``{deployment_name}``,
  ``{slot}`` (``production`` | ``staging``), ``{service_name}`` and ``{upgrade_domain}``. Jinja
  templating runs first (DAG params), then these placeholders at probe time;
* ``headers``: sent with every probe (values may be secrets: they are masked and never reported, and
  blanked out of what an answer or an error quotes);
* ``expected_status``: the HTTP statuses that mean healthy (``200`` or ``[200, 204]``);
* ``body_contains``: optional text the body must contain (``"ok"``, ``'"status": "UP"'``).

TLS trusts exactly what the Airflow connection trusts: ``ca_bundle`` and ``verify`` as parsed by the
hook (``AsmConnectionSettings``, the one connection parser). The probe ignores proxy and CA
environment variables (the machines set ``REQUESTS_CA_BUNDLE``) and never follows a redirect (a
health endpoint that redirects is misconfigured and could lead the decision to another host).

The waiting itself (attempts, spacing) is ``client.polling``'s: :func:`health_probe` builds the
probe, ``health_condition`` judges a :class:`HealthSample`.
"""

from __future__ import annotations

import ssl
import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_sm_provider._rendering import duration, guard, number, secret_mapping, text
from airflow_sm_provider.operators._arguments import DeclaredArguments, argument
from airflow_sm_provider.operators._checks import invalid

if TYPE_CHECKING:
    from airflow_sm_provider.client.polling import Probe
    from airflow_sm_provider.hooks.service_management import AsmConnectionSettings

__all__ = [
    "HEALTH_FIELDS",
    "HealthCheck",
    "HealthCheckArgsMixin",
    "HealthSample",
    "expected_statuses",
    "health_probe",
    "probe_async",
    "probe_sync",
    "tls_context",
]

#: Characters of the response body kept in a sample (bodies can be large or noisy).
BODY_EXCERPT = 120
#: Bytes of the body read for ``body_contains``.
BODY_LIMIT = 65536
#: What no HTTP header value may hold (RFC 9110 field-value: visible text, spaces and tabs).
_ILLEGAL_IN_HEADER = frozenset(chr(c) for c in (*range(0x20), 0x7F) if c != 0x09)
PLACEHOLDERS = ("deployment_url", "deployment_name", "slot", "service_name", "upgrade_domain")
USER_AGENT = "airflow-sm-provider-health/2"
#: The operator arguments a health check is built from (checked once none is a template).
HEALTH_FIELDS = (
    "health_url",
    "health_path",
    "health_headers",
    "expected_status",
    "health_body_contains",
    "health_retries",
    "health_timeout",
    "health_interval",
)


def expected_statuses(field: str, value: Any) -> int | list[int]:
    """The ``field_readers`` reader of ``expected_status``: a status or a list of statuses.

    Why: rendered, ``[200, 204]`` is the *text* ``"[200, 204]"``; read here it is the list again
    (JSON or a printed Python list; a bare ``"200"`` is the status 200). Ranges are checked by
    :meth:`HealthCheck.build`, which names the field too.
    """

    if isinstance(value, str) and value.strip().startswith(("[", "(")):
        from airflow_sm_provider._rendering import _literal

        value = _literal(field, value, "an HTTP status or a list of them")
    if isinstance(value, (list, tuple, set)):
        return [number(integer=True)(field, status) for status in value]
    return number(integer=True)(field, value)


@dataclass(frozen=True)
class HealthSample:
    """One answer of the application (what a condition judges, and what the report keeps)."""

    url: str
    status: int | None
    body: str
    detail: str


@dataclass(frozen=True)
class HealthCheck:
    """How to probe a deployment's application (JSON-safe: it travels to the triggerer).

    :param url: URL template (see the module docstring).
    :param headers: request headers; values are never logged or reported.
    :param expected_status: statuses meaning healthy.
    :param body_contains: text the body must contain, or None.
    :param retries: attempts per check before it fails (a swap causes a short disruption).
    :param timeout: seconds per attempt (connect + read).
    :param interval: seconds between attempts.
    """

    url: str = "{deployment_url}health"
    headers: dict[str, str] = field(default_factory=dict)
    expected_status: tuple[int, ...] = (200,)
    body_contains: str | None = None
    retries: int = 3
    timeout: float = 5.0
    interval: float = 2.0

    @classmethod
    def build(
        cls,
        *,
        url: str | None,
        path: str | None,
        headers: Any,
        expected_status: Any,
        body_contains: str | None,
        retries: Any,
        timeout: Any,
        interval: Any,
    ) -> HealthCheck:
        """Validate rendered operator arguments into a check; errors name the argument and the fix."""
        if url and path not in (None, "", "health"):
            invalid("health_url", "give health_url or health_path, not both")
        template = str(url) if url else "{deployment_url}" + str(path or "health").lstrip("/")
        try:
            names = {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}
        except ValueError as exc:
            invalid("health_url", f"is not a valid template ({exc}); write literal braces as {{{{ and }}}}")
        unknown = sorted(n for n in names if n not in PLACEHOLDERS)
        if unknown:
            invalid("health_url", f"has unknown placeholder(s) {unknown}; use {', '.join(PLACEHOLDERS)}")
        sample = template.format(**{n: "x/" if n == "deployment_url" else "x" for n in PLACEHOLDERS})
        if not sample.startswith(("https://", "http://", "x/")):
            invalid(
                "health_url", f"must start with https:// or http:// or {{deployment_url}}, got {template!r}"
            )
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            invalid("health_headers", f"must be a dict of header name -> text, got {type(headers).__name__}")
        for name, value in headers.items():
            if any(ch in value for ch in _ILLEGAL_IN_HEADER):
                # No HTTP client sends it: every probe would fail and be judged as the application's.
                invalid(
                    "health_headers",
                    f"the value of header {name!r} holds a line break or control character (value not "
                    "shown: it may be a secret); a Variable read from a file keeps its trailing newline: "
                    "strip it, e.g. '{{ var.value.<name> | trim }}'",
                )
        statuses = expected_status if isinstance(expected_status, list | tuple | set) else [expected_status]
        try:
            codes = tuple(sorted({int(s) for s in statuses}))
        except (TypeError, ValueError):
            invalid("expected_status", f"must be an HTTP status or a list of them, got {expected_status!r}")
        if not codes or any(c < 100 or c > 599 for c in codes):
            invalid("expected_status", f"must be HTTP statuses between 100 and 599, got {expected_status!r}")
        try:
            check = cls(
                template,
                dict(headers),
                codes,
                body_contains or None,
                int(retries),
                float(timeout),
                float(interval),
            )
        except (TypeError, ValueError):
            invalid("health_retries", "health_retries, health_timeout and health_interval must be numbers")
        if check.retries < 1 or check.timeout <= 0 or check.interval < 0:
            invalid("health_retries", "health_retries must be >= 1, health_timeout > 0, health_interval >= 0")
        return check

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["expected_status"] = list(self.expected_status)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthCheck:
        return cls(**{**data, "expected_status": tuple(data.get("expected_status") or (200,))})

    @property
    def per_domain(self) -> bool:
        """True when the URL names ``{upgrade_domain}``: each probe asks about one domain's instances
        (a per-domain monitoring URL), not the whole deployment's load-balanced answer."""
        return any(n == "upgrade_domain" for _, n, _, _ in string.Formatter().parse(self.url))

    def resolve(self, dep: Any, service_name: str, slot: str, upgrade_domain: int | None = None) -> str:
        """The URL to probe for this deployment."""
        values = {
            "deployment_url": getattr(dep, "url", "") or "",
            "deployment_name": getattr(dep, "name", "") or "",
            "slot": slot.lower(),
            "service_name": service_name,
            "upgrade_domain": "" if upgrade_domain is None else str(upgrade_domain),
        }
        return self.url.format(**values)


def tls_context(settings: AsmConnectionSettings | None) -> ssl.SSLContext:
    """The TLS trust of the Airflow connection (``ca_bundle`` path or PEM text, ``verify``).

    Blocking (reads files): call it off the event loop. Without settings: the system trust store.
    """
    ctx = ssl.create_default_context()
    if settings is None:
        return ctx
    if not settings.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if settings.ca_bundle:
        text = settings.ca_bundle
        if "-----BEGIN" in text:
            return ssl.create_default_context(cadata=text)
        return ssl.create_default_context(cafile=str(Path(text).expanduser()))
    return ctx


#: Shortest word of a header value blanked out on its own (``Bearer <token>``: the token alone).
_SECRET_WORD = 8


def _hidden(check: HealthCheck) -> list[str]:
    """What of the header values to blank out of a sample's detail: each value (blanks collapsed,
    as in the excerpt) and its long words, longest first."""
    found = set()
    for value in check.headers.values():
        words = value.split()
        found.add(" ".join(words))
        found.update(w for w in words if len(w) >= _SECRET_WORD)
    return sorted((h for h in found if h), key=len, reverse=True)


def _scrub(text: str, hidden: Sequence[str]) -> str:
    for value in hidden:
        text = text.replace(value, "***")
    return text


def _sample(
    url: str, status: int | None, body: str, detail: str = "", hidden: Sequence[str] = ()
) -> HealthSample:
    """One answer; ``hidden`` (the header values) is blanked out of its detail, which the report,
    XCom and the trigger event keep: an answer may echo a token ("invalid token ...") and httpx's
    error for an illegal header value quotes the value."""
    excerpt = _scrub(" ".join(body.split()), hidden)[:BODY_EXCERPT]
    return HealthSample(url, status, body, _scrub(detail, hidden) or f"HTTP {status} {excerpt}".strip())


class HealthCheckArgsMixin(DeclaredArguments):
    """The health-check arguments of a release operator: stored once, checked once, built once.

    Both release operators (guarded swap, guarded rolling upgrade) take the same ``health_*``
    arguments; they are declared here once (``operators/_arguments.py``: each operator that inherits
    the mixin lists them in its own signature, so Airflow's ``default_args`` and the reference see
    them), and the :class:`HealthCheck` they build is built here.

    :param health_url: URL template of the health check (see the module docstring).
    :param health_headers: headers sent with each probe (values masked, never reported, sealed while
        the release waits).
    :param expected_status: HTTP status, or list of statuses, meaning healthy.
    :param health_body_contains: text the health answer's body must contain.
    :param health_retries: attempts per health check.
    :param health_timeout: seconds per attempt.
    :param health_interval: seconds between attempts.

    ``health_url``, ``health_headers`` and ``health_body_contains`` are safety arguments: given as a
    template that renders to ``""`` or ``"None"``, the release fails before any request instead of
    probing a default URL, without the headers, or without the body check.
    """

    health_url: str | None = argument(
        None, reader=guard(text, check="the health check at this URL"), templated=True
    )
    #: Only the guarded swap offers the ``health_path`` shorthand (it declares the argument).
    health_path: str | None
    health_headers: dict[str, str] | None = argument(
        None, reader=guard(secret_mapping, check="the health probe's headers"), templated=True
    )
    expected_status: int | Sequence[int] | str = argument(200, reader=expected_statuses, templated=True)
    health_body_contains: str | None = argument(
        None, reader=guard(text, check="the health check of the answer's body"), templated=True
    )
    health_retries: int | str = argument(3, reader=number(minimum=1, integer=True))
    health_timeout: float | str = argument(5.0, reader=duration())
    health_interval: float | str = argument(2.0, reader=duration(positive=False), templated=True)

    def mask_health_headers(self) -> None:
        """Header values may be secrets (a bearer token): masked in logs before any probe."""
        from airflow_sm_provider._compat import mask_secret

        for value in (self.health_headers or {}).values():
            mask_secret(value)

    def validate_inputs(self) -> None:
        """The operator's checks, then build the health check now unless an argument is still a
        template (then it is built once rendered)."""
        from airflow_sm_provider._rendering import is_template

        super().validate_inputs()

        if not any(is_template(getattr(self, f, None)) for f in HEALTH_FIELDS):
            self.health_check()

    def health_check(self) -> HealthCheck:
        """The validated check; errors name the argument and the fix."""
        return HealthCheck.build(
            url=self.health_url,
            path=getattr(self, "health_path", None),
            headers=self.health_headers or {},
            expected_status=self.expected_status,
            body_contains=self.health_body_contains,
            retries=self.health_retries,
            timeout=self.health_timeout,
            interval=self.health_interval,
        )


def _headers(check: HealthCheck) -> dict[str, str]:
    return {"User-Agent": USER_AGENT, **check.headers}


def probe_sync(url: str, check: HealthCheck, ctx: ssl.SSLContext) -> HealthSample:
    """One GET from a worker; network problems give ``status=None`` and the reason."""
    import httpx

    try:
        with httpx.Client(verify=ctx, trust_env=False, follow_redirects=False, timeout=check.timeout) as http:
            resp = http.get(url, headers=_headers(check))
            return _sample(url, resp.status_code, resp.text[:BODY_LIMIT], hidden=_hidden(check))
    except httpx.HTTPError as exc:
        return _sample(url, None, "", f"{type(exc).__name__}: {exc}", _hidden(check))


async def probe_async(url: str, check: HealthCheck, ctx: ssl.SSLContext) -> HealthSample:
    """One GET from the triggerer (same semantics as :func:`probe_sync`)."""
    import httpx

    try:
        async with httpx.AsyncClient(
            verify=ctx, trust_env=False, follow_redirects=False, timeout=check.timeout
        ) as http:
            resp = await http.get(url, headers=_headers(check))
            return _sample(url, resp.status_code, resp.text[:BODY_LIMIT], hidden=_hidden(check))
    except httpx.HTTPError as exc:
        return _sample(url, None, "", f"{type(exc).__name__}: {exc}", _hidden(check))


def health_probe(url: str, check: HealthCheck, ctx: ssl.SSLContext, what: str) -> Probe[HealthSample]:
    """The probe of one health check (sync and async fetch, ``health_condition``)."""
    from airflow_sm_provider.client.polling import Probe, health_condition

    return Probe(
        what,
        health_condition(check.expected_status, check.body_contains),
        fetch=lambda: probe_sync(url, check, ctx),
        afetch=lambda: probe_async(url, check, ctx),
    )

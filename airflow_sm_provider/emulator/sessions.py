"""``requests`` sessions pinned to one emulator: for its admin API, and for the old SDK.

Here, not in ``pytest_plugin`` (which re-exports both for tests): that module imports pytest, which
a plain install lacks, and ``make demo``, ``make cluster`` and the benchmarks talk to the emulator
too. ``trust_env=False`` is the point of both: ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` would
otherwise override ``verify`` and the emulator's CA would be ignored (asm-wire.md 5.5). ``requests``
is imported when a session is made, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_sm_provider.emulator.admin import ADMIN_TOKEN_HEADER

if TYPE_CHECKING:
    import requests

__all__ = ["admin_call", "admin_session", "admin_url", "legacy_session"]


def _pinned(endpoint: Mapping[str, Any]) -> requests.Session:
    import requests

    session = requests.Session()
    session.trust_env = False
    session.verify = str(endpoint["ca_cert"])
    return session


def admin_session(endpoint: Mapping[str, Any]) -> requests.Session:
    """A session for the emulator's admin API (``endpoint["admin_url"]``): pinned to the emulator's
    CA and sending the ``X-Emulator-Admin-Token`` header from ``endpoint.json`` (every admin request
    needs it, else 401). No client certificate: the admin API does not ask for one."""
    session = _pinned(endpoint)
    session.headers[ADMIN_TOKEN_HEADER] = str(endpoint["admin_token"])
    return session


def admin_url(endpoint: Mapping[str, Any], what: str) -> str:
    """The admin API's address of ``what`` (``state``, ``faults``, ``stats``, ``rate-limit``...)."""
    return str(endpoint["admin_url"]).rstrip("/") + "/" + what.lstrip("/")


def admin_call(
    endpoint: Mapping[str, Any],
    method: str,
    what: str,
    body: Any = None,
    *,
    session: requests.Session | None = None,
    timeout: float = 30.0,
) -> Any:
    """One admin API request: ``body`` as JSON, the answer's JSON back.

    :param session: an ``admin_session`` to reuse (many calls); a new one for this call if omitted.
    :raises requests.HTTPError: the admin API refused (401 without the token, 400 bad input...).
    """
    own = session is None
    active = admin_session(endpoint) if session is None else session
    try:
        resp = active.request(method, admin_url(endpoint, what), json=body, timeout=timeout)
    finally:
        if own:
            active.close()
    resp.raise_for_status()
    return resp.json()


def legacy_session(endpoint: Mapping[str, Any]) -> requests.Session:
    """A session for ``azure.servicemanagement.ServiceManagementService(request_session=...)``:
    pinned to the emulator's CA, presenting the endpoint's client certificate."""
    session = _pinned(endpoint)
    session.cert = str(endpoint["client_pem"])
    return session

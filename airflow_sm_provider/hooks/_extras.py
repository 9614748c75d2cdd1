"""Connection extras the hook does not read: said, with the key that was probably meant.

A misspelled key is otherwise silently ignored, and the failure it causes points elsewhere: extra
``ca_cert`` (the endpoint.json key) instead of ``ca_bundle`` fails the TLS handshake as "not signed
by a trusted CA"; ``subscriptionId`` fails as "no subscription". Warned, not refused: Airflow
providers ignore extras they do not know, and a connection may carry keys for other tools (or notes);
refusing them would break connections that work today. The hook logs each note; an error reading the
connection or building its client (``get_conn``, ``get_async_conn``) ends with them, and so does Test
Connection's answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airflow_sm_provider.protocol import CONN_TYPE

#: Keys other tools use for what an extra of ours holds (endpoint.json, the old SDK's names).
_SYNONYMS = {
    "ca_cert": "ca_bundle",
    "ca_file": "ca_bundle",
    "cafile": "ca_bundle",
    "client_pem": "certificate_path",
    "cert_file": "certificate_path",
    "certfile": "certificate_path",
}
#: Connection fields of their own, not extras.
_FIELDS = {"host": "Host", "password": "Password", "login": "Login", "port": "Port"}


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _suggestion(key: str, known: list[str]) -> str | None:
    prefix = f"extra__{CONN_TYPE}__"
    if key.startswith(prefix) and key[len(prefix) :] in known:
        return key[len(prefix) :]  # the Airflow 2.2 form's prefixed name
    if key.lower() in _SYNONYMS:
        return _SYNONYMS[key.lower()]
    same = [k for k in known if _norm(k) == _norm(key)]  # subscriptionId, Subscription-ID
    if same:
        return same[0]
    import difflib  # when a connection is read, not at DAG parse (operators import the hook)

    close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_extra_notes(extras: Mapping[str, Any], known: Iterable[str]) -> list[str]:
    """One sentence per extra key the hook does not read, e.g.
    ``unknown extra key 'ca_cert'; did you mean 'ca_bundle'?`` (keys only: values may be secret)."""
    names = list(known)
    notes: list[str] = []
    for key in extras:
        if not isinstance(key, str) or key in names:
            continue
        if key.lower() in _FIELDS:
            notes.append(
                f"unknown extra key {key!r}; it is the connection's own {_FIELDS[key.lower()]} field, "
                "not an extra"
            )
            continue
        hint = _suggestion(key, names)
        notes.append(
            f"unknown extra key {key!r}; did you mean {hint!r}?"
            if hint
            else f"unknown extra key {key!r} is ignored (known: {', '.join(names)})"
        )
    return notes

"""Turn a failed connection test into one message that says what is wrong and how to fix it.

Users asked for this (apache/airflow#21110: "a red banner but doesn't say what failed"). The
client's errors already carry the facts (HTTP status, ASM code, the TLS reason); this module adds
the Airflow-side fix: which connection field to change.
"""

from __future__ import annotations

__all__ = ["explain_failure"]


# (substring of the error chain, lower case) -> fix. First match wins; order matters.
_TLS_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("ee_key_too_small", "key too small", "key too weak"),
        "the management certificate's RSA key is too small (1024-bit, as the Azure tutorial's "
        "`openssl req -newkey rsa:1024` makes); OpenSSL 3 refuses it. Make a 2048-bit certificate "
        "(`openssl req -x509 -nodes -days 365 -newkey rsa:2048 -subj /CN=mycert -keyout mycert.pem "
        "-out mycert.pem`) and upload its .cer to the subscription",
    ),
    (
        ("tlsv1_alert_unknown_ca", "alert unknown ca", "alert_certificate_unknown", "bad certificate"),
        "the management endpoint rejected the client certificate during the TLS handshake: upload "
        "the certificate's public part (.cer) to this subscription's management certificates",
    ),
    (
        ("certificate_verify_failed", "self-signed certificate", "unable to get local issuer"),
        "this machine does not trust the management endpoint's TLS certificate: set the "
        "connection's 'ca_bundle' extra to the CA (PEM) that signed it",
    ),
    (
        ("hostname mismatch", "doesn't match", "not valid for"),
        "the endpoint's TLS certificate does not name the host in the connection: check the "
        "connection's host field (management host or cloud name)",
    ),
    (
        (
            "connection refused",
            "name or service not known",
            "nodename nor servname",
            "no route to host",
            "temporary failure in name resolution",
            "timed out",
            "timeout",
            "unreachable",
        ),
        "the management host could not be reached: check the connection's host field (empty = "
        "management.core.windows.net; or public, china, usgovernment, germany, or host:port) and "
        "this machine's network/proxy access to it",
    ),
)


def _already_advised(message: str, fix: str) -> bool:
    """True when the client's own message already names the fix (avoid saying it twice)."""
    markers = ("ca_bundle", "2048", ".cer", "host")
    return any(m in fix and m in message for m in markers)


def _chain_text(exc: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        parts.append(f"{type(cur).__name__} {cur} {getattr(cur, 'reason', '')}")
        # A TransportError keeps the library's exception as ``.cause``, not ``__cause__``.
        cur = cur.__cause__ or cur.__context__ or getattr(cur, "cause", None)
    return " ".join(parts).lower()


def explain_failure(
    exc: BaseException, *, subscription: str | None, thumbprint: str | None, host: str | None
) -> str:
    """One actionable sentence (or two) for a failed Get Subscription / connection set-up.

    Never contains key material (``without_key_material``), even when the exception text did.

    :param exc: what was raised while building the client or calling Get Subscription.
    :param subscription: the subscription id, when known.
    :param thumbprint: the certificate's thumbprint, when it was loaded.
    :param host: the configured management host, when known.
    """
    from airflow_sm_provider.client.errors import without_key_material  # not at DAG parse

    return without_key_material(_explain(exc, subscription=subscription, thumbprint=thumbprint, host=host))


def _explain(
    exc: BaseException, *, subscription: str | None, thumbprint: str | None, host: str | None
) -> str:
    from airflow_sm_provider.client import errors

    sub = subscription or "(not set)"
    cert = thumbprint or "(not loaded)"
    where = host or "management.core.windows.net"
    if isinstance(exc, errors.CertificateError):
        return f"Management certificate problem: {exc}"
    if isinstance(exc, errors.InvalidInputError):
        return f"Invalid connection setting '{exc.field}': {exc.message}"
    if isinstance(exc, errors.AuthenticationError):
        advice = (
            ""
            if ".cer" in str(exc)
            else " Upload the certificate's public part (.cer) to this subscription's management "
            "certificates, or correct the 'subscription_id' extra if it names another subscription."
        )
        return f"ASM refused certificate {cert} for subscription {sub}: {exc}{advice}"
    if isinstance(exc, errors.NotFoundError):
        return (
            f"Subscription {sub} was not found at {where} ({exc}). Check the 'subscription_id' extra "
            "and the host field (cloud)."
        )
    if isinstance(exc, errors.TransportError):
        text = _chain_text(exc)
        for needles, fix in _TLS_HINTS:
            if any(n in text for n in needles) and not _already_advised(str(exc), fix):
                return f"Could not talk to {where}: {fix}. Details: {exc}"
        return f"Could not talk to {where}: {exc}"
    if isinstance(exc, errors.AsmError):
        return f"ASM answered with an error for subscription {sub}: {exc}"
    if isinstance(exc, ValueError):  # our own field validation: already names the field
        return str(exc)
    text = _chain_text(exc)
    for needles, fix in _TLS_HINTS:
        if any(n in text for n in needles):
            return f"Could not talk to {where}: {fix}. Details: {type(exc).__name__}: {exc}"
    return f"Unexpected {type(exc).__name__}: {exc}"

"""Health-probe headers sealed with the connection's key while they sit in Airflow's database.

Why: a release's wait steps travel as JSON twice -- in the trigger's kwargs when the wait defers, and
in the task state store (the ``pending`` steps a retried try resumes). Airflow 3.3 writes both as
plain JSON: the task SDK sends the trigger kwargs as a dict and the execution API stores a dict
unencrypted (Airflow 2.9 to 2.11 encrypted trigger kwargs with the Fernet key). A probe's headers
often carry a token (``health_headers={"X-Token": "{{ var.value.health_token }}"}``), so they must
not travel as they are.

The worker and the triggerer both load the same ASM connection, and its management private key is a
secret they already share that the metadata database never needs in the clear (with a secrets
backend it never holds it at all). So the header values are sealed with AES-GCM under a key derived
from that private key (HKDF-SHA256, a fresh random salt and nonce per seal), with the certificate's
thumbprint bound as associated data.

Only the triggerer ever opens a seal it did not make, so a seal is never the only copy: a worker
re-seals saved steps with the headers it has just rendered (``reseal_steps``: a try resumed after a
certificate rotation, or steps saved before sealing existed), and a triggerer whose shared client
holds an older certificate opens with the connection's current one. What remains is a worker and a
triggerer that load *different* certificates of the subscription for one connection: the wait then
ends with ``error_type`` ``SealedHeadersError`` and the release fails saying so, never judging the
application by it.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

__all__ = ["SEALED_KEY", "SealedHeadersError", "open_health", "open_steps", "reseal_steps", "seal_steps"]

#: The key of a step's ``health`` dict that holds the sealed headers (``headers`` is then empty).
SEALED_KEY = "sealed_headers"
_INFO = b"airflow-sm-provider/health-headers/v1"


class SealedHeadersError(Exception):
    """Sealed health headers cannot be sealed or opened with the connection's credentials."""


def _key(credentials: Any, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret = credentials.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(secret)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _seal(headers: dict[str, str], credentials: Any) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(12)
    aad = credentials.thumbprint.encode("ascii")
    data = AESGCM(_key(credentials, salt)).encrypt(nonce, json.dumps(headers).encode("utf-8"), aad)
    return {
        "v": 1,
        "thumbprint": credentials.thumbprint,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "data": _b64(data),
    }


def seal_steps(steps: list[dict[str, Any]], credentials: Any) -> list[dict[str, Any]]:
    """``steps`` with each health check's header values sealed (copies; ``steps`` is not changed).

    :param steps: release wait steps (``triggers.release``); only a ``health`` dict with headers changes.
    :param credentials: the connection's loaded ``client.credentials.Credentials``.
    """
    sealed = []
    for step in steps:
        health = step.get("health")
        if isinstance(health, dict) and health.get("headers"):
            if credentials is None:
                raise SealedHeadersError(
                    "health_headers cannot be kept safe while the release waits: the ASM client has "
                    "no management certificate to seal them with (a client built with transport=?)"
                )
            health = {**health, "headers": {}, SEALED_KEY: _seal(dict(health["headers"]), credentials)}
            sealed.append({**step, "health": health})
        else:
            sealed.append(step)
    return sealed


def open_health(health: dict[str, Any], credentials: Any) -> dict[str, Any]:
    """A step's ``health`` dict with its headers opened (as ``HealthCheck.from_dict`` takes it).

    :raises SealedHeadersError: the connection holds another certificate than the one that sealed them.
    """
    box = health.get(SEALED_KEY)
    if box is None:
        return health
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    thumbprint = getattr(credentials, "thumbprint", None)
    if thumbprint != box.get("thumbprint"):
        raise SealedHeadersError(
            f"the health headers were sealed with management certificate {box.get('thumbprint')} and the "
            f"connection here holds {thumbprint or 'none'}: they cannot be opened with it"
        )
    try:
        plain = AESGCM(_key(credentials, base64.b64decode(box["salt"]))).decrypt(
            base64.b64decode(box["nonce"]), base64.b64decode(box["data"]), thumbprint.encode("ascii")
        )
    except (InvalidTag, KeyError, ValueError) as exc:
        raise SealedHeadersError("the sealed health headers are damaged and cannot be opened") from exc
    opened = {k: v for k, v in health.items() if k != SEALED_KEY}
    opened["headers"] = json.loads(plain)
    return opened


def open_steps(steps: list[dict[str, Any]], credentials: Any) -> list[dict[str, Any]]:
    """``steps`` with every health check's headers opened (copies; for the process that probes)."""
    return [
        {**step, "health": open_health(step["health"], credentials)}
        if isinstance(step.get("health"), dict)
        else step
        for step in steps
    ]


def reseal_steps(
    steps: list[dict[str, Any]], headers: dict[str, str], credentials: Any
) -> list[dict[str, Any]]:
    """Saved ``steps`` sealed anew with the release's freshly rendered ``headers``.

    Every health check of a release sends the operator's one ``health_headers``, so a worker never
    needs to open an old seal: it puts the headers it rendered in every health step and seals again
    with the certificate it holds now. Steps saved unsealed come out sealed.
    """
    fresh = []
    for step in steps:
        health = step.get("health")
        if isinstance(health, dict):
            health = {k: v for k, v in health.items() if k != SEALED_KEY}
            fresh.append({**step, "health": {**health, "headers": dict(headers)}})
        else:
            fresh.append(step)
    return seal_steps(fresh, credentials)

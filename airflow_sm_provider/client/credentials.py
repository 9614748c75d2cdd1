"""Management-certificate credentials (STUB: signatures only, filled in next commit)."""

from __future__ import annotations

import datetime as dt
import os
import ssl
from dataclasses import dataclass, field

__all__ = ["Credentials", "load_credentials"]


@dataclass(frozen=True, repr=False)
class Credentials:
    """A checked management certificate and its private key, held in memory."""

    certificate: object
    private_key: object = field(compare=False)
    thumbprint: str
    subscription_id: str | None
    management_host: str | None
    not_after: dt.datetime

    def ssl_context(self, *, ca_bundle: str | os.PathLike[str] | None, verify: bool) -> ssl.SSLContext:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def load_credentials(source: str | bytes | os.PathLike[str], password: str | None = None) -> Credentials:
    raise NotImplementedError

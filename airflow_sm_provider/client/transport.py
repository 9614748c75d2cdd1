"""HTTP transports (STUB: signatures only, filled in next commit)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from airflow_sm_provider import protocol
from airflow_sm_provider.client.credentials import Credentials
from airflow_sm_provider.client.retry import RetryPolicy

__all__ = ["ApiRequest", "ApiResponse", "AsyncTransport", "Transport", "resolve_host"]


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    body: bytes | None = None
    x_ms_version: str | None = None
    idempotent: bool = True
    operation: str = ""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    request_id: str | None


def resolve_host(host: str | None) -> str:
    raise NotImplementedError


class Transport:
    def __init__(
        self,
        *,
        host: str,
        subscription_id: str,
        credentials: Credentials,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        timeout: float = 65.0,
        x_ms_version: str = protocol.DEFAULT_X_MS_VERSION,
        retry: RetryPolicy | None = None,
        proxies: dict[str, str] | None = None,
    ) -> None:
        raise NotImplementedError

    def send(self, request: ApiRequest) -> ApiResponse:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class AsyncTransport:
    def __init__(
        self,
        *,
        host: str,
        subscription_id: str,
        credentials: Credentials,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        timeout: float = 65.0,
        x_ms_version: str = protocol.DEFAULT_X_MS_VERSION,
        retry: RetryPolicy | None = None,
        proxies: dict[str, str] | None = None,
    ) -> None:
        raise NotImplementedError

    async def send(self, request: ApiRequest) -> ApiResponse:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

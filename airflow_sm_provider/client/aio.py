"""``AsyncServiceManagementClient``: the non-blocking twin used by triggers (design.md 1.7).

Same constructor as the sync client; runs on ``AsyncTransport`` (httpx with an ``ssl.SSLContext``
built from the same ``Credentials``) and reuses the sync client's request specs and parsers
(``ops_cloud``), so both clients send byte-identical requests and map responses identically.
Only the reads a trigger needs are offered. httpx is imported by the transport when the client is
created, never at module import, so importing this module stays cheap.
"""

from __future__ import annotations

import os
from typing import TypeVar

from airflow_sm_provider import protocol
from airflow_sm_provider.client import ops_cloud as oc
from airflow_sm_provider.client.credentials import Credentials
from airflow_sm_provider.client.models import Deployment, HostedService, Operation, Subscription
from airflow_sm_provider.client.ops_base import Call
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.service import open_transport
from airflow_sm_provider.client.transport import (
    ASYNC_KEEPALIVE_EXPIRY,
    ASYNC_MAX_CONNECTIONS,
    AsyncTransport,
)

T = TypeVar("T")


class AsyncServiceManagementClient:
    """Async ASM reads for triggers; use ``async with`` or ``await client.aclose()``.

    One client is meant to be shared by many concurrent callers (``triggers.base`` shares one per
    connection and event loop): ``max_connections`` requests run at once over as many kept-alive
    TLS connections, the others wait their turn (see ``transport.AsyncTransport``).
    """

    def __init__(
        self,
        subscription_id: str,
        certificate: str | bytes | os.PathLike[str] | Credentials,
        host: str = protocol.PUBLIC_HOST,
        ca_bundle: str | os.PathLike[str] | None = None,
        *,
        password: str | None = None,
        verify: bool = True,
        timeout: float = 65.0,
        x_ms_version: str = protocol.DEFAULT_X_MS_VERSION,
        retry: RetryPolicy | None = None,
        proxies: dict[str, str] | None = None,
        max_connections: int = ASYNC_MAX_CONNECTIONS,
        keepalive_expiry: float = ASYNC_KEEPALIVE_EXPIRY,
    ) -> None:
        self.subscription_id, self.credentials, self._owns_credentials, self._transport = open_transport(
            AsyncTransport,
            subscription_id,
            certificate,
            password,
            host=host,
            ca_bundle=ca_bundle,
            verify=verify,
            timeout=timeout,
            x_ms_version=x_ms_version,
            retry=retry,
            proxies=proxies,
            max_connections=max_connections,
            keepalive_expiry=keepalive_expiry,
        )

    @property
    def host(self) -> str:
        return self._transport.host

    async def _run(self, call: Call[T]) -> T:
        return call.parse(await self._transport.send(call.request))

    async def get_operation_status(self, request_id: str) -> Operation:
        return await self._run(oc.get_operation_status(request_id))

    async def get_deployment_by_slot(self, service_name: str, deployment_slot: str) -> Deployment:
        return await self._run(oc.get_deployment_by_slot(service_name, deployment_slot))

    async def get_deployment_by_name(self, service_name: str, deployment_name: str) -> Deployment:
        return await self._run(oc.get_deployment_by_name(service_name, deployment_name))

    async def get_hosted_service_properties(
        self, service_name: str, embed_detail: bool = False
    ) -> HostedService:
        return await self._run(oc.get_hosted_service_properties(service_name, embed_detail))

    async def get_subscription(self) -> Subscription:
        return await self._run(oc.get_subscription())

    async def aclose(self) -> None:
        await self._transport.aclose()
        if self._owns_credentials:
            self.credentials.close()

    async def close(self) -> None:
        """Alias of ``aclose``."""
        await self.aclose()

    async def __aenter__(self) -> AsyncServiceManagementClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

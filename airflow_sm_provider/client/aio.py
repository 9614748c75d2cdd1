"""``AsyncServiceManagementClient``: the non-blocking twin used by triggers (design.md 1.7).

Same constructor as the sync client; runs on ``AsyncTransport`` (httpx with an ``ssl.SSLContext``
built from the same ``Credentials``). Every operation of the table is generated into
``AsyncOperationMethods``, and each goes through ``Op.bind`` like the sync client's, so both send
byte-identical requests and map responses identically. httpx is imported by the transport when
the client is created, never at module import, so importing this module stays cheap.

Handles of async writes carry the request id but cannot ``wait()`` (that would block the loop):
poll with ``await client.get_operation_status(handle.request_id)`` or defer to a trigger.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider.client import compat
from airflow_sm_provider.client._generated import AsyncOperationMethods
from airflow_sm_provider.client.errors import AsmError
from airflow_sm_provider.client.handle import OperationHandle
from airflow_sm_provider.client.operation import Op
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.service import CertificateSource
from airflow_sm_provider.client.submit import Send, Submission
from airflow_sm_provider.client.transport import (
    ASYNC_KEEPALIVE_EXPIRY,
    ASYNC_MAX_CONNECTIONS,
    ApiRequest,
    AsyncTransport,
)

if TYPE_CHECKING:
    import requests


class AsyncServiceManagementClient(compat.OldClientAttributes, AsyncOperationMethods):
    """Async ASM client; use ``async with`` or ``await client.aclose()``.

    One client is meant to be shared by many concurrent callers (``triggers.base`` shares one per
    connection and event loop): ``max_connections`` requests run at once over as many kept-alive
    TLS connections, the others wait their turn (see ``transport.AsyncTransport``). ``transport=``
    takes any object with ``async send(ApiRequest) -> ApiResponse``. The positional order is the
    sync client's (the old SDK's: ``subscription_id, cert_file, host, request_session, timeout``).
    """

    _transport: Any

    def __init__(
        self,
        subscription_id: str | None = None,
        certificate: CertificateSource | None = None,
        host: str | None = None,
        request_session: requests.Session | None = None,
        timeout: float = 65.0,
        *,
        ca_bundle: str | os.PathLike[str] | None = None,
        password: str | None = None,
        verify: bool = True,
        x_ms_version: str = protocol.DEFAULT_X_MS_VERSION,
        retry: RetryPolicy | None = None,
        proxies: dict[str, str] | None = None,
        max_connections: int = ASYNC_MAX_CONNECTIONS,
        keepalive_expiry: float = ASYNC_KEEPALIVE_EXPIRY,
        transport: Any = None,
        cert_file: CertificateSource | None = None,
    ) -> None:
        opened = compat.open_client(AsyncTransport, locals())
        self.subscription_id, self.credentials, self._owns_credentials, self._transport = opened[:4]

    @classmethod
    def from_endpoint(
        cls, endpoint: str | os.PathLike[str] | Mapping[str, Any], **kwargs: Any
    ) -> AsyncServiceManagementClient:
        """An async client for the emulator ``endpoint`` describes (``endpoint.json``'s path or its
        content as a mapping; explicit, never implied)."""
        return cls(**compat.endpoint_kwargs(endpoint), **kwargs)

    @property
    def host(self) -> str:
        return str(getattr(self._transport, "host", ""))

    async def _call(self, op: Op, args: tuple[Any, ...]) -> Any:
        request, values = op.bind(args)
        request = self._stamped(request)
        if not op.returns_handle:
            return op.parse(await self._transport.send(request))
        return await self._submit(op, request, values)

    async def _submit(self, op: Op, request: ApiRequest, values: dict[str, Any]) -> OperationHandle:
        """As the sync client's: the plan ``submit.submission``, its steps awaited. The handle
        cannot ``wait()`` (that would block the loop)."""
        run = Submission(op, request, values)
        while run.pending:
            step = run.step
            try:
                if isinstance(step, Send):
                    outcome: Any = await self._transport.send(step.request)
                else:
                    outcome = await getattr(self, step.name)(*step.args)
            except AsmError as exc:
                run.fail(exc)
            else:
                run.advance(outcome)
        return run.handle(None)

    async def aclose(self) -> None:
        closer = getattr(self._transport, "aclose", None)
        if closer is not None:
            await closer()
        if self._owns_credentials and self.credentials is not None:
            self.credentials.close()

    close = aclose  #: the same coroutine under the name the sync client uses

    async def __aenter__(self) -> AsyncServiceManagementClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

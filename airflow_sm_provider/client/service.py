"""``ServiceManagementClient``: the sync ASM client, spoken in the old SDK's language.

Every ASM method (names, argument order, defaults, result attributes of azure-servicemanagement-
legacy 0.20.8) is generated from the operation table into ``OperationMethods``; this class adds
only what is not an operation: the constructor, ``_call`` (check -> request -> send -> parse or
handle), reconciliation, and the old SDK's non-operation methods (``wait_for_operation_status``,
``perform_*``, ``with_filter``, ``set_proxy``).

Non-idempotent writes (``Op.resend=False``: creates, swap, status and configuration changes) are
sent once; an unknown outcome is RECONCILED by the entry's ``Reconcile`` reads, decided once for
both clients in ``submit.submission``.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider.client import compat
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client._generated import OperationMethods
from airflow_sm_provider.client.credentials import CertificatePair, Credentials
from airflow_sm_provider.client.errors import AsmError, OperationFailedError
from airflow_sm_provider.client.handle import OperationHandle
from airflow_sm_provider.client.models import Operation
from airflow_sm_provider.client.operation import Op
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.submit import Send, Submission
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse, Transport

if TYPE_CHECKING:
    import requests

CertificateSource = str | bytes | os.PathLike[str] | CertificatePair | Credentials
Filter = Callable[[ApiRequest, Callable[[ApiRequest], ApiResponse]], ApiResponse]


class ServiceManagementClient(compat.OldClientAttributes, OperationMethods):
    """Blocking ASM client over mutual TLS. Also a context manager; ``close()`` releases the session.

    ``subscription_id`` / ``certificate`` default to ``AZURE_MANAGEMENT_SUBSCRIPTIONID`` /
    ``AZURE_MANAGEMENT_CERTFILE`` like the old SDK. The positional order is the old SDK's
    (``subscription_id, cert_file, host, request_session, timeout``), so a ported positional call
    means what it meant; everything this client adds (``ca_bundle=``, ...) is keyword-only.
    ``transport=`` takes any object with ``send(ApiRequest) -> ApiResponse`` (tests, recording,
    custom stacks); then no certificate is loaded.
    """

    _transport: Any
    _base: Any

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
        transport: Any = None,
        cert_file: CertificateSource | None = None,
    ) -> None:
        opened = compat.open_client(Transport, locals())
        self.subscription_id, self.credentials, self._owns_credentials, self._base = opened[:4]
        self._transport_kwargs: dict[str, Any] = opened[4]
        #: ``with_filter``'s filters, innermost first; ``_transport`` is ``_base`` wrapped in them.
        self._filters: tuple[Filter, ...] = ()
        self._owns_base = True  # a clone shares its parent's until its own set_proxy
        self._transport = self._base

    @classmethod
    def from_endpoint(
        cls, endpoint: str | os.PathLike[str] | Mapping[str, Any], **kwargs: Any
    ) -> ServiceManagementClient:
        """A client for the emulator described by ``endpoint.json`` (host, CA, certificate,
        subscription): its path, or its content as a mapping (``Emulator.endpoint``).

        Explicit by design: nothing reads an endpoint file unless you call this.
        """
        return cls(**compat.endpoint_kwargs(endpoint), **kwargs)

    @property
    def host(self) -> str:
        return str(getattr(self._transport, "host", self._transport_kwargs.get("host", "")))

    def close(self) -> None:
        closer = getattr(self._base, "close", None) if self._owns_base else None
        if closer is not None:
            closer()
        if self._owns_credentials and self.credentials is not None:
            self.credentials.close()

    def __enter__(self) -> ServiceManagementClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ServiceManagementClient(subscription_id={self.subscription_id!r}, host={self.host!r})"

    # --- the one path of every operation ------------------------------------------------------------
    def _call(self, op: Op, args: tuple[Any, ...]) -> Any:
        request, values = op.bind(args)
        request = self._stamped(request)
        if not op.returns_handle:
            return op.parse(self._transport.send(request))
        return self._submit(op, request, values)

    def _submit(self, op: Op, request: ApiRequest, values: dict[str, Any]) -> OperationHandle:
        """Send a mutating call; reconcile a non-idempotent one whose outcome is unknown (the plan
        is ``submit.submission``, shared with the async client; this only performs its steps)."""
        run = Submission(op, request, values)
        while run.pending:
            step = run.step
            try:
                if isinstance(step, Send):
                    outcome: Any = self._transport.send(step.request)
                else:
                    outcome = getattr(self, step.name)(*step.args)
            except AsmError as exc:
                run.fail(exc)
            else:
                run.advance(outcome)
        return run.handle(self.get_operation_status)

    # --- the old SDK's methods that are not ASM operations ------------------------------------------
    @staticmethod
    def should_use_requests(cert_file: Any) -> bool:
        """Old SDK: whether ``requests`` (not WinHTTP) is used. This client always uses it."""
        return True

    def with_filter(self, filter: Filter) -> Any:
        """A client whose requests pass through ``filter(request, next)`` (see docs/migrating.md:
        the request is an ``ApiRequest``, ``next`` returns an ``ApiResponse``). The clone shares
        this client's transport (its connection pool) but not its settings: ``set_proxy`` on one
        changes neither the other's transport nor its filters.

        As the old SDK's clone (built by the constructor from the parent's subscription, certificate,
        host, session and timeout), it is what the constructor made: an ``x_ms_version`` ASSIGNED on
        this client is not copied (the clone sends the constructor's version until assigned its own).
        """
        clone = copy.copy(self)
        clone._assigned_version = None
        clone._filters = (*self._filters, filter)
        clone._transport = compat.FilteredTransport(filter, self._transport)
        clone._transport_kwargs = dict(self._transport_kwargs)
        clone._owns_credentials = False
        clone._owns_base = False
        return clone

    def set_proxy(
        self, host: str, port: int | str, user: str | None = None, password: str | None = None
    ) -> None:
        """Send through an HTTPS CONNECT proxy from now on: this client's transport is rebuilt
        (its filters kept); a transport shared with the client it was cloned from is left open."""
        if self.credentials is None:
            raise v.InvalidInputError("host", "set_proxy needs a client that built its own transport")
        kwargs = {
            **self._transport_kwargs,
            "proxies": {"https": compat.proxy_url(host, port, user, password)},
        }
        base = Transport(subscription_id=self.subscription_id, credentials=self.credentials, **kwargs)
        old, owned = self._base, self._owns_base
        self._base, self._owns_base, self._transport_kwargs = base, True, kwargs
        transport: Any = base
        for each in self._filters:
            transport = compat.FilteredTransport(each, transport)
        self._transport = transport
        if owned:
            old.close()

    def perform_get(self, path: str, x_ms_version: str | None = None) -> ApiResponse:
        """Escape hatch: GET any ASM path (``/<subscription-id>/...``); returns the raw response."""
        return self._transport.send(
            self._stamped(compat.raw_request(self.subscription_id, "GET", path, None, x_ms_version))
        )

    def perform_put(
        self, path: str, body: str | bytes | None, x_ms_version: str | None = None
    ) -> ApiResponse:
        return self._transport.send(
            self._stamped(compat.raw_request(self.subscription_id, "PUT", path, body, x_ms_version))
        )

    def perform_post(
        self, path: str, body: str | bytes | None, x_ms_version: str | None = None
    ) -> ApiResponse:
        return self._transport.send(
            self._stamped(compat.raw_request(self.subscription_id, "POST", path, body, x_ms_version))
        )

    def perform_delete(self, path: str, x_ms_version: str | None = None) -> ApiResponse:
        return self._transport.send(
            self._stamped(compat.raw_request(self.subscription_id, "DELETE", path, None, x_ms_version))
        )

    @staticmethod
    def wait_for_operation_status_progress_default_callback(elapsed: float) -> None:
        sys.stdout.write(".")
        sys.stdout.flush()

    @staticmethod
    def wait_for_operation_status_success_default_callback(elapsed: float) -> None:
        sys.stdout.write("\n")
        sys.stdout.flush()

    @staticmethod
    def wait_for_operation_status_failure_default_callback(elapsed: float, ex: OperationFailedError) -> None:
        sys.stdout.write("\n")
        sys.stdout.flush()
        print(vars(ex.result))
        raise ex

    def wait_for_operation_status(  # noqa: PLR0917 -- the old SDK's signature
        self,
        request_id: str,
        wait_for_status: str = "Succeeded",
        timeout: float = 30,
        sleep_interval: float = 5,
        progress_callback: Callable[[float], None]
        | None = wait_for_operation_status_progress_default_callback,
        success_callback: Callable[[float], None] | None = wait_for_operation_status_success_default_callback,
        failure_callback: Callable[[float, OperationFailedError], None]
        | None = wait_for_operation_status_failure_default_callback,
    ) -> Operation:
        """The old SDK's blocking wait, with its semantics (asm-wire.md 5.6).

        Polls ``timeout // sleep_interval + 1`` times, first at once. Returns the operation when
        its status is ``wait_for_status``; when it carries an error, calls ``failure_callback``
        (the default prints and re-raises) and returns it; after the last poll, the same with a
        timeout error. ``OperationHandle.wait()`` is the better wait for new code.
        """
        v.request_id(request_id)
        v.seconds(timeout, "timeout", at_least=0)
        interval = v.seconds(sleep_interval, "sleep_interval")
        from airflow_sm_provider.client.polling import Outcome, PollResult, Probe, Schedule, run_sync

        start = time.time()
        seen: list[Operation] = []

        def fetch() -> Operation:
            op = self.get_operation_status(request_id)
            seen[:] = [op]
            return op

        def condition(op: Operation) -> PollResult:
            if op.status == wait_for_status:
                return PollResult.success(f"operation {request_id} is {op.status}")
            if op.error is not None and (op.error.code or op.error.message):
                return PollResult.failed(f"operation {request_id} failed", op.error.code or "")
            return PollResult.waiting(f"operation {request_id} is {op.status}")

        def progress(_message: str) -> None:
            if progress_callback is not None:
                progress_callback(time.time() - start)

        # The old SDK counts polls (timeout // sleep_interval + 1, every sleep_interval): the one
        # polling loop runs that count on a fixed schedule; the deadline only backs the count up.
        checks = int(timeout // interval + 1)
        result = run_sync(
            Probe(f"operation {request_id}", condition, fetch),
            deadline=start + timeout + interval * (checks + 1) + 60,
            schedule=Schedule(interval, first=interval, factor=1.0),
            max_checks=checks,
            on_progress=progress,
            sleep=time.sleep,  # read at each call: a ported script's test may patch time.sleep
        )
        if not seen:  # every check raised a transient error: let the last one speak
            return self.get_operation_status(request_id)
        op, elapsed = seen[0], time.time() - start
        if result.outcome is Outcome.SUCCESS:
            if success_callback is not None:
                success_callback(elapsed)
        elif failure_callback is not None:
            failed = op.error is not None and bool(op.error.code or op.error.message)
            kind = compat.ASYNC_OP_FAILURE if failed else compat.ASYNC_OP_TIMEOUT
            failure_callback(elapsed, compat.async_failure(kind, op))
        return op


ServiceManagementService = ServiceManagementClient  # the old SDK's class name

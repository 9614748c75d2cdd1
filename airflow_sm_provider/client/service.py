"""``ServiceManagementClient``: the sync ASM client, spoken in the old SDK's language.

Method names, argument order, defaults and result attributes are azure-servicemanagement-legacy
0.20.8's (design.md 1.2), so ``sms = ServiceManagementClient(...)`` runs old scripts unchanged.
Requests are built by the pure specs in ``ops_*`` (shared with the async client), validated before
anything is sent, and mutating calls return an ``OperationHandle``.

Non-idempotent POSTs (creates, swap, status and configuration changes) are sent once. When the
outcome is unknown -- ``TransportError(ambiguous=True)`` (the request may have reached the server)
or a 5xx ``ServerError`` -- the client RECONCILES by reading state:

* applied (e.g. the service exists with our label) -> a handle with ``request_id=None``;
* not applied (e.g. 404) -> the request is sent once more;
* anything else (the resource exists but is not ours) -> the original error is raised.

Each ``_reconcile_*`` method documents its rule.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from airflow_sm_provider import protocol
from airflow_sm_provider.client import ops_cloud as oc
from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.credentials import Credentials, load_credentials
from airflow_sm_provider.client.errors import NotFoundError, ServerError, TransportError
from airflow_sm_provider.client.handle import OperationHandle
from airflow_sm_provider.client.models import (
    AvailabilityResponse,
    Deployment,
    HostedService,
    Location,
    OperatingSystem,
    OperatingSystemFamily,
    Operation,
    Subscription,
)
from airflow_sm_provider.client.ops_base import Call
from airflow_sm_provider.client.ops_methods import ResourceMethods
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.transport import ApiResponse, Transport
from airflow_sm_provider.client.xmlmap import b64decode_text

T = TypeVar("T")
State = Literal["applied", "absent", "unknown"]
#: Calls the service completes synchronously: their handles carry no request id.
_SYNCHRONOUS = frozenset({"update_hosted_service", "create_affinity_group", "delete_affinity_group"})


def open_credentials(
    certificate: str | bytes | os.PathLike[str] | Credentials, password: str | None, subscription_id: str
) -> tuple[Credentials, bool]:
    """Credentials from any accepted form; True when we loaded them (and so must close them)."""
    if isinstance(certificate, Credentials):
        return certificate, False
    if certificate is None:
        raise v.InvalidInputError(
            "certificate", "certificate is required: pass a PEM path/text, a .pfx/.p12 or a .publishsettings."
        )
    return load_credentials(certificate, password, subscription_id=subscription_id), True


TransportT = TypeVar("TransportT")


def open_transport(
    make_transport: Callable[..., TransportT],
    subscription_id: str,
    certificate: str | bytes | os.PathLike[str] | Credentials,
    password: str | None,
    **transport_kwargs: Any,
) -> tuple[str, Credentials, bool, TransportT]:
    """What both clients' constructors do: check the subscription, load the certificate, build the
    transport -- and close credentials we loaded if the transport cannot be built, so a bad host or
    CA never leaves key material behind. Returns (subscription id, credentials, owned?, transport).
    """
    sub = v.required("subscription_id", subscription_id).strip()
    credentials, owned = open_credentials(certificate, password, sub)
    try:
        transport = make_transport(subscription_id=sub, credentials=credentials, **transport_kwargs)
    except BaseException:
        if owned:
            credentials.close()
        raise
    return sub, credentials, owned, transport


class ServiceManagementClient(ResourceMethods):
    """Blocking ASM client over mutual TLS. Also a context manager; ``close()`` releases the session."""

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
    ) -> None:
        self.subscription_id, self.credentials, self._owns_credentials, self._transport = open_transport(
            Transport,
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
        )

    @property
    def host(self) -> str:
        return self._transport.host

    def close(self) -> None:
        self._transport.close()
        if self._owns_credentials:
            self.credentials.close()

    def __enter__(self) -> ServiceManagementClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ServiceManagementClient(subscription_id={self.subscription_id!r}, host={self.host!r})"

    # --- plumbing ---------------------------------------------------------------------------------
    def _run(self, call: Call[T]) -> T:
        return call.parse(self._transport.send(call.request))

    def _handle(self, call: Call[Any], resp: ApiResponse | None) -> OperationHandle:
        if resp is None:  # reconciled: the change is already there
            return OperationHandle(None, call.kind, call.target, 200, self.get_operation_status)
        rid = None if call.kind in _SYNCHRONOUS else resp.request_id
        return OperationHandle(rid, call.kind, call.target, resp.status, self.get_operation_status)

    def _submit(
        self, call: Call[ApiResponse], reconcile: Callable[[], State] | None = None
    ) -> OperationHandle:
        """Send a mutating call; reconcile a non-idempotent one whose outcome is unknown."""
        try:
            return self._handle(call, self._transport.send(call.request))
        except (TransportError, ServerError) as exc:
            ambiguous = isinstance(exc, ServerError) or getattr(exc, "ambiguous", False)
            if call.request.idempotent or reconcile is None or not ambiguous:
                raise
            state = reconcile()
            if state == "applied":
                return self._handle(call, None)
            if state == "unknown":
                raise
        return self._handle(call, self._transport.send(call.request))  # absent: send once more

    def _exists(self, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except NotFoundError:
            return None

    # --- subscription, catalogues, operations ----------------------------------------------------
    def get_subscription(self) -> Subscription:
        return self._run(oc.get_subscription())

    def list_locations(self) -> list[Location]:
        return self._run(oc.list_locations())

    def list_operating_systems(self) -> list[OperatingSystem]:
        return self._run(oc.list_operating_systems())

    def list_operating_system_families(self) -> list[OperatingSystemFamily]:
        return self._run(oc.list_operating_system_families())

    def get_operation_status(self, request_id: str) -> Operation:
        return self._run(oc.get_operation_status(request_id))

    # --- cloud services ----------------------------------------------------------------------------
    def list_hosted_services(self) -> list[HostedService]:
        return self._run(oc.list_hosted_services())

    def get_hosted_service_properties(self, service_name: str, embed_detail: bool = False) -> HostedService:
        return self._run(oc.get_hosted_service_properties(service_name, embed_detail))

    def check_hosted_service_name_availability(self, service_name: str) -> AvailabilityResponse:
        return self._run(oc.check_hosted_service_name_availability(service_name))

    def create_hosted_service(  # noqa: PLR0917 -- the old SDK's positional API
        self,
        service_name: str,
        label: str,
        description: str | None = None,
        location: str | None = None,
        affinity_group: str | None = None,
        extended_properties: dict[str, str] | None = None,
    ) -> OperationHandle:
        """Reconcile: the service exists with our label -> applied; 404 -> send again."""
        call = oc.create_hosted_service(
            service_name, label, description, location, affinity_group, extended_properties
        )

        def reconcile() -> State:
            svc = self._exists(lambda: self.get_hosted_service_properties(service_name))
            if svc is None:
                return "absent"
            return "applied" if svc.hosted_service_properties.label == label else "unknown"

        return self._submit(call, reconcile)

    def update_hosted_service(
        self,
        service_name: str,
        label: str | None = None,
        description: str | None = None,
        extended_properties: dict[str, str] | None = None,
    ) -> OperationHandle:
        return self._submit(oc.update_hosted_service(service_name, label, description, extended_properties))

    def delete_hosted_service(self, service_name: str, complete: bool = False) -> OperationHandle:
        return self._submit(oc.delete_hosted_service(service_name, complete))

    # --- deployments ----------------------------------------------------------------------------------
    def get_deployment_by_slot(self, service_name: str, deployment_slot: str) -> Deployment:
        return self._run(oc.get_deployment_by_slot(service_name, deployment_slot))

    def get_deployment_by_name(self, service_name: str, deployment_name: str) -> Deployment:
        return self._run(oc.get_deployment_by_name(service_name, deployment_name))

    def create_deployment(  # noqa: PLR0917 -- the old SDK's positional API
        self,
        service_name: str,
        deployment_slot: str,
        name: str,
        package_url: str,
        label: str,
        configuration: str | bytes,
        start_deployment: bool = False,
        treat_warnings_as_error: bool = False,
        extended_properties: dict[str, str] | None = None,
    ) -> OperationHandle:
        """Reconcile: a deployment named ``name`` is in the slot -> applied; 404 -> send again."""
        call = oc.create_deployment(
            service_name,
            deployment_slot,
            name,
            package_url,
            label,
            configuration,
            start_deployment,
            treat_warnings_as_error,
            extended_properties,
        )

        def reconcile() -> State:
            dep = self._exists(lambda: self.get_deployment_by_slot(service_name, deployment_slot))
            if dep is None:
                return "absent"
            return "applied" if dep.name.lower() == name.lower() else "unknown"

        return self._submit(call, reconcile)

    def change_deployment_configuration(  # noqa: PLR0917 -- the old SDK's positional API
        self,
        service_name: str,
        deployment_name: str,
        configuration: str | bytes,
        treat_warnings_as_error: bool = False,
        mode: str = "Auto",
        extended_properties: dict[str, str] | None = None,
    ) -> OperationHandle:
        """Reconcile: the deployment already has our configuration -> applied; else send again
        (re-applying the same configuration is harmless)."""
        call = oc.change_deployment_configuration(
            service_name, deployment_name, configuration, treat_warnings_as_error, mode, extended_properties
        )
        wanted = b64decode_text(v.configuration(configuration)).strip()

        def reconcile() -> State:
            dep = self.get_deployment_by_name(service_name, deployment_name)
            return "applied" if dep.configuration.strip() == wanted else "absent"

        return self._submit(call, reconcile)

    def update_deployment_status(
        self, service_name: str, deployment_name: str, status: str
    ) -> OperationHandle:
        """Reconcile: status already the target (or transitioning to it) -> applied; else send again."""
        call = oc.update_deployment_status(service_name, deployment_name, status)
        target = v.deployment_status(status)

        def reconcile() -> State:
            dep = self.get_deployment_by_name(service_name, deployment_name)
            current = dep.status
            if current in (target, f"{target}Transitioning"):
                return "applied"
            if target == "Running" and current == "Starting":
                return "applied"
            if target == "Suspended" and current == "Suspending":
                return "applied"
            return "absent"

        return self._submit(call, reconcile)

    def swap_deployment(
        self, service_name: str, production: str | None, source_deployment: str
    ) -> OperationHandle:
        """Swap staging and production (``production=None``/"" when production is empty: a move).

        Reconcile: ``source_deployment`` now in production -> applied; still in staging -> send again.
        """
        call = oc.swap_deployment(service_name, production, source_deployment)

        def reconcile() -> State:
            prod = self._exists(lambda: self.get_deployment_by_slot(service_name, "production"))
            if prod is not None and prod.name.lower() == source_deployment.lower():
                return "applied"
            staging = self._exists(lambda: self.get_deployment_by_slot(service_name, "staging"))
            if staging is not None and staging.name.lower() == source_deployment.lower():
                return "absent"
            return "unknown"

        return self._submit(call, reconcile)

    def delete_deployment(
        self, service_name: str, deployment_name: str, delete_vhd: bool = False
    ) -> OperationHandle:
        return self._submit(oc.delete_deployment(service_name, deployment_name, delete_vhd))


ServiceManagementService = ServiceManagementClient  # the old SDK's class name

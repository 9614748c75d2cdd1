"""VIP swap of a cloud service's staging and production deployments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import guard, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import check_name, check_service_name
from airflow_sm_provider.operators.base import AsmBaseOperator, get_or_none

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = ["AsmSwapDeploymentOperator"]


class AsmSwapDeploymentOperator(AsmBaseOperator):
    """VIP-swap the staging and production deployments of a cloud service.

    With an empty production slot the staging deployment is moved to production. Names are
    checked before sending: naming the deployments you expect makes the task idempotent (a
    retry that finds ``source_deployment`` already in production succeeds without swapping back).

    :param service_name: the cloud service.
    :param source_deployment: the deployment expected in staging (to become production); None
        means whatever is in staging.
    :param production: the deployment expected in production; None means whatever is there
        (possibly nothing).

    Both are safety arguments: given as a template that renders to ``""`` or ``"None"``, the task
    fails before any request instead of swapping whatever the slots hold.
    """

    service_name: str = argument(reader=text, templated=True)
    source_deployment: str | None = argument(
        None, reader=guard(text, check="the check that staging holds this deployment"), templated=True
    )
    production: str | None = argument(
        None, reader=guard(text, check="the check that production holds this deployment"), templated=True
    )
    operation_name = "swap deployments"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)
        check_name("source_deployment", self.source_deployment, required=False)
        check_name("production", self.production, required=False)

    def _slots(self, client: ServiceManagementClient) -> tuple[Any, Any]:
        prod = get_or_none(client.get_deployment_by_slot, self.service_name, protocol.SLOT_PRODUCTION)
        staging = get_or_none(client.get_deployment_by_slot, self.service_name, protocol.SLOT_STAGING)
        return prod, staging

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        from airflow_sm_provider.client.errors import ConflictError

        prod, staging = self._slots(client)
        prod_name = getattr(prod, "name", None)
        staging_name = getattr(staging, "name", None)
        if (
            self.source_deployment
            and prod_name == self.source_deployment
            and (self.production is None or staging_name in (None, self.production))
        ):
            self.log.info("%r is already in production; nothing to swap.", self.source_deployment)
            return self.build_result(client, None, "AlreadySwapped")
        if staging is None:
            raise ConflictError(
                f"The staging slot of cloud service {self.service_name!r} is empty; nothing to swap",
                code=protocol.ERR_CONFLICT,
                before_request=True,
            )
        if self.source_deployment and staging_name != self.source_deployment:
            raise ConflictError(
                f"Staging holds {staging_name!r}, not source_deployment={self.source_deployment!r}",
                code=protocol.ERR_CONFLICT,
                before_request=True,
            )
        if self.production and prod_name != self.production:
            raise ConflictError(
                f"Production holds {prod_name!r}, not production={self.production!r}",
                code=protocol.ERR_CONFLICT,
                before_request=True,
            )
        self._names: tuple[str | None, str] = (prod_name, str(staging_name))
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        production, source = self._names
        self.log.info("Swapping: %r (staging) -> production, %r (production) -> staging.", source, production)
        return client.swap_deployment(self.service_name, production, source)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        prod, staging = self._slots(client)
        return {
            "service_name": self.service_name,
            "production": getattr(prod, "name", None),
            "production_url": getattr(prod, "url", None),
            "staging": getattr(staging, "name", None),
            "staging_url": getattr(staging, "url", None),
            "request_id": request_id,
            "status": status,
        }

"""In-place upgrades of a deployment: Upgrade Deployment, Walk Upgrade Domain, Rollback.

The three calls as plain operators (one request, then wait on the operators' life cycle: deferrable,
resumable, ``wait_for_completion``). :class:`~airflow_sm_provider.operators.rolling_upgrade.
AsmGuardedRollingUpgradeOperator` puts them together behind gates (docs/rolling-upgrade.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, guard, mapping, number, optional, text
from airflow_sm_provider.client.polling import int_of
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import (
    check_name,
    check_package_url,
    check_text,
    choice,
    invalid,
)
from airflow_sm_provider.operators._cscfg import CscfgConfigurationMixin
from airflow_sm_provider.operators._upgrade_walk import (
    check_role_to_upgrade,
    config_digest,
    domain_walked,
    judge_rollback,
    judge_upgrade,
    judge_walk,
)
from airflow_sm_provider.operators.deployment import _deployment_result
from airflow_sm_provider.operators.role_instances import _DeploymentAction

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = ["AsmRollbackUpgradeOperator", "AsmUpgradeDeploymentOperator", "AsmWalkUpgradeDomainOperator"]

UPGRADE_MODES = protocol.CHANGE_CONFIGURATION_MODES  # Auto, Manual, Simultaneous
ROLLBACK_MODES = ("Auto", "Manual")


class _UpgradeTarget(_DeploymentAction):
    """The deployment an upgrade call acts on (by name or slot), found before sending.

    Upgrade Deployment, Walk Upgrade Domain and Rollback are not idempotent (a second upgrade walks
    every domain again; a second walk or rollback is ASM's 400 or 409): a retry after an interrupted
    try adopts its operation (``_DeploymentAction``), judged by the rules of ``_upgrade_walk``.
    """

    default_poll_interval = 10.0
    default_timeout = 3600.0

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        dep = self._find(client)
        upgrade = getattr(dep, "upgrade_status", None)
        return {
            **_deployment_result(dep, self.service_name, request_id, status),
            "upgrade_domain_count": int_of(getattr(dep, "upgrade_domain_count", None)),
            "upgrade_in_progress": upgrade is not None,
            "current_upgrade_domain": int_of(getattr(upgrade, "current_upgrade_domain", None)),
            "current_upgrade_domain_state": getattr(upgrade, "current_upgrade_domain_state", None),
            "by_previous_try": self._by_previous_try,
        }


class AsmUpgradeDeploymentOperator(CscfgConfigurationMixin, _UpgradeTarget):
    """Start an in-place upgrade to a new package and configuration (old SDK ``upgrade_deployment``).

    ``Auto`` walks every upgrade domain inside the operation; ``Manual`` ends once domain 0 waits to
    be walked (then use ``AsmWalkUpgradeDomainOperator``, or ``AsmGuardedRollingUpgradeOperator``
    for the whole gated walk); ``Simultaneous`` upgrades every domain at once.

    :param service_name: the cloud service.
    :param deployment_name: the deployment; or give ``deployment_slot``.
    :param deployment_slot: "production" or "staging", resolved to the deployment in it.
    :param package_url: https URL of the new ``.cspkg``.
    :param configuration: the new ``.cscfg``: a file name ending in ``.cscfg`` (a Jinja template looked
        up in the DAG folder and ``template_searchpath``, as for create deployment), or the XML itself,
        or its base64.
    :param configuration_path: deprecated: path of the new ``.cscfg``; read when the task runs (by the
        worker, not when the DAG file is parsed: a missing file fails the task, naming it).
    :param deployment_label: the deployment's new label (up to 100 characters).
    :param mode: "Auto", "Manual" or "Simultaneous".
    :param role_to_upgrade: upgrade only this role. A safety argument: given as a template that
        renders to ``""`` or ``"None"``, the task fails before any request (never every role). A
        role the deployment does not have fails before the upgrade request, naming its roles.
    :param force: proceed even when local data on the instances would be lost.
    :param extended_properties: name/value pairs stored with the deployment.
    """

    template_fields: Sequence[str] = (*_UpgradeTarget.template_fields, "configuration_path")
    package_url: str = argument(reader=text, templated=True)
    deployment_label: str = argument(reader=text, templated=True)
    mode: str = argument("Auto", reader=choice(UPGRADE_MODES), templated=True)
    role_to_upgrade: str | None = argument(
        None, reader=guard(text, check="the limit of the upgrade to this one role"), templated=True
    )
    force: bool = argument(False, reader=boolean, templated=True)
    extended_properties: dict[str, str] | None = argument(None, reader=optional(mapping))
    operation_name = "upgrade deployment"

    def validate_inputs(self) -> None:
        super().validate_inputs()
        check_package_url("package_url", self.package_url)
        self.check_configuration()
        check_text("deployment_label", self.deployment_label, protocol.LABEL_MAX_CHARS, required=True)
        check_name("role_to_upgrade", self.role_to_upgrade, required=False)

    def look(self, client: ServiceManagementClient, dep: Any) -> dict[str, Any] | None:
        # Before the "submitting" mark: a typo fails here, not as ASM's 400, and leaves no mark that
        # would make every retry believe an upgrade request may have left.
        check_role_to_upgrade(dep, self.role_to_upgrade)
        return None

    def asked(self) -> dict[str, Any]:
        return {
            "package_url": self.package_url,
            "deployment_label": self.deployment_label,
            "mode": self.mode,
            "role_to_upgrade": self.role_to_upgrade or None,
            "configuration": config_digest(self.configuration_text()),
        }

    def judge(self, dep: Any, before: dict[str, Any]) -> str:
        return judge_upgrade(self, dep, before, self.asked())

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.upgrade_deployment(
            self.service_name,
            self._deployment_name,
            self.mode,
            self.package_url,
            self.configuration_text(),
            self.deployment_label,
            bool(self.force),
            role_to_upgrade=self.role_to_upgrade or None,
            extended_properties=self.extended_properties or None,
        )


class AsmWalkUpgradeDomainOperator(_UpgradeTarget):
    """Walk one upgrade domain of a Manual upgrade (old SDK ``walk_upgrade_domain``).

    Idempotent: if the deployment's upgrade is already past ``upgrade_domain`` (a retry after the
    walk succeeded), nothing is sent.

    :param upgrade_domain: the domain to walk (0-based; domains are walked in order).
    """

    upgrade_domain: int | str = argument(reader=number(minimum=0, integer=True), templated=True)
    operation_name = "walk upgrade domain"

    def validate_inputs(self) -> None:
        super().validate_inputs()
        if isinstance(self.upgrade_domain, int | float) and not 0 <= self.upgrade_domain < 20:
            invalid("upgrade_domain", f"must be between 0 and 19, got {self.upgrade_domain!r}")

    def asked(self) -> dict[str, Any]:
        return {"upgrade_domain": int(self.upgrade_domain)}

    def judge(self, dep: Any, before: dict[str, Any]) -> str:
        return judge_walk(self, dep, before, int(self.upgrade_domain))

    def look(self, client: ServiceManagementClient, dep: Any) -> dict[str, Any] | None:
        domain = int(self.upgrade_domain)
        if domain_walked(getattr(dep, "upgrade_status", None), domain, started_here=False):
            self.log.info("Upgrade domain %s is already walked (or being walked); not sending again.", domain)
            return self.build_result(client, None, "AlreadyWalked")
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        dep = self.target(client)
        return client.walk_upgrade_domain(self.service_name, dep.name, int(self.upgrade_domain))


class AsmRollbackUpgradeOperator(_UpgradeTarget):
    """Roll back an in-progress upgrade or configuration change (old SDK ``rollback_update_or_upgrade``).

    With no upgrade in progress there is nothing to roll back: ``if_missing="ignore"`` (default)
    succeeds without a request, ``"fail"`` raises.

    :param mode: "Auto" (walk the upgraded domains back inside the operation) or "Manual".
    :param force: proceed even when local data would be lost.
    :param if_missing: "ignore" or "fail" when no upgrade is in progress.
    """

    mode: str = argument("Auto", reader=choice(ROLLBACK_MODES), templated=True)
    force: bool = argument(False, reader=boolean, templated=True)
    if_missing: str = argument("ignore")
    operation_name = "rollback upgrade"

    def asked(self) -> dict[str, Any]:
        return {"mode": self.mode}

    def judge(self, dep: Any, before: dict[str, Any]) -> str:
        return judge_rollback(self, dep, before, self.mode)

    def look(self, client: ServiceManagementClient, dep: Any) -> dict[str, Any] | None:
        if getattr(dep, "upgrade_status", None) is not None or getattr(dep, "rollback_allowed", False):
            return None
        if self.if_missing == "fail":
            self.missing_error(f"An upgrade in progress on {self._describe()}")
        self.log.info("No upgrade in progress on %s; nothing to roll back.", self._describe())
        return self.build_result(client, None, "NothingToRollBack")

    def submit(self, client: ServiceManagementClient) -> Any:
        dep = self.target(client)
        return client.rollback_update_or_upgrade(self.service_name, dep.name, self.mode, bool(self.force))

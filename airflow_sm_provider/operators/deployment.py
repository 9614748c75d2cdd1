"""Operators for cloud service deployments: create, change configuration, status, swap, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, guard, mapping, optional, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import (
    check_name,
    check_package_url,
    check_service_name,
    check_slot,
    check_text,
    choice,
    invalid,
    is_template,
)
from airflow_sm_provider.operators._cscfg import CscfgConfigurationMixin
from airflow_sm_provider.operators.base import (
    IF_EXISTS,
    IF_MISSING,
    AsmBaseOperator,
    SettleProbe,
    get_or_none,
)

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = [
    "AsmChangeDeploymentConfigurationOperator",
    "AsmCreateDeploymentOperator",
    "AsmDeleteDeploymentOperator",
    "AsmUpdateDeploymentStatusOperator",
]


def _deployment_result(dep: Any, service_name: str, request_id: str | None, status: str) -> dict[str, Any]:
    return {
        "service_name": service_name,
        "deployment_name": getattr(dep, "name", None),
        "deployment_slot": getattr(dep, "deployment_slot", None),
        "deployment_status": getattr(dep, "status", None),
        "label": getattr(dep, "label", None),
        "url": getattr(dep, "url", None),
        "private_id": getattr(dep, "private_id", None),
        "request_id": request_id,
        "status": status,
    }


def deployment_settled(
    op: AsmBaseOperator, client: ServiceManagementClient, service: str, name: str, what: str
) -> SettleProbe:
    """Wait until deployment ``name`` of cloud service ``service`` is settled (no operation holds it):
    the probe, and the trigger that runs the same wait in the triggerer (``settle_probe``)."""
    from airflow_sm_provider.client.polling import Probe, deployment_settled_condition
    from airflow_sm_provider.triggers.deployment import AsmDeploymentTrigger

    probe = Probe(
        f"deployment {service}/{name} {what}",
        deployment_settled_condition,
        lambda: client.get_deployment_by_name(service, name),
    )

    def trigger(deadline: float) -> AsmDeploymentTrigger:
        return AsmDeploymentTrigger(
            service,
            [{"name": name, "condition": "settled"}],
            asm_conn_id=op.asm_conn_id,
            deadline=deadline,
            poll_interval=op.poll_interval,
        )

    return probe, trigger


class _DeploymentTargetMixin:
    """Resolve "deployment by name or by slot" once for the operators that accept both."""

    service_name: str
    deployment_name: str | None
    deployment_slot: str | None
    #: Both together are allowed (``AsmDeleteDeploymentOperator``: "this name, only if in this slot").
    name_and_slot: ClassVar[bool] = False

    if TYPE_CHECKING:

        def rendered_blank(self, *fields: str) -> str: ...  # ``_rendering.TypedFields``

    def _check_target(self) -> None:
        check_service_name("service_name", self.service_name)
        name, slot = self.deployment_name, self.deployment_slot
        if not is_template(name) and not is_template(slot):
            blank = self.rendered_blank("deployment_name", "deployment_slot")
            if name is None and slot is None:
                want = "deployment_name, deployment_slot, or both" if self.name_and_slot else "exactly one of"
                if not self.name_and_slot:
                    want += " deployment_name or deployment_slot"
                invalid("deployment_name", f"give {want}{blank or ' (neither was given)'}")
            if name is not None and slot is not None and not self.name_and_slot:
                invalid(
                    "deployment_name",
                    "give exactly one of deployment_name or deployment_slot (both were given)",
                )
        check_name("deployment_name", name, required=False)
        if slot is not None:
            check_slot("deployment_slot", slot)

    def _find(self, client: ServiceManagementClient) -> Any:
        if self.deployment_name:
            return get_or_none(client.get_deployment_by_name, self.service_name, self.deployment_name)
        return get_or_none(
            client.get_deployment_by_slot,
            self.service_name,
            check_slot("deployment_slot", self.deployment_slot),
        )

    def _describe(self) -> str:
        if self.deployment_name and self.deployment_slot:
            which = f"{self.deployment_name!r} in slot {self.deployment_slot!r}"
        elif self.deployment_name:
            which = f"{self.deployment_name!r}"
        else:
            which = f"in slot {self.deployment_slot!r}"
        return f"Deployment {which} of cloud service {self.service_name!r}"


class AsmCreateDeploymentOperator(CscfgConfigurationMixin, AsmBaseOperator):
    """Create a deployment from a package in a slot (the tutorial's ``create_deployment``).

    ``configuration="app.cscfg"`` (any value ending in ``.cscfg``) is a template file: Airflow looks
    it up in the DAG's folder, then in ``template_searchpath``, renders it with Jinja (the task's
    context: ``{{ params.instances }}``, ``{{ var.value.x }}``...) and Rendered Templates shows the
    XML that was sent. To choose the file per run, include it: ``"{% include params.cscfg %}"``.
    Secrets written into a ``.cscfg`` are visible in Rendered Templates (and stored with the task
    instance): reference them instead, ``{{ conn.<conn_id>.password }}`` or a Variable whose name
    Airflow treats as sensitive (``..._secret``, ``..._password``), and Airflow shows ``***``.

    :param service_name: the cloud service.
    :param deployment_slot: "staging" or "production".
    :param deployment_name: name of the new deployment (unique in the service).
    :param package_url: http(s) URL of the ``.cspkg`` in a storage account of the subscription.
    :param configuration: the ``.cscfg``: a file name ending in ``.cscfg`` (a Jinja template looked
        up in the DAG folder and ``template_searchpath``), or the XML itself, or its base64.
    :param configuration_path: deprecated: path of a ``.cscfg``, not rendered; read when the task runs
        (by the worker, not when the DAG file is parsed: a missing file fails the task, naming it).
    :param deployment_label: deployment label (up to 100 characters); defaults to ``deployment_name``.
    :param start_deployment: start the role instances right away (else Suspended).
    :param treat_warnings_as_error: fail on package warnings.
    :param extended_properties: name/value pairs stored with the deployment.
    :param if_exists: what to do when the slot is occupied: "fail" (default), or "reuse" when the
        occupant has the same name and label. Another occupant is always an error: delete it, or
        swap, first. So is a deployment of the same name in the *other* slot (e.g. ``v1`` already
        swapped into production): refused before any request, saying so; deploy a new name.
    """

    service_name: str = argument(reader=text, templated=True)
    deployment_slot: str = argument(reader=text, templated=True)
    deployment_name: str = argument(reader=text, templated=True)
    package_url: str = argument(reader=text, templated=True)
    deployment_label: str | None = argument(None, reader=optional(text), templated=True)
    start_deployment: bool = argument(False, reader=boolean, templated=True)
    treat_warnings_as_error: bool = argument(False, reader=boolean, templated=True)
    extended_properties: dict[str, str] | None = argument(None, reader=optional(mapping), templated=True)
    if_exists: str = argument("fail", reader=choice(IF_EXISTS), templated=True)
    operation_name = "create deployment"
    default_poll_interval = 20.0
    default_timeout = 3600.0

    def validate_inputs(self) -> None:
        check_service_name("service_name", self.service_name)
        check_slot("deployment_slot", self.deployment_slot)
        check_name("deployment_name", self.deployment_name)
        check_text("deployment_label", self.deployment_label, protocol.LABEL_MAX_CHARS)
        check_package_url("package_url", self.package_url)
        self.check_configuration()

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        slot = check_slot("deployment_slot", self.deployment_slot)
        dep = get_or_none(client.get_deployment_by_slot, self.service_name, slot)
        if dep is None:
            self._refuse_name_in_other_slot(client, slot)
            return None
        label = self.deployment_label or self.deployment_name
        where = f"Slot {slot} of cloud service {self.service_name!r}"
        if dep.name == self.deployment_name and dep.label == label and (adopt or self.if_exists == "reuse"):
            self.log.info("%s already holds deployment %r with label %r; reusing it.", where, dep.name, label)
            return {**_deployment_result(dep, self.service_name, None, "Exists"), "reused": True}
        if dep.name == self.deployment_name and dep.label == label:
            self.exists_error(f"{where} already holds deployment {dep.name!r}")
        from airflow_sm_provider.client.errors import ConflictError

        raise ConflictError(
            f"{where} is occupied by deployment {dep.name!r} (label {dep.label!r}), not the requested "
            f"{self.deployment_name!r} (label {label!r}). Delete it (AsmDeleteDeploymentOperator) or swap "
            "it to the other slot first",
            code=protocol.ERR_CONFLICT,
            before_request=True,
        )

    def _refuse_name_in_other_slot(self, client: ServiceManagementClient, slot: str) -> None:
        """Deployment names are unique in a cloud service: the name in the *other* slot (typically
        production, after an earlier run swapped it there) is refused before the request, saying so.

        Not "reuse", whatever ``if_exists`` says: this task puts the deployment in ``slot``, and what
        follows it (a ready sensor on staging, a swap) expects it there.
        """
        other = get_or_none(client.get_deployment_by_name, self.service_name, self.deployment_name)
        if other is None:
            return
        from airflow_sm_provider.client.errors import ConflictError

        where = str(other.deployment_slot or "other").lower()
        raise ConflictError(
            f"A deployment named {self.deployment_name!r} already exists in cloud service "
            f"{self.service_name!r}, in the {where} slot, not {slot.lower()} (where this task deploys it): "
            f"{self.deployment_name} is in {where}; deploy a new name (names are unique in a cloud "
            f"service: one per release), or delete {self.deployment_name!r} first. if_exists='reuse' "
            "reuses only the same deployment in the same slot",
            code=protocol.ERR_CONFLICT,
            before_request=True,
        )

    def settle_probe(self, client: ServiceManagementClient) -> SettleProbe | None:
        """A reused deployment is usable once it is settled (no operation holds it: its create ended)."""
        return deployment_settled(self, client, self.service_name, str(self.deployment_name), "settled")

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.create_deployment(
            self.service_name,
            check_slot("deployment_slot", self.deployment_slot).lower(),
            self.deployment_name,
            self.package_url,
            self.deployment_label or self.deployment_name,
            self.configuration_text(),
            start_deployment=self.start_deployment,
            treat_warnings_as_error=self.treat_warnings_as_error,
            extended_properties=self.extended_properties,
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        dep = get_or_none(client.get_deployment_by_name, self.service_name, self.deployment_name)
        return {**_deployment_result(dep, self.service_name, request_id, status), "reused": False}


class AsmChangeDeploymentConfigurationOperator(
    CscfgConfigurationMixin, _DeploymentTargetMixin, AsmBaseOperator
):
    """Upload a new ``.cscfg`` to a running deployment (instance counts, settings).

    :param service_name: the cloud service.
    :param deployment_name: the deployment; or give ``deployment_slot`` instead.
    :param deployment_slot: "staging" or "production", resolved to the deployment in it.
    :param configuration: the ``.cscfg``: a file name ending in ``.cscfg`` (a Jinja template looked
        up in the DAG folder and ``template_searchpath``), or the XML itself, or its base64.
    :param configuration_path: deprecated: path of a ``.cscfg``, not rendered; read when the task runs
        (by the worker, not when the DAG file is parsed: a missing file fails the task, naming it).
    :param treat_warnings_as_error: fail on configuration warnings.
    :param mode: "Auto" (default), "Manual" or "Simultaneous" upgrade-domain walk.
    """

    service_name: str = argument(reader=text, templated=True)
    deployment_name: str | None = argument(None, reader=optional(text), templated=True)
    deployment_slot: str | None = argument(None, reader=optional(text), templated=True)
    treat_warnings_as_error: bool = argument(False, reader=boolean, templated=True)
    mode: str = argument("Auto", reader=choice(protocol.CHANGE_CONFIGURATION_MODES), templated=True)
    operation_name = "change deployment configuration"
    default_poll_interval = 20.0
    default_timeout = 3600.0

    def validate_inputs(self) -> None:
        self._check_target()
        self.check_configuration()

    def submit(self, client: ServiceManagementClient) -> Any:
        dep = self._find(client)
        if dep is None:
            self.missing_error(self._describe())
        return client.change_deployment_configuration(
            self.service_name,
            dep.name,
            self.configuration_text(),
            treat_warnings_as_error=self.treat_warnings_as_error,
            mode=self.mode,
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return _deployment_result(self._find(client), self.service_name, request_id, status)


class AsmUpdateDeploymentStatusOperator(_DeploymentTargetMixin, AsmBaseOperator):
    """Start ("Running") or stop ("Suspended") a deployment's role instances.

    Already in the requested status: nothing is sent.

    :param service_name: the cloud service.
    :param deployment_name: the deployment; or give ``deployment_slot`` instead.
    :param deployment_slot: "staging" or "production", resolved to the deployment in it.
    :param status: "Running" or "Suspended".
    """

    service_name: str = argument(reader=text, templated=True)
    status: str = argument(reader=choice(protocol.SETTABLE_DEPLOYMENT_STATUSES), templated=True)
    deployment_name: str | None = argument(None, reader=optional(text), templated=True)
    deployment_slot: str | None = argument(None, reader=optional(text), templated=True)
    operation_name = "update deployment status"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        self._check_target()

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        dep = self._find(client)
        if dep is None:
            self.missing_error(self._describe())
        if dep.status == self.status:
            self.log.info("%s is already %s; nothing to do.", self._describe(), self.status)
            return _deployment_result(dep, self.service_name, None, protocol.OP_SUCCEEDED)
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        dep = self._find(client)
        if dep is None:
            self.missing_error(self._describe())
        return client.update_deployment_status(self.service_name, dep.name, self.status)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return _deployment_result(self._find(client), self.service_name, request_id, status)


class AsmDeleteDeploymentOperator(_DeploymentTargetMixin, AsmBaseOperator):
    """Delete a deployment: by name, by slot, or by name only if it is in a given slot.

    Give ``deployment_name`` and ``deployment_slot`` together for a guarded delete, the blue-green
    retire step "delete the previous build only if staging still holds it" (docs/blue-green.md). The
    slot is read first, and:

    * it holds the named deployment: that deployment is deleted;
    * the named deployment is in the *other* slot (say production, because the swap did not happen
      or was swapped back): nothing is deleted and the task fails before any request -- deleting it
      would take down what serves, and a retry would find the same;
    * no deployment has that name (the slot is empty, or holds another deployment, which is left
      alone): nothing to delete; with ``if_missing="ignore"`` (the default) the task succeeds with
      status ``Absent`` and a log line saying what the slot holds, with ``"fail"`` it fails.

    Without a slot, the deployment is deleted wherever it is; the log (a warning for production)
    and the XCom's ``deployment_slot`` always say which slot it was in. ASM has no conditional
    delete: the slot is read right before the request, so only a swap sent by someone else in
    between could change it. A retry after the request was sent waits on that request (it is never
    sent twice); a retry that finds the deployment gone succeeds.

    :param service_name: the cloud service.
    :param deployment_name: the deployment; with ``deployment_slot``, only if it is in that slot.
    :param deployment_slot: "staging" or "production": without ``deployment_name``, delete whatever
        is in it.
    :param delete_vhd: also delete the OS/data disks and VHD blobs (VM deployments).
    :param if_missing: "ignore" (default) or "fail" when there is no such deployment.

    ``deployment_name`` and ``deployment_slot`` are safety arguments: given as a template that
    renders to ``""`` or ``"None"``, the task fails before any request instead of deleting by the
    other one alone.
    """

    service_name: str = argument(reader=text, templated=True)
    deployment_name: str | None = argument(
        None, reader=guard(text, check="the check of which deployment is deleted"), templated=True
    )
    deployment_slot: str | None = argument(
        None, reader=guard(text, check="the check of the slot the deployment is deleted from"), templated=True
    )
    delete_vhd: bool = argument(False, reader=boolean, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete deployment"
    name_and_slot = True
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        self._check_target()

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        if self.deployment_name and self.deployment_slot:
            dep = self._in_slot(
                client, self.deployment_name, check_slot("deployment_slot", self.deployment_slot)
            )
        else:
            dep = self._find(client)
        if dep is not None:
            self._target = str(dep.name)
            self._target_slot = str(dep.deployment_slot or "").lower() or None
            production = self._target_slot == protocol.SLOT_PRODUCTION.lower()
            (self.log.warning if production else self.log.info)(
                "Deleting deployment %r of cloud service %r: it is in the %s slot.",
                self._target,
                self.service_name,
                self._target_slot or "(unknown)",
            )
            return None
        self.nothing_to_delete(self._describe(), adopt=adopt)
        return {
            "service_name": self.service_name,
            "deployment_name": self.deployment_name,
            "deployment_slot": self.deployment_slot,
            "request_id": None,
            "status": "Absent",
        }

    def _in_slot(self, client: ServiceManagementClient, name: str, slot: str) -> Any:
        """The deployment to delete when both name and slot are given: the slot's occupant if it is
        ``name``; None when no deployment is called ``name``; refused when it is in the other slot."""
        occupant = get_or_none(client.get_deployment_by_slot, self.service_name, slot)
        if occupant is not None and str(occupant.name).lower() == name.lower():  # ASM names: any case
            return occupant
        holds = f"holds {occupant.name!r}" if occupant is not None else "is empty"
        elsewhere = get_or_none(client.get_deployment_by_name, self.service_name, name)
        if elsewhere is not None:
            from airflow_sm_provider.client.errors import ConflictError

            other = str(elsewhere.deployment_slot or "the other").lower()
            raise ConflictError(
                f"Deployment {name!r} of cloud service {self.service_name!r} is in the {other} slot, not "
                f"{slot.lower()} (which {holds}): not deleting it. A retire step finds this when the swap "
                "did not happen or was swapped back; inspect the service",
                code=protocol.ERR_CONFLICT,
                before_request=True,
            )
        self.log.info(
            "The %s slot of cloud service %r %s and no deployment is called %r: not deleting anything%s.",
            slot.lower(),
            self.service_name,
            holds,
            name,
            " (the slot's deployment is left alone)" if occupant is not None else "",
        )
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_deployment(self.service_name, self._target, delete_vhd=self.delete_vhd)

    def submitted_facts(self) -> dict[str, Any]:
        return {"target": self._target, "target_slot": self._target_slot}

    def restore_facts(self, facts: Mapping[str, Any]) -> None:
        if facts.get("target"):
            self._target = str(facts["target"])
            self._target_slot = facts.get("target_slot")

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            "service_name": self.service_name,
            "deployment_name": getattr(self, "_target", self.deployment_name),
            "deployment_slot": getattr(self, "_target_slot", None) or self.deployment_slot,
            "request_id": request_id,
            "status": status,
        }

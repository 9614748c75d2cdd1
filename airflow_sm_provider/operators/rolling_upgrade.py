"""Guarded rolling upgrade: Manual upgrade, then each upgrade domain walked, gated, baked; rollback.

Cloud Services' second release strategy (docs/rolling-upgrade.md): instead of a VIP swap, the
deployment is upgraded in place, one upgrade domain at a time, while the other domains keep serving.
:class:`AsmGuardedRollingUpgradeOperator` first checks the deployment's health (the starting state:
an unhealthy start is refused unless ``allow_unhealthy_start``), starts a ``Manual`` upgrade, walks
the domains in order and, after each walk, waits -- deferred -- until that domain's instances are
``ReadyRole`` (the one readiness rule, on that domain) and the health check passes for
``domain_bake_seconds``; when a domain fails it rolls the upgrade back (``Auto``: the walked domains
are walked back inside the rollback's operation) and fails the task (``rolled_back``, or
``rolled_back_unhealthy`` when the restored deployment fails its checks, ``rolled_back_unverified``
when the wait after the rollback broke before they ran). A health wait that broke before the upgrade
is no verdict on the starting state: nothing is sent and a retry judges again. The report is the
swap's shape with ``"strategy": "rolling_upgrade"`` and one timeline lane per domain.

It runs on the release life cycle (``operators/_release.py``): phases that each send at most one
request, waits as steps in the triggerer, phase and request ids in the task state store, so a crash
resumes without walking a domain twice or starting a second upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, duration, guard, text
from airflow_sm_provider.client.polling import int_of
from airflow_sm_provider.operators._approval import ApprovalArgsMixin
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import (
    check_name,
    check_package_url,
    check_slot,
    check_text,
)
from airflow_sm_provider.operators._cscfg import CscfgConfigurationMixin
from airflow_sm_provider.operators._release import AsmReleaseOperator, Done, Next
from airflow_sm_provider.operators._upgrade_walk import check_role_to_upgrade, domain_walked
from airflow_sm_provider.operators.health import HealthCheckArgsMixin

__all__ = ["AsmGuardedRollingUpgradeOperator"]


class AsmGuardedRollingUpgradeOperator(
    HealthCheckArgsMixin, ApprovalArgsMixin, CscfgConfigurationMixin, AsmReleaseOperator
):
    """Upgrade a deployment domain by domain behind health gates; roll back when a domain fails.

    :param service_name: the cloud service.
    :param deployment_slot: the slot of the deployment to upgrade (default ``production``).
    :param package_url: https URL of the new ``.cspkg``.
    :param configuration: the new ``.cscfg``: a file name ending in ``.cscfg`` (a Jinja template looked
        up in the DAG folder and ``template_searchpath``, as for create deployment), or the XML itself,
        or its base64.
    :param configuration_path: deprecated: path of the new ``.cscfg``; read when the task runs (by the
        worker, not when the DAG file is parsed: a missing file fails the task, naming it).
    :param deployment_label: the deployment's new label.
    :param role_to_upgrade: upgrade only this role. A safety argument: given as a template that
        renders to ``""`` or ``"None"``, the task fails before any request (never every role). A
        role the deployment does not have fails before the upgrade request, naming its roles.
    :param force: proceed even when local data on the instances would be lost.
    :param domain_bake_seconds: after a domain's instances are ReadyRole, keep checking health this long.
    :param bake_interval: seconds between two bake samples.
    :param domain_timeout: seconds a walk (and its instances becoming ready) may take.
    :param rollback_on_failure: roll the upgrade back automatically when a domain fails.
    :param allow_unhealthy_start: upgrade a deployment that already fails its health check before
        the upgrade (a hotfix). Default False: such a start is refused before the upgrade request, as a
        whole-deployment check cannot tell a walked domain from the ones not walked yet. When True,
        each domain is judged by its own instances' readiness (and by the health check when
        ``health_url`` names ``{upgrade_domain}``); a whole-deployment check must pass once every
        domain runs the new build. Templated (a DAG param): ``"True"`` / ``"False"`` once rendered.
    :param health_url: health check URL template (``operators/health.py``; ``{upgrade_domain}`` is
        the domain just walked).
    :param require_approval: before walking each domain after the first, ask a human (Airflow's
        ``ApprovalOperator``); the body shows the domains so far and what changes in the ``.cscfg``.
        Reject or a timeout rolls the upgrade back (production returns to the previous build).
    :param approval_timeout: seconds to wait for the answer; then "Reject" is taken. None: no limit.
    """

    template_fields: Sequence[str] = (*AsmReleaseOperator.template_fields, "configuration_path")
    service_name: str = argument(reader=text, templated=True)
    package_url: str = argument(reader=text, templated=True)
    deployment_label: str = argument(reader=text, templated=True)
    deployment_slot: str = argument("production", reader=text, templated=True)
    role_to_upgrade: str | None = argument(
        None, reader=guard(text, check="the limit of the upgrade to this one role"), templated=True
    )
    force: bool = argument(False, reader=boolean)
    domain_bake_seconds: float | str = argument(30.0, reader=duration(positive=False), templated=True)
    bake_interval: float | str = argument(10.0, reader=duration(), templated=True)
    domain_timeout: float | str = argument(1800.0, reader=duration())
    rollback_on_failure: bool = argument(True, reader=boolean)
    allow_unhealthy_start: bool | str = argument(False, reader=boolean, templated=True)
    operation_name = "guarded rolling upgrade"
    strategy = "rolling_upgrade"
    memo_key = "asm_rolling_upgrade"
    default_poll_interval = 5.0
    default_lane = "deployment"

    def validate_inputs(self) -> None:
        super().validate_inputs()
        check_slot("deployment_slot", self.deployment_slot)
        check_package_url("package_url", self.package_url)
        self.check_configuration()
        check_text("deployment_label", self.deployment_label, protocol.LABEL_MAX_CHARS, required=True)
        check_name("role_to_upgrade", self.role_to_upgrade, required=False)

    @property
    def slot(self) -> str:
        return check_slot("deployment_slot", self.deployment_slot)

    def new_report(self) -> dict[str, Any]:
        return {
            **super().new_report(),
            "deployment_slot": self.slot,
            "deployment_name": None,
            "upgrade_outcome": "running",
            "old_label": None,
            "new_label": self.deployment_label,
            "new_package_url": self.package_url,
            "upgrade_domain_count": None,
            "domains": [],
            "upgrade_request_id": None,
            "walk_request_ids": {},
            "start_health": None,
        }

    # --- helpers --------------------------------------------------------------------------------------
    def _deployment(self) -> Any:
        return self.io.deployment(self.slot)

    def _summary(self, dep: Any) -> dict[str, Any] | None:
        if dep is None:
            return None
        by_domain: dict[str, dict[str, int]] = {}
        for inst in dep.role_instance_list:
            states = by_domain.setdefault(str(inst.instance_upgrade_domain), {})
            states[inst.instance_status] = states.get(inst.instance_status, 0) + 1
        upgrade = getattr(dep, "upgrade_status", None)
        return {
            "name": dep.name,
            "status": dep.status,
            "label": dep.label,
            "url": dep.url,
            "locked": bool(dep.locked),
            "upgrade_domain_count": int_of(dep.upgrade_domain_count),
            "instances_by_domain": by_domain,
            "upgrade_in_progress": upgrade is not None,
        }

    def end(self, upgrade_outcome: str, message: str, *, final: bool = True) -> Done:
        self.state["upgrade_outcome"] = upgrade_outcome
        # Like the swap's OUTCOME_OF: rolled_back_unhealthy (and every other end) is a failed release.
        outcome = {"upgraded": "released", "refused": "refused", "rolled_back": "rolled_back"}.get(
            upgrade_outcome, "failed"
        )
        return Done(outcome, message, final)

    def _health_deferred(self, domain: int) -> bool:
        """True when domain ``domain`` is not judged by the health check: the deployment was
        unhealthy before the upgrade (``allow_unhealthy_start``), the check answers for the whole
        deployment (no ``{upgrade_domain}``) and domains not walked yet still run the old build.
        The last domain is judged: then every instance runs the new build."""
        return (
            bool(self.state.get("unhealthy_start"))
            and not self.health_check().per_domain
            and domain + 1 < int(self.state["domain_count"])
        )

    def finish_report(self, done: Done) -> None:
        from airflow_sm_provider.release_report import utcnow_iso

        self.report["upgrade_outcome"] = self.state.get("upgrade_outcome", done.outcome)
        self.report["message"] = done.message
        self.report["finished_at"] = utcnow_iso()
        # Keyed by slot like the swap's report, so the same links and timeline read both.
        self.report["after"] = {self.slot.lower(): self._summary(self._deployment())}

    def summarise(self) -> str:
        r = self.report
        where = f"{r['service_name']} ({r['deployment_slot']})"
        return f"service {where}: {r.get('upgrade_outcome')} -- {r['message']}"

    def _lane(self, domain: int | None) -> str:
        return "deployment" if domain is None else f"domain {domain}"

    def _op_step(self, name: str, request_id: str, what: str) -> dict[str, Any]:
        return {
            "kind": "operation",
            "name": name,
            "request_id": request_id,
            "what": what,
            "deadline": self.deadline(self.domain_timeout),
        }

    def _domain_steps(self, domain: int, request_id: str | None) -> list[dict[str, Any]]:
        name = self.state["deployment_name"]
        steps: list[dict[str, Any]] = []
        if request_id:
            steps.append(
                self._op_step("walk", request_id, f"walk upgrade domain {domain} of {self.service_name}")
            )
        steps.append(
            {
                "kind": "deployments",
                "name": "domain_ready",
                "checks": [
                    {
                        "slot": self.slot,
                        "condition": "domain_ready",
                        "upgrade_domain": domain,
                        "expected": name,
                    }
                ],
                "deadline": self.deadline(self.domain_timeout),
            }
        )
        if self._health_deferred(domain):
            return steps
        health = {**self.health_check().as_dict()}
        steps.append(
            {
                "kind": "health",
                "name": "domain_health",
                "slot": self.slot,
                "expected": name,
                "health": health,
                "upgrade_domain": domain,
            }
        )
        seconds = float(self.domain_bake_seconds or 0)
        if seconds > 0:
            steps.append(
                {
                    "kind": "bake",
                    "name": "domain_bake",
                    "slot": self.slot,
                    "expected": name,
                    "health": health,
                    "seconds": seconds,
                    "interval": float(self.bake_interval),
                    "upgrade_domain": domain,
                }
            )
        return steps

    def _record(self, steps: list[dict[str, Any]], domain: int | None) -> dict[str, Any] | None:
        """Steps -> checks on the domain's lane; the failed step, if any."""
        lane = self._lane(domain)
        for step in steps:
            if step["name"] == "domain_bake":
                for n, sample in enumerate(step.get("samples") or [], start=1):
                    self.check(
                        f"domain_{domain}_bake_{n}",
                        sample["ok"],
                        sample["detail"],
                        at=sample["at"],
                        lane=lane,
                        step="sample",
                    )
            label = step["name"] if domain is None else f"domain_{domain}_{step['name']}"
            self.check(
                label,
                step["ok"],
                step["message"],
                at=step["at"],
                lane=lane,
                step=step["name"],
                target=step.get("target"),
            )
            if not step["ok"]:
                return step
        return None

    # --- phases -------------------------------------------------------------------------------------
    def phase_start(self, event: Any) -> Next | Done:
        """Find the deployment, refuse an upgrade over someone else's, send Upgrade Deployment (Manual)."""
        dep = self._deployment()
        self.report["before"] = {self.slot.lower(): self._summary(dep)}
        if dep is None:
            self.check(
                "deployment_present", False, f"the {self.slot} slot is empty", lane="deployment", step="gate"
            )
            return self.end("refused", f"nothing to upgrade: the {self.slot} slot is empty", final=False)
        self.report.update(
            deployment_name=dep.name,
            old_label=dep.label,
            upgrade_domain_count=int_of(dep.upgrade_domain_count),
        )
        self.state["deployment_name"] = dep.name
        self.state["domain_count"] = max(1, int_of(dep.upgrade_domain_count) or 1)
        if self.require_approval is True:  # what the approval body shows as changing
            from airflow_sm_provider.operators._approval import cscfg_changes

            self.state["cscfg_changes"] = cscfg_changes(
                getattr(dep, "configuration", "") or "", self.configuration_text()
            )
        if getattr(dep, "upgrade_status", None) is not None:
            self.check(
                "no_upgrade_in_progress",
                False,
                "another upgrade is in progress",
                lane="deployment",
                step="gate",
            )
            return self.end(
                "refused", f"{dep.name} already has an upgrade in progress; not starting another", final=False
            )
        if dep.locked:
            self.check(
                "no_operation_in_flight",
                False,
                f"{dep.name} is locked by an operation in progress",
                lane="deployment",
                step="gate",
            )
            return self.end(
                "refused", f"{dep.name} is locked by another operation; not upgrading over it", final=False
            )
        self.check(
            "no_operation_in_flight",
            True,
            f"{dep.name} is unlocked, no upgrade in progress",
            lane="deployment",
            step="gate",
        )
        from airflow_sm_provider.client.errors import InvalidInputError

        try:
            check_role_to_upgrade(dep, self.role_to_upgrade)
        except InvalidInputError as exc:  # Get Deployment listed the roles: no upgrade request for a typo
            self.check("role_to_upgrade_exists", False, exc.message, lane="deployment", step="gate")
            done = self.end("refused", str(exc))
            done.error = exc
            return done
        return Next("baseline", self._baseline_steps(dep.name), look_first=True)

    def _baseline_steps(self, name: str) -> list[dict[str, Any]]:
        """The health check before any request: the starting state (every domain's, when the URL
        names ``{upgrade_domain}``)."""
        check = self.health_check()
        domains: list[int | None] = (
            list(range(int(self.state["domain_count"]))) if check.per_domain else [None]
        )
        return [
            {
                "kind": "health",
                "name": "pre_upgrade_health" if d is None else f"pre_upgrade_health_{d}",
                "slot": self.slot,
                "expected": name,
                "health": check.as_dict(),
                "upgrade_domain": d,
            }
            for d in domains
        ]

    def phase_baseline(self, event: dict[str, Any]) -> Next | Done:
        """Judge the starting state: healthy -> upgrade; unhealthy -> refuse, or (allowed) a hotfix."""
        failed = self._record(self.steps_of(event), None)
        name = self.state["deployment_name"]
        if failed is None and event.get("status") == "success":
            self.report["start_health"] = {"ok": True, "detail": "healthy before the upgrade"}
            return Next("upgrade")
        if failed is None:  # the wait itself broke (trigger error, connection): do not guess
            why = f"could not judge the starting health: {event.get('message')}"
            self.check("pre_upgrade_health", False, why, lane="deployment", step="pre_upgrade_health")
            self.report["start_health"] = {"ok": None, "detail": why}
            return self.end("failed", f"{why}; no upgrade was sent", final=False)
        detail = (failed or {}).get("message") or str(event.get("message"))
        if failed.get("reason") in ("slot_changed", "slot_empty"):  # not probed: the slot changed
            self.report["start_health"] = {"ok": None, "detail": detail}
            return self.end(
                "refused",
                f"the {self.slot} slot no longer holds {name} ({detail}); no upgrade was sent: the "
                "slots changed since the start (a swap or a delete), run the upgrade again",
                final=False,
            )
        self.report["start_health"] = {"ok": False, "detail": detail}
        per_domain = self.health_check().per_domain
        if self.allow_unhealthy_start is not True:  # read strictly once rendered, as require_approval
            judged = (
                "each domain would be judged by its own health URL, but rolling back would only restore"
                if per_domain
                else "its health check answers for the whole deployment, so after a walk it would still "
                "see the instances not walked yet, blame the walked domain and roll the fix back to"
            )
            return self.end(
                "refused",
                f"{name} already fails its health check before the upgrade ({detail}); no upgrade was sent: "
                f"{judged} an unhealthy deployment. To upgrade it anyway (a hotfix), set "
                "allow_unhealthy_start=True",
                final=False,
            )
        self.state["unhealthy_start"] = True
        how = (
            "each domain is judged by its own health URL"
            if per_domain
            else "each domain is judged by its own instances' readiness; the health check judges the "
            "deployment once every domain runs the new build"
        )
        self.log.warning("%s is unhealthy before the upgrade; allow_unhealthy_start=True: %s", name, how)
        self.recorder.event(
            "deployment", "pre_upgrade_health", "info", f"allow_unhealthy_start=True: upgrading anyway; {how}"
        )
        return Next("upgrade")

    def phase_upgrade(self, event: Any) -> Next | Done:
        """Send the Manual upgrade once (a resumed try finds its request id, or the upgrade running)."""
        name = self.state["deployment_name"]
        rid = self.state.get("upgrade_request_id")
        if rid is None and self.state.get("upgrade_sending"):
            dep = self._deployment()
            if dep is not None and getattr(dep, "upgrade_status", None) is not None:
                self.check(
                    "upgrade_start",
                    True,
                    "the upgrade of an interrupted try is running",
                    lane="deployment",
                    step="upgrade_start",
                )
                return Next("walk")
        self.state["upgrade_sending"] = True
        self.save()
        if rid is None:
            handle = self.client.upgrade_deployment(
                self.service_name,
                name,
                "Manual",
                self.package_url,
                self.configuration_text(),
                self.deployment_label,
                bool(self.force),
                role_to_upgrade=self.role_to_upgrade or None,
            )
            rid = handle.request_id
            self.remember_request("upgrade_request_id", rid)
            self.report["upgrade_request_id"] = rid
        self.state["domain"] = 0
        return Next(
            "upgraded", [self._op_step("upgrade_start", str(rid), f"upgrade deployment {name} (Manual)")]
        )

    def phase_upgraded(self, event: dict[str, Any]) -> Next | Done:
        failed = self._record(self.steps_of(event), None)
        if failed is not None or event.get("status") != "success":
            return self.end("failed", f"the upgrade did not start: {event.get('message')}")
        return Next("walk")

    def phase_walk(self, event: Any) -> Next | Done:
        """Walk the next domain (never twice: a resumed try uses the saved request id or the status)."""
        domain = int(self.state.get("domain", 0))
        walks: dict[str, str] = self.state.setdefault("walks", {})
        rid = walks.get(str(domain))
        if rid is None:
            upgrade = getattr(self._deployment(), "upgrade_status", None)
            if domain_walked(upgrade, domain, started_here=True):
                self.check(
                    f"domain_{domain}_walk",
                    True,
                    "walked by an interrupted try",
                    lane=self._lane(domain),
                    step="walk",
                )
                return Next("walked", self._domain_steps(domain, None))
            self.log.info("Walking upgrade domain %s of %s", domain, self.state["deployment_name"])
            handle = self.client.walk_upgrade_domain(self.service_name, self.state["deployment_name"], domain)
            rid = str(handle.request_id)
            walks[str(domain)] = rid
            self.report["walk_request_ids"][str(domain)] = rid
            self._in_flight = rid
            self.save()
            self.after_walk(domain)
        return Next("walked", self._domain_steps(domain, rid))

    def after_walk(self, domain: int) -> None:
        """Seam for crash tests: right after a walk's request id is stored."""

    def phase_walked(self, event: dict[str, Any]) -> Next | Done:
        domain = int(self.state.get("domain", 0))
        failed = self._record(self.steps_of(event), domain)
        ok = failed is None and event.get("status") == "success"
        self.report["domains"].append(
            {"domain": domain, "ok": ok, "detail": (failed or {}).get("message", "healthy")}
        )
        if not ok:
            self.state["failed_domain"] = domain
            self.state["failed_detail"] = (failed or {}).get("message") or event.get("message")
            return Next("rollback")
        if self._health_deferred(domain):
            self.recorder.event(
                self._lane(domain),
                "domain_health",
                "skipped",
                f"domain_{domain}_health: not judged: the deployment was unhealthy before the upgrade and "
                "the check answers for every domain, also those not walked yet (judged after the last)",
            )
            self.report["domains"][-1]["detail"] = "ready (health judged after the last domain)"
        if domain + 1 >= int(self.state["domain_count"]):
            return self.end(
                "upgraded",
                f"all {self.state['domain_count']} upgrade domains walked and healthy; "
                f"{self.deployment_label} is live",
            )
        self.state["domain"] = domain + 1
        if self.require_approval is True:
            return Next("approved", approval=self._approval_request(domain + 1))
        return Next("walk")

    def _approval_request(self, domain: int) -> dict[str, str]:
        from airflow_sm_provider.operators._approval import approval_request

        dep = self._deployment()
        changes = list(self.state.get("cscfg_changes") or [])
        done = [
            f"- domain {d['domain']}: {'healthy' if d['ok'] else 'FAILED'} ({d['detail']})"
            for d in self.report["domains"]
        ]
        return approval_request(
            f"Continue the upgrade of {self.service_name} with domain {domain}?",
            [
                f"**Walk upgrade domain {domain} of {self.state['deployment_name']} ({self.service_name})?**",
                "",
                f"Deployment URL: {getattr(dep, 'url', '')}",
                "",
                "Upgrade domains so far:",
                *done,
                "",
                "Asked again before each later domain. Airflow keeps the first text of a task's request, so"
                " a later request shows this one: the domain it is about is in the task log and the"
                " release report.",
            ],
            changes,
            "previous -> new",
            "Reject (or no answer in time) rolls the upgrade back to the previous build.",
        )

    def phase_approved(self, event: dict[str, Any]) -> Next | Done:
        """The human answered: walk the domain, or roll the upgrade back."""
        from airflow_sm_provider.operators._approval import why_not_approved

        domain = int(self.state.get("domain", 0))
        if self.approval_check(event, f"domain_{domain}_approval", lane=self._lane(domain), step="approval"):
            return Next("walk")
        self.state["failed_domain"] = domain
        self.state["rejected"] = why_not_approved(event)
        return Next("rollback")

    def phase_rollback(self, event: Any) -> Next | Done:
        """A domain failed: roll the upgrade back (Auto) once, then wait for the deployment to recover."""
        domain = self.state.get("failed_domain")
        name = self.state["deployment_name"]
        if not self.rollback_on_failure and not self.state.get("rejected"):
            return self.end("failed", f"upgrade domain {domain} failed; rollback_on_failure is off")
        rid = self.state.get("rollback_request_id")
        if rid is None:
            dep = self._deployment()
            if dep is None or not (
                getattr(dep, "rollback_allowed", False) or getattr(dep, "upgrade_status", None)
            ):
                if self.state.get("unhealthy_start"):
                    return self.end(
                        "failed",
                        f"{name} already failed its health check before the upgrade "
                        "(allow_unhealthy_start=True) and still fails it with every upgrade domain on the "
                        f"new build ({self.state.get('failed_detail')}); the upgrade is complete, so ASM no "
                        "longer allows a rollback: production needs attention",
                    )
                return self.end(
                    "failed",
                    f"upgrade domain {domain} failed after the upgrade had completed; ASM no longer allows a "
                    "rollback: upgrade to the previous package and configuration to restore it",
                )
            self.log.warning("Upgrade domain %s failed: rolling the upgrade of %s back", domain, name)
            handle = self.client.rollback_update_or_upgrade(self.service_name, name, "Auto", bool(self.force))
            rid = str(handle.request_id)
            self.remember_request("rollback_request_id", rid)
            self.report["rollback_request_id"] = rid
        steps = [
            self._op_step("rollback", str(rid), f"rollback upgrade of {name}"),
            {
                "kind": "deployments",
                "name": "restored_ready",
                "checks": [{"slot": self.slot, "condition": "ready", "expected": name}],
                "deadline": self.deadline(self.domain_timeout),
            },
            {
                "kind": "health",
                "name": "restored_health",
                "slot": self.slot,
                "expected": name,
                "health": self.health_check().as_dict(),
            },
        ]
        return Next("rolled_back", steps)

    def phase_rolled_back(self, event: dict[str, Any]) -> Done:
        failed = self._record(self.steps_of(event), None)
        domain = self.state.get("failed_domain")
        if failed is not None and failed["name"] == "rollback":
            return self.end(
                "rollback_failed",
                f"upgrade domain {domain} failed and the rollback failed too: {failed['message']}",
            )
        why = (
            f"walking upgrade domain {domain} was not approved ({self.state['rejected']})"
            if self.state.get("rejected")
            else f"upgrade domain {domain} failed its checks"
        )
        if failed is None and event.get("status") != "success":  # the wait broke: do not guess
            steps = self.steps_of(event)
            self.report["rolled_back"] = any(st["name"] == "rollback" and st["ok"] for st in steps)
            return self.end(
                "rolled_back_unverified",
                f"{why}; the rollback was requested (request {self.state.get('rollback_request_id')}), but "
                f"the restored deployment could not be verified ({event.get('message')}): check production",
            )
        self.report["rolled_back"] = True
        if failed is not None:  # rolled back, but the restored deployment did not pass its checks
            before = (
                " (it already failed its health check before the upgrade)"
                if self.state.get("unhealthy_start")
                else ""
            )
            return self.end(
                "rolled_back_unhealthy",
                f"{why}; the upgrade was rolled back, but the previous build did not pass {failed['name']} "
                f"afterwards{before}: production needs attention",
            )
        if self.state.get("rejected"):
            return self.end("rolled_back", f"{why}; the upgrade was rolled back to the previous build")
        return self.end("rolled_back", f"{why}; the upgrade was rolled back")

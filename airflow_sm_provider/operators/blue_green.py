"""Guarded blue-green swap for classic Cloud Services: gate -> flip -> verify/bake -> (swap back).

A classic VIP swap is only the flip. :class:`AsmGuardedSwapOperator` adds what mature blue-green
tools have around it (docs/blue-green.md): before, staging must hold a deployment that is ready by
the one readiness rule, both slots settled (we wait, bounded, and never swap over a lock) and
staging healthy; after, production must be the new deployment, ready and healthy through the bake
window, or it is swapped back (if the previous production is still in staging) and the task fails.

It runs on the release life cycle (``operators/_release.py``): each phase decides and sends at most
one request; every wait (lock wait, health gate, the swap, the verification, the whole bake) is a
list of steps that runs in the triggerer when ``deferrable``. Swaps are not idempotent, so a
production slot that already holds the intended deployment is verified, never flipped again, and a
resumed try never sends a second swap. The report (XCom ``release_report``, also ``swap_report``
and the return value) holds no secrets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, duration, guard, text
from airflow_sm_provider.operators._approval import ApprovalArgsMixin
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import check_name
from airflow_sm_provider.operators._release import AsmReleaseOperator, Done, Next
from airflow_sm_provider.operators.health import HealthCheckArgsMixin

if TYPE_CHECKING:
    from airflow_sm_provider.operators.health import HealthCheck

__all__ = ["AsmGuardedSwapOperator", "slot_summary"]

#: The report's outcome (release_report.py) for each of today's detailed swap outcomes.
OUTCOME_OF = {
    "swapped": "released",
    "already_promoted": "released",
    "refused": "refused",
    "rolled_back": "rolled_back",
    "failed_after_swap": "failed",
    "swap_failed": "failed",
    "swap_back_failed": "failed",
    "rolled_back_unhealthy": "failed",
    "rolled_back_unverified": "failed",
}
#: Where each check of the report sits on the timeline: (lane, step).
TIMELINE = {
    "staging_occupied": ("staging", "gate"),
    "staging_is_expected": ("staging", "gate"),
    "production_occupied": ("production", "gate"),
    "no_operation_in_flight": ("staging", "lock_wait"),
    "staging_stable": ("staging", "lock_wait"),
    "staging_ready": ("staging", "gate"),
    "staging_health": ("staging", "gate"),
    "pre_swap_recheck": ("production", "gate"),
    "approval": ("production", "approval"),
    "reconcile": ("production", "gate"),
    "swap_operation": ("production", "flip"),
    "production_is_new": ("production", "verify"),
    "production_ready": ("production", "verify"),
    "production_health": ("production", "verify"),
    "bake": ("production", "bake"),
    "swap_back_operation": ("production", "swap_back"),
    "rollback_restored": ("production", "swap_back"),
    "restored_production_health": ("production", "verify"),
}


def slot_summary(dep: Any | None) -> dict[str, Any] | None:
    """What the report records about a slot: name, status, instance counts, lock, label, Url."""
    if dep is None:
        return None
    counts: dict[str, int] = {}
    for inst in dep.role_instance_list:
        counts[inst.instance_status] = counts.get(inst.instance_status, 0) + 1
    return {
        "name": dep.name,
        "status": dep.status,
        "instances": counts,
        "locked": bool(dep.locked),
        "label": dep.label,
        "url": dep.url,
    }


def _name(dep: Any | None) -> str | None:
    return None if dep is None else dep.name


class AsmGuardedSwapOperator(HealthCheckArgsMixin, ApprovalArgsMixin, AsmReleaseOperator):
    """Swap staging into production behind health gates; swap back and fail when production is unhealthy.

    :param service_name: the cloud service.
    :param asm_conn_id: Airflow connection to ASM; its TLS trust (``ca_bundle``, ``verify``) is also
        used for the health probes.
    :param expected_new_deployment: name of the deployment that should end in production. When set,
        staging must hold it, and a production slot that already holds it means "already swapped"
        (no second swap). Strongly recommended in DAGs: it makes retries safe. A safety argument:
        given as a template that renders to ``""`` or ``"None"``, the task fails before any request
        (it never swaps without the gate).
    :param rollback: manual rollback mode: swap the previous production (kept in staging) back in.
        Needs both slots occupied; the same gates apply.
    :param health_url: URL template of the health check (``operators/health.py``), e.g.
        ``"{deployment_url}health"`` (the default) or ``"https://{deployment_name}.example.com/ready"``.
    :param health_path: shorthand for ``health_url="{deployment_url}<path>"``.
    :param bake_seconds: after the flip, keep checking production's status and health for this
        long (the previous production stays in staging meanwhile, so a swap back is one request away).
    :param bake_interval: seconds between two bake samples.
    :param lock_wait_timeout: how long to wait for another operation (a lock) or settling instances
        before refusing the swap; also bounds the verification after the flip.
    :param poll_interval: steady seconds between two reads while waiting (the first comes sooner).
    :param swap_timeout: seconds to wait for each Swap Deployment operation.
    :param rollback_on_failure: swap back automatically when the after-swap checks fail.
    :param deferrable: run every wait in the triggerer (default from ``[operators] default_deferrable``).
    :param require_approval: after the gates pass, ask a human (Airflow's ``ApprovalOperator``, shown
        in "Required Actions") before the flip; its body shows the staging URL, the gate results and
        what changed in the ``.cscfg``. Reject or a timeout leaves production untouched (``refused``).
    :param approval_timeout: seconds to wait for the answer; then "Reject" is taken. None: no limit.
    """

    service_name: str = argument(reader=text, templated=True)
    expected_new_deployment: str | None = argument(
        None,
        reader=guard(text, check="the gate that staging holds the expected build"),
        templated=True,
    )
    rollback: bool | str = argument(False, reader=boolean, templated=True)
    health_path: str | None = argument(
        "health", reader=guard(text, check="the health check at this path"), templated=True
    )
    bake_seconds: float | str = argument(0.0, reader=duration(positive=False), templated=True)
    bake_interval: float | str = argument(10.0, reader=duration(), templated=True)
    lock_wait_timeout: float | str = argument(300.0, reader=duration())
    swap_timeout: float | str = argument(900.0, reader=duration())
    rollback_on_failure: bool = argument(True, reader=boolean)
    operation_name = "guarded swap"
    strategy = "vip_swap"
    memo_key = "asm_guarded_swap_v2"
    extra_xcom_keys = ("swap_report",)
    default_poll_interval = 5.0
    timeline = TIMELINE

    # --- inputs ----------------------------------------------------------------------------------
    def validate_inputs(self) -> None:
        """Names and the health check, before any request (templates are checked once rendered;
        numbers and flags are read by ``field_readers``)."""
        super().validate_inputs()
        check_name("expected_new_deployment", self.expected_new_deployment or None, required=False)

    @property
    def rollback_mode(self) -> bool:
        """Manual rollback mode, read strictly (``field_readers`` already did; this never guesses)."""
        return boolean("rollback", self.rollback)

    def new_report(self) -> dict[str, Any]:
        return {
            **super().new_report(),
            "mode": "rollback" if self.rollback_mode else "release",
            "swap_outcome": "running",
            "old_production": None,
            "new_production": self.expected_new_deployment or None,
            "swapped": False,
            "swap_request_id": None,
            "swapped_at": None,
        }

    # --- report helpers ---------------------------------------------------------------------------
    def _slots(self) -> tuple[Any | None, Any | None]:
        return self.io.deployment(protocol.SLOT_PRODUCTION.lower()), self.io.deployment(
            protocol.SLOT_STAGING.lower()
        )

    def finish_report(self, done: Done) -> None:
        from airflow_sm_provider.release_report import utcnow_iso

        self.report["swap_outcome"] = self.state.get("swap_outcome", done.outcome)
        self.report["message"] = done.message
        self.report["finished_at"] = utcnow_iso()
        prod, stag = self._slots()
        self.report["after"] = {"production": slot_summary(prod), "staging": slot_summary(stag)}

    def end(self, swap_outcome: str, message: str, *, final: bool = False) -> Done:
        self.state["swap_outcome"] = swap_outcome
        return Done(OUTCOME_OF[swap_outcome], message, final)

    def refuse(self, message: str) -> Done:
        return self.end("refused", message)

    def summarise(self) -> str:
        r = self.report
        return (
            f"service {r['service_name']}: {r.get('swap_outcome')} -- {r['message']}\n"
            f"  old production: {r['old_production']}  new: {r['new_production']}  "
            f"rolled back: {r['rolled_back']}"
        )

    # --- steps ---------------------------------------------------------------------------------------
    def _health_step(self, name: str, slot: str, expected: str | None) -> dict[str, Any]:
        return {
            "kind": "health",
            "name": name,
            "slot": slot,
            "expected": expected,
            "health": self._health.as_dict(),
        }

    def _verify_steps(self, new: str, request_id: str | None, *, bake: bool = True) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        if request_id:
            steps.append(self._operation_step("swap_operation", request_id))
        steps.append(
            {
                "kind": "deployments",
                "name": "production_ready",
                "checks": [{"slot": "production", "condition": "ready", "expected": new}],
                # Counted from when the swap may still be running: a slow swap must not leave the
                # readiness check a single look (which would swap back a deployment still starting).
                "deadline": self.deadline(
                    float(self.lock_wait_timeout) + (float(self.swap_timeout) if request_id else 0.0)
                ),
            }
        )
        steps.append(self._health_step("production_health", "production", new))
        seconds = float(self.bake_seconds or 0.0)
        if bake and seconds > 0:
            steps.append(
                {
                    "kind": "bake",
                    "name": "bake",
                    "slot": "production",
                    "expected": new,
                    "health": self._health.as_dict(),
                    "seconds": seconds,
                    "interval": float(self.bake_interval),
                }
            )
        return steps

    def _operation_step(self, name: str, request_id: str) -> dict[str, Any]:
        return {
            "kind": "operation",
            "name": name,
            "request_id": request_id,
            "what": f"swap deployments of {self.service_name}",
            "deadline": self.deadline(self.swap_timeout),
        }

    @property
    def _health(self) -> HealthCheck:
        return self.health_check()

    # --- phases -------------------------------------------------------------------------------------
    def phase_start(self, event: Any) -> Next | Done:
        """Record the slots, reconcile an earlier flip, run the static gates, then wait for the gate."""
        prod, stag = self._slots()
        self.report["before"] = {"production": slot_summary(prod), "staging": slot_summary(stag)}
        # Known from the start: a refused release still says what production held (issue 12).
        self.report["old_production"] = _name(prod)
        target = self.expected_new_deployment or None
        if prod is not None and target and prod.name == target:
            # An earlier run or try already flipped (swaps are not idempotent): verify, never flip again.
            old = _name(stag)
            self.report.update(old_production=old, new_production=prod.name)
            self.state["intent"] = {"old": old, "new": prod.name}
            self.state["reconciled"] = True
            self.check(
                "reconcile",
                True,
                f"production already holds {prod.name} (expected_new_deployment); not swapping again",
            )
            return Next("flipped", self._verify_steps(prod.name, None))
        if stag is None:
            self.check("staging_occupied", False, "the staging slot is empty")
            return self.refuse("nothing to swap in: the staging slot is empty; production unchanged")
        self.check("staging_occupied", True, f"staging holds {stag.name}")
        if target and stag.name != target:
            self.check("staging_is_expected", False, f"staging holds {stag.name}, expected {target}")
            return self.refuse(f"staging does not hold {target}; production unchanged")
        if self.rollback_mode and prod is None:
            self.check("production_occupied", False, "rollback needs a production deployment to replace")
            return self.refuse("nothing to roll back: the production slot is empty")
        self.report["new_production"] = stag.name
        self.state["gate"] = {"production": _name(prod), "staging": stag.name}
        lock_wait = {
            "kind": "deployments",
            "name": "lock_wait",
            "checks": [
                {"slot": "staging", "condition": "ready", "expected": stag.name},
                {"slot": "production", "condition": "settled"},
            ],
            "deadline": self.deadline(self.lock_wait_timeout),
        }
        gate = [lock_wait, self._health_step("staging_health", "staging", stag.name)]
        return Next("gated", gate, look_first=True)

    def phase_gated(self, event: dict[str, Any]) -> Next | Done:
        """Judge the lock wait and the health gate; refuse, or go on to the flip."""
        from airflow_sm_provider.triggers.release import LOCKED

        steps = {s["name"]: s for s in self.steps_of(event)}
        lock = steps.get("lock_wait")
        if lock is None:
            self.check("no_operation_in_flight", False, f"the gate could not run: {event.get('message')}")
            return self.refuse(f"the gate could not run ({event.get('message')}); production unchanged")
        waited = int(lock.get("checks") or 1) > 1
        if lock["ok"]:
            self.check(
                "no_operation_in_flight",
                True,
                "waited for an operation to finish" if waited else "no lock, no operation in flight",
                at=lock["at"],
            )
            self.check("staging_ready", True, lock["message"], at=lock["at"])
        elif lock["reason"] == "slot_changed":
            self.check("staging_stable", False, lock["message"], at=lock["at"])
            return self.refuse("staging changed while waiting; production unchanged")
        elif lock["outcome"] == "timeout" and lock.get("reason") == LOCKED:
            self.check("no_operation_in_flight", False, f"still locked: {lock['message']}", at=lock["at"])
            return self.refuse(
                f"another operation held the deployments for over {float(self.lock_wait_timeout):g}s; "
                "not swapping over it; production unchanged"
            )
        else:
            if lock["outcome"] == "failed":
                self.check("no_operation_in_flight", True, "no lock, no operation in flight", at=lock["at"])
            self.check("staging_ready", False, lock["message"], at=lock["at"])
            return self.refuse(f"staging is not ready: {lock['message']}; production unchanged")
        health = steps.get("staging_health")
        if health is None or not health["ok"]:
            detail = health["message"] if health else "not probed"
            self.check("staging_health", False, detail, target=(health or {}).get("target"))
            return self.refuse(
                f"staging deployment {self.state['gate']['staging']} is not healthy; production unchanged"
            )
        self.check("staging_health", True, health["message"], at=health["at"], target=health.get("target"))
        if self.require_approval is True:
            return Next("approved", approval=self._approval_request())
        return Next("flip")

    def _approval_request(self) -> dict[str, str]:
        """Subject and body of the promotion gate: staging URL, gate results, .cscfg changes."""
        from airflow_sm_provider.operators._approval import approval_request, cscfg_changes, gate_lines

        prod, stag = self._slots()
        changes = cscfg_changes(getattr(prod, "configuration", ""), getattr(stag, "configuration", ""))
        new, old = _name(stag), _name(prod)
        return approval_request(
            f"Swap {new} into production of {self.service_name}?",
            [
                f"**Promote {new} to production of {self.service_name}?**",
                f"Production now: {old or '(empty)'}.",
                "",
                f"Staging URL: {getattr(stag, 'url', '')}",
                "",
                "Gate results:",
                *[f"- {line}" for line in gate_lines(self.report["checks"])],
            ],
            changes,
            "production -> staging",
            "Reject (or no answer in time) leaves production untouched.",
        )

    def phase_approved(self, event: dict[str, Any]) -> Next | Done:
        """The human answered: flip (the slots are re-checked first), or refuse."""
        from airflow_sm_provider.operators._approval import why_not_approved

        if self.approval_check(event, "approval"):
            return Next("flip")
        return self.refuse(f"promotion not approved ({why_not_approved(event)}); production untouched")

    def phase_flip(self, event: Any) -> Next | Done:
        """Re-check the slots and send the one swap -- unless a resumed try finds it already sent."""
        gate = self.state["gate"]
        prod, stag = self._slots()
        old, new = gate["production"], gate["staging"]
        if self.state.get("intent"):  # an interrupted try got this far: never send blindly
            rid = self.state.get("swap_request_id")
            if _name(prod) == new or rid:
                self.log.warning("Resumed after the swap was sent (request %s); not sending it again.", rid)
                self.check(
                    "reconcile", True, f"the swap of an interrupted try is done or in flight (request {rid})"
                )
                return Next("flipped", self._verify_steps(new, rid))
        if _name(prod) != old or _name(stag) != new or any(d.locked for d in (prod, stag) if d):
            if self.state.get("intent"):
                # An interrupted try may have sent the swap before its request id was saved: this
                # may be our own swap in flight. Final: a retry must not run the release again.
                self.check("reconcile", False, "an interrupted try may have sent the swap: outcome unknown")
                return self.end(
                    "swap_failed",
                    f"an interrupted try may have sent the swap of {new} (no request id was saved) and the "
                    f"slots are now locked or changed (production {_name(prod)}, staging {_name(stag)}): "
                    "inspect the service before running the release again",
                    final=True,
                )
            self.check("pre_swap_recheck", False, "the slots changed or were locked while the gates ran")
            return self.refuse("the slots changed during the gates; not swapping over someone else")
        self.check("pre_swap_recheck", True, "slots unchanged and unlocked right before the swap")
        self.report.update(old_production=old, new_production=new)
        self.state["intent"] = {"old": old, "new": new}
        self.save()  # the intent is durable BEFORE the request: a crash now resumes without a second swap
        self.log.info(
            "Swapping %s into production of %s (previous production: %s)", new, self.service_name, old
        )
        self.before_flip()
        handle = self.client.swap_deployment(self.service_name, old, new)
        self.remember_request("swap_request_id", handle.request_id)
        self.after_flip()
        from airflow_sm_provider.release_report import utcnow_iso

        self.report.update(swap_request_id=handle.request_id, swapped_at=utcnow_iso())
        return Next("flipped", self._verify_steps(new, handle.request_id))

    def before_flip(self) -> None:
        """Seam for crash tests: right before the swap request."""

    def after_flip(self) -> None:
        """Seam for crash tests: right after the swap request id is stored."""

    def phase_flipped(self, event: dict[str, Any]) -> Next | Done:
        """Judge the swap, the verification and the bake; done, or swap back."""
        intent = self.state["intent"]
        old, new = intent["old"], intent["new"]
        steps = self.steps_of(event)
        failed = self._record_after(steps, "swap_operation")
        if failed == "swap_operation":
            prod = self.io.deployment("production")
            flipped = _name(prod) == new
            swap = next((st for st in steps if st.get("name") == "swap_operation"), {})
            # ASM said Failed: the swap did not happen, a retry may try again. Anything else (a
            # time-out: still in progress) leaves its outcome unknown, so a retry must not swap.
            settled = swap.get("outcome") == "failed"
            self.report["swapped"] = flipped
            return self.end(
                "swap_failed",
                f"swap of {new} failed ({event.get('message')}); production now holds {_name(prod)}"
                + ("" if settled else "; the swap may still be in progress: inspect before retrying"),
                final=flipped or not settled,
            )
        self.report["swapped"] = bool(self.state.get("swap_request_id"))
        if failed is None and event.get("status") == "success":
            if self.state.get("reconciled"):
                return self.end("already_promoted", f"{new} was already in production and is healthy")
            verb = "moved into the empty production slot" if old is None else f"swapped in, replacing {old}"
            return self.end(
                "swapped", f"{new} {verb}; healthy after {float(self.bake_seconds or 0):g}s of baking"
            )
        if failed is None:  # the wait itself broke (connection, triggerer): do not guess
            self.check("production_ready", False, f"could not verify production: {event.get('message')}")
        return Next("swap_back")

    def _record_after(self, steps: list[dict[str, Any]], op_name: str) -> str | None:
        """Turn the after-flip step outcomes into checks; return the name of the failed step, if any."""
        for step in steps:
            name, ok, detail, at = step["name"], step["ok"], step["message"], step["at"]
            if name in (op_name, "swap_back_operation"):
                self.check(
                    name,
                    ok,
                    detail if not ok else f"swap done (request {step.get('target')})",
                    at=at,
                    target=step.get("target"),
                )
            elif name in ("production_ready", "restored_ready"):
                if step.get("reason") == "slot_changed":
                    self.check(
                        "production_is_new" if name == "production_ready" else "rollback_restored",
                        False,
                        detail,
                        at=at,
                    )
                elif name == "production_ready":
                    self.check("production_is_new", True, "production holds the new deployment", at=at)
                    self.check("production_ready", ok, detail, at=at)
                else:
                    self.check("rollback_restored", ok, detail, at=at)
            elif name == "bake":
                for n, sample in enumerate(step.get("samples") or [], start=1):
                    self.check(
                        f"bake_health_{n}", sample["ok"], sample["detail"], at=sample["at"], step="sample"
                    )
                self.check("bake", ok, detail, at=at)
            else:
                self.check(name, ok, detail, at=at, target=step.get("target"))
            if not ok:
                return name
        return None

    def phase_swap_back(self, event: Any) -> Next | Done:
        """Production failed its checks: restore the previous production if it is still in staging."""
        intent = self.state["intent"]
        old, new = intent["old"], intent["new"]
        sent = self.state.get("rollback_request_id")
        if sent and old:  # resumed after sending it
            return Next("swapped_back", self._restore_steps(old, str(sent)))
        if not self.rollback_on_failure:
            return self.end(
                "failed_after_swap", f"{new} failed after the swap; rollback_on_failure is off", final=True
            )
        if old is None:
            return self.end(
                "failed_after_swap",
                f"{new} is unhealthy in production, and production was empty before the swap, so there is "
                "nothing to swap back to. Delete or fix it by hand (ASM cannot move a deployment back to "
                "staging).",
                final=True,
            )
        prod, stag = self._slots()
        if self.state.get("swap_back_intent"):  # an interrupted try may have sent it: never blindly again
            if _name(prod) == old:  # it was sent and is done: verify the restored production
                self.log.warning("Resumed after the swap back was sent; not sending it again.")
                self.state["swap_back_seen"] = True  # done: no swap_back_operation step tells it
                return Next("swapped_back", self._restore_steps(old, None))
            if any(d.locked for d in (prod, stag) if d):
                return self.end(
                    "swap_back_failed",
                    f"an interrupted try may have sent the swap back of {old} (no request id was saved) "
                    "and the deployments are locked: inspect the service before doing anything",
                    final=True,
                )
        if _name(stag) != old or _name(prod) != new:
            return self.end(
                "failed_after_swap",
                f"{new} failed after the swap, but staging holds {_name(stag)}, not {old}: "
                "cannot swap back safely",
                final=True,
            )
        self.log.warning("Swapping %s back into production of %s", old, self.service_name)
        self.state["swap_back_intent"] = True
        self.save()  # durable BEFORE the request, as the flip's intent is
        handle = self.client.swap_deployment(self.service_name, new, old)
        self.remember_request("rollback_request_id", handle.request_id)
        self.report["rollback_request_id"] = handle.request_id
        return Next("swapped_back", self._restore_steps(old, str(handle.request_id)))

    def _restore_steps(self, old: str, request_id: str | None) -> list[dict[str, Any]]:
        """Wait for the swap back (unless it is known done), then verify the restored production."""
        ops = [self._operation_step("swap_back_operation", request_id)] if request_id else []
        wait = float(self.lock_wait_timeout) + (float(self.swap_timeout) if request_id else 0.0)
        return [
            *ops,
            {
                "kind": "deployments",
                "name": "restored_ready",
                "checks": [{"slot": "production", "condition": "ready", "expected": old}],
                "deadline": self.deadline(wait),
            },
            self._health_step("restored_production_health", "production", old),
        ]

    def phase_swapped_back(self, event: dict[str, Any]) -> Done:
        intent = self.state["intent"]
        old, new = intent["old"], intent["new"]
        failed = self._record_after(self.steps_of(event), "swap_back_operation")
        if failed == "swap_back_operation":
            prod = self.io.deployment("production")
            return self.end(
                "swap_back_failed",
                f"swap back of {old} failed ({event.get('message')}); production now holds {_name(prod)}",
                final=True,
            )
        if failed is None and event.get("status") != "success":  # the wait broke: do not guess
            steps = self.steps_of(event)
            self.report["rolled_back"] = bool(self.state.get("swap_back_seen")) or any(
                st["name"] == "swap_back_operation" and st["ok"] for st in steps
            )
            return self.end(
                "rolled_back_unverified",
                f"{new} failed its checks in production and the swap back of {old} was requested, but "
                f"the restored production could not be verified ({event.get('message')}): check production",
                final=True,
            )
        self.report["rolled_back"] = True
        if failed is not None:  # swapped back, but the restored production did not pass its checks
            return self.end(
                "rolled_back_unhealthy",
                f"{new} failed its checks in production and was swapped back, but {old} did not pass "
                f"{failed} afterwards: production needs attention",
                final=True,
            )
        return self.end(
            "rolled_back",
            f"{new} failed its checks in production; swapped back, {old} is in production again",
            final=True,
        )

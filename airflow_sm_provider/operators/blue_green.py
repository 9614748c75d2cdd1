"""Guarded blue-green swap for classic Cloud Services: gate -> flip -> verify/bake -> (swap back).

A classic VIP swap is only the flip. :class:`AsmGuardedSwapOperator` adds what mature blue-green
tools have around it (docs/blue-green.md): before, staging must hold a deployment that is Running,
every instance ReadyRole, unlocked (we wait, bounded, and never swap over a lock) and healthy;
after, production must be the new deployment, ready and healthy through the bake window, or it is
swapped back (if the previous production is still in staging) and the task fails. Swaps are not
idempotent, so a production slot that already holds the intended deployment is verified, never
flipped again. The JSON report goes to XCom (``return_value``; ``swap_report`` always), no secrets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_sm_provider.operators.health import (
    TRANSITIONAL_STATUSES,
    CheckResult,
    HealthCheckConfig,
    SwapRefused,
    SwapSettings,
    as_bool,
    assess_deployment,
    check_health,
    format_report,
    load_intent,
    new_report,
    save_intent,
    slot_summary,
    ssl_context_from_extras,
    utcnow_iso,
)
from airflow_sm_provider.operators.links import ASM_LINKS

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_sm_provider.client import ServiceManagementClient

__all__ = ["AsmGuardedSwapOperator", "GuardedSwap", "SwapRefused", "SwapSettings"]


class GuardedSwap:
    """One guarded swap: a small state machine over the ASM client, recording into ``report``."""

    def __init__(
        self,
        client: ServiceManagementClient,
        service_name: str,
        settings: SwapSettings,
        *,
        extras: dict[str, Any],
        state_store: Any,
        run_id: str | None,
        on_request: Callable[[str | None], None],
        log: Any,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client, self.service, self.s, self.run_id = client, service_name, settings, run_id
        self.ctx = ssl_context_from_extras(extras)
        self.store, self.on_request, self.log, self.sleep = state_store, on_request, log, sleep
        self.report = new_report(service_name, settings)

    # --- small helpers ------------------------------------------------------------------------------
    def _slot(self, slot: str) -> Any | None:
        from airflow_sm_provider.client.errors import NotFoundError

        try:
            return self.client.get_deployment_by_slot(self.service, slot)
        except NotFoundError:
            return None  # an empty slot is a state, not an error

    def _slots(self) -> tuple[Any | None, Any | None]:
        return self._slot("production"), self._slot("staging")

    def _check(self, name: str, ok: bool, detail: str, **extra: Any) -> bool:
        result = CheckResult(name=name, ok=ok, detail=detail, **extra)
        self.report["checks"].append(result.as_dict())
        (self.log.info if ok else self.log.warning)(
            "Gate %s: %s -- %s", name, "ok" if ok else "FAILED", detail
        )
        return ok

    def _health(self, name: str, dep: Any) -> bool:
        result = check_health(name, dep.url, self.s.health, self.ctx, sleep=self.sleep)
        self.report["checks"].append(result.as_dict())
        return result.ok

    def _finish(self, outcome: str, message: str) -> dict[str, Any]:
        prod, stag = self._slots()
        self.report.update(outcome=outcome, message=message, finished_at=utcnow_iso())
        self.report["after"] = {"production": slot_summary(prod), "staging": slot_summary(stag)}
        return self.report

    def _refuse(self, outcome: str, message: str, *, final: bool = False) -> NoReturn:
        raise SwapRefused(self._finish(outcome, message), final)

    def summary(self) -> str:
        return format_report(self.report)

    # --- phases -----------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        prod, stag = self._slots()
        self.report["before"] = {"production": slot_summary(prod), "staging": slot_summary(stag)}
        intent = load_intent(self.store, self.run_id, self.log)
        target = self.s.expected_new or intent.get("new")
        if prod is not None and target and prod.name == target:
            # An earlier try already flipped (swaps are not idempotent): verify, never flip again.
            old = intent.get("old") or (stag.name if stag is not None else None)
            self.report.update(old_production=old, new_production=prod.name)
            why = "expected_new_deployment" if self.s.expected_new else f"an earlier try of run {self.run_id}"
            self._check(
                "reconcile", True, f"production already holds {prod.name} ({why}); not swapping again"
            )
            if self._verify_after(prod.name):
                return self._finish(
                    "already_promoted", f"{prod.name} was already in production and is healthy"
                )
            self._swap_back(old, prod.name)
        self._gate(prod, stag)
        prod, stag = self._wait_settled()
        if not self._health("staging_health", stag):
            self._refuse("refused", f"staging deployment {stag.name} is not healthy; production unchanged")
        prod2, stag2 = self._slots()
        if (
            _name(prod2) != _name(prod)
            or _name(stag2) != _name(stag)
            or any(d.locked for d in (prod2, stag2) if d)
        ):
            self._check("pre_swap_recheck", False, "the slots changed or were locked while the gates ran")
            self._refuse("refused", "the slots changed during the gates; not swapping over someone else")
        self._check("pre_swap_recheck", True, "slots unchanged and unlocked right before the swap")
        old, new = _name(prod), stag.name
        self.report.update(old_production=old, new_production=new)
        save_intent(self.store, self.run_id, old, new, self.log)
        self.log.info("Swapping %s into production of %s (previous production: %s)", new, self.service, old)
        self.report["swap_request_id"] = self._swap(old, new, "swap")
        self.report.update(swapped=True, swapped_at=utcnow_iso())
        if self._verify_after(new):
            verb = "moved into the empty production slot" if old is None else f"swapped in, replacing {old}"
            return self._finish("swapped", f"{new} {verb}; healthy after {self.s.bake_seconds:g}s of baking")
        self._swap_back(old, new)

    def _gate(self, prod: Any | None, stag: Any | None) -> None:
        if stag is None:
            self._check("staging_occupied", False, "the staging slot is empty")
            self._refuse("refused", "nothing to swap in: the staging slot is empty; production unchanged")
        self._check("staging_occupied", True, f"staging holds {stag.name}")
        if self.s.expected_new and stag.name != self.s.expected_new:
            self._check(
                "staging_is_expected", False, f"staging holds {stag.name}, expected {self.s.expected_new}"
            )
            self._refuse("refused", f"staging does not hold {self.s.expected_new}; production unchanged")
        if self.s.rollback_mode and prod is None:
            self._check("production_occupied", False, "rollback needs a production deployment to replace")
            self._refuse("refused", "nothing to roll back: the production slot is empty")

    def _wait_settled(self) -> tuple[Any | None, Any]:
        """Wait (bounded) until no operation holds either deployment and staging is ready."""
        deadline = time.monotonic() + self.s.lock_wait_timeout
        first = _name(self._slot("staging"))
        waited = False
        while True:
            prod, stag = self._slots()
            if stag is None or stag.name != first:
                self._check("staging_stable", False, f"staging changed to {_name(stag)} while waiting")
                self._refuse("refused", "staging changed while waiting; production unchanged")
            locks = [d.name for d in (prod, stag) if d is not None and d.locked]
            state, detail = assess_deployment(stag)
            if prod is not None and not locks and prod.status in TRANSITIONAL_STATUSES:
                locks.append(prod.name)
            if not locks and state == "ready":
                why = "waited for an operation to finish" if waited else "no lock, no operation in flight"
                self._check("no_operation_in_flight", True, why)
                self._check("staging_ready", True, detail)
                return prod, stag
            if not locks and state == "hopeless":
                self._check("no_operation_in_flight", True, "no lock, no operation in flight")
                self._check("staging_ready", False, detail)
                self._refuse("refused", f"staging is not ready: {detail}; production unchanged")
            if time.monotonic() >= deadline:
                if locks:
                    self._check("no_operation_in_flight", False, f"still locked: {', '.join(locks)}")
                    self._refuse(
                        "refused",
                        f"another operation held {', '.join(locks)} for over {self.s.lock_wait_timeout:g}s; "
                        "not swapping over it; production unchanged",
                    )
                self._check("staging_ready", False, detail)
                self._refuse("refused", f"staging did not become ready: {detail}; production unchanged")
            if not waited:
                self.log.info("Waiting for %s before swapping", ", ".join(locks) or detail)
            waited = True
            self.sleep(self.s.poll_interval)

    def _swap(self, production: str | None, source: str, phase: str) -> str | None:
        """Submit one Swap Deployment and wait for it; failures become a report, never a guess."""
        from airflow_sm_provider.client.errors import AsmError

        try:
            handle = self.client.swap_deployment(self.service, production, source)
            self.on_request(handle.request_id)
            handle.wait(timeout=self.s.swap_timeout, poll_interval=self.s.poll_interval)
        except AsmError as exc:
            self._check(f"{phase}_operation", False, str(exc))
            prod = self._slot("production")
            flipped = _name(prod) == source
            self.report["swapped"] = self.report["swapped"] or (phase == "swap" and flipped)
            self._refuse(
                f"{phase}_failed",
                f"{phase} of {source} failed ({exc}); production now holds {_name(prod)}",
                final=phase != "swap" or flipped,
            )
        self._check(f"{phase}_operation", True, f"{source} -> production", target=handle.request_id)
        return handle.request_id

    def _verify_after(self, new: str) -> bool:
        """After the flip: production is ``new``, ready, healthy -- now and for the bake window."""
        deadline = time.monotonic() + self.s.lock_wait_timeout
        while True:
            prod = self._slot("production")
            if prod is None or prod.name != new:
                return self._check("production_is_new", False, f"production holds {_name(prod)}, not {new}")
            state, detail = assess_deployment(prod)
            if state == "ready":
                break
            if state == "hopeless" or time.monotonic() >= deadline:
                return self._check("production_ready", False, detail)
            self.sleep(self.s.poll_interval)
        self._check("production_is_new", True, f"production holds {new}")
        self._check("production_ready", True, detail)
        if not self._health("production_health", prod):
            return False
        end = time.monotonic() + self.s.bake_seconds
        n = 0
        while (remaining := end - time.monotonic()) > 0:
            self.sleep(min(self.s.bake_interval, remaining))
            n += 1
            if not self._health(f"bake_health_{n}", prod):
                return False
        if self.s.bake_seconds:
            self._check(
                "bake", True, f"production healthy through {n} check(s) over {self.s.bake_seconds:g}s"
            )
        return True

    def _swap_back(self, old: str | None, new: str) -> NoReturn:
        """Production failed its checks: restore the previous production if it is still in staging."""
        if not self.s.rollback_on_failure:
            self._refuse(
                "failed_after_swap", f"{new} failed after the swap; rollback_on_failure is off", final=True
            )
        if old is None:
            self._refuse(
                "failed_after_swap",
                f"{new} is unhealthy in production, and production was empty before the swap, so there is "
                "nothing to swap back to. Delete or fix it by hand (ASM cannot move a deployment back to "
                "staging).",
                final=True,
            )
        prod, stag = self._slots()
        if _name(stag) != old or _name(prod) != new:
            self._refuse(
                "failed_after_swap",
                f"{new} failed after the swap, but staging holds {_name(stag)}, not {old}: "
                "cannot swap back safely",
                final=True,
            )
        self.log.warning("Swapping %s back into production of %s", old, self.service)
        self.report["rollback_request_id"] = self._swap(new, old, "swap_back")
        self.report["rolled_back"] = True
        restored = self._slot("production")
        self._check("rollback_restored", _name(restored) == old, f"production holds {_name(restored)}")
        if restored is not None:
            self._health("restored_production_health", restored)
        self._refuse(
            "rolled_back",
            f"{new} failed its checks in production; swapped back, {old} is in production again",
            final=True,
        )


def _name(dep: Any | None) -> str | None:
    return None if dep is None else dep.name


class AsmGuardedSwapOperator(BaseOperator):
    """Swap staging into production behind health gates; swap back and fail when production is unhealthy.

    :param service_name: the cloud service.
    :param asm_conn_id: Airflow connection to ASM; its CA trust is also used for the health probes.
    :param expected_new_deployment: name of the deployment that should end in production. When set,
        staging must hold it, and a production slot that already holds it means "already swapped"
        (no second swap). Strongly recommended in DAGs: it makes retries safe.
    :param rollback: manual rollback mode: swap the previous production (kept in staging) back in.
        Needs both slots occupied; the same gates apply.
    :param health_path: path of the health endpoint, appended to the deployment Url.
    :param expected_status: HTTP status meaning healthy.
    :param health_retries: attempts per health check.
    :param health_timeout: seconds per attempt.
    :param health_interval: seconds between attempts.
    :param bake_seconds: after the flip, keep checking production for this long (the previous
        production stays in staging meanwhile, so a swap back is still possible).
    :param bake_interval: seconds between two bake checks.
    :param lock_wait_timeout: how long to wait for another operation (a lock) or settling instances
        before refusing the swap.
    :param poll_interval: seconds between two reads while waiting.
    :param swap_timeout: seconds to wait for each Swap Deployment operation.
    :param rollback_on_failure: swap back automatically when the after-swap checks fail.
    """

    template_fields: Sequence[str] = (
        "service_name",
        "asm_conn_id",
        "expected_new_deployment",
        "health_path",
        "bake_seconds",
        "rollback",
    )
    ui_color = "#0078d4"
    operator_extra_links = ASM_LINKS
    ui_fgcolor = "#ffffff"

    def __init__(
        self,
        *,
        service_name: str,
        asm_conn_id: str = "asm_default",
        expected_new_deployment: str | None = None,
        rollback: bool | str = False,
        health_path: str = "health",
        expected_status: int = 200,
        health_retries: int = 3,
        health_timeout: float = 5.0,
        health_interval: float = 2.0,
        bake_seconds: float | str = 0.0,
        bake_interval: float = 10.0,
        lock_wait_timeout: float = 300.0,
        poll_interval: float = 5.0,
        swap_timeout: float = 900.0,
        rollback_on_failure: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.service_name = service_name
        self.asm_conn_id = asm_conn_id
        self.expected_new_deployment = expected_new_deployment
        self.rollback = rollback
        self.health_path = health_path
        self.expected_status = expected_status
        self.health_retries = health_retries
        self.health_timeout = health_timeout
        self.health_interval = health_interval
        self.bake_seconds = bake_seconds
        self.bake_interval = bake_interval
        self.lock_wait_timeout = lock_wait_timeout
        self.poll_interval = poll_interval
        self.swap_timeout = swap_timeout
        self.rollback_on_failure = rollback_on_failure
        self._in_flight: str | None = None

    def _client_and_extras(self) -> tuple[ServiceManagementClient, dict[str, Any]]:
        from airflow_sm_provider.hooks.service_management import ServiceManagementHook

        hook = ServiceManagementHook(asm_conn_id=self.asm_conn_id)
        extras = dict(hook.get_connection(self.asm_conn_id).extra_dejson)
        return hook.get_conn(), extras

    def execute(self, context: Context) -> dict[str, Any]:
        client, extras = self._client_and_extras()
        settings = SwapSettings(
            health=HealthCheckConfig(
                path=self.health_path,
                expected_status=int(self.expected_status),
                retries=int(self.health_retries),
                timeout=float(self.health_timeout),
                interval=float(self.health_interval),
            ),
            expected_new=self.expected_new_deployment or None,
            rollback_mode=as_bool(self.rollback),
            bake_seconds=float(self.bake_seconds or 0),
            bake_interval=self.bake_interval,
            lock_wait_timeout=float(self.lock_wait_timeout),
            poll_interval=self.poll_interval,
            swap_timeout=float(self.swap_timeout),
            rollback_on_failure=self.rollback_on_failure,
        )
        swap = GuardedSwap(
            client,
            self.service_name,
            settings,
            extras=extras,
            state_store=context.get("task_state_store"),
            run_id=context.get("run_id"),
            on_request=self._remember_request,
            log=self.log,
        )
        try:
            report = swap.run()
        except SwapRefused as refused:
            self._push(context, refused.report)
            self.log.error("Guarded swap report:\n%s", refused.summary())
            if refused.final:
                # After a flip (and a swap back) retrying would flip a known-bad build in again.
                raise AirflowFailException(refused.summary()) from None
            raise AirflowException(refused.summary()) from None
        finally:
            self._in_flight = None
        self._push(context, report)
        self.log.info("Guarded swap report:\n%s", swap.summary())
        return report

    def _remember_request(self, request_id: str | None) -> None:
        self._in_flight = request_id

    @staticmethod
    def _push(context: Context, report: dict[str, Any]) -> None:
        ti = context.get("ti")
        if ti is not None:
            ti.xcom_push(key="swap_report", value=report)

    def on_kill(self) -> None:
        """ASM cannot cancel an operation: say so, and name the one still running."""
        if self._in_flight:
            self.log.warning(
                "Killed while swap operation %s is in flight; ASM cannot cancel it. Inspect the slots "
                "before retrying (a retry reconciles and will not swap twice).",
                self._in_flight,
            )

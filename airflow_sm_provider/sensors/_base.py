"""What the ASM sensors share: poke with the shared conditions, defer, judge the trigger's event.

A sensor is a "check" (one fetch + the same condition the trigger uses) plus a trigger factory.
This base makes poke, reschedule and deferrable behave the same: the same verdicts, the same
XCom value (the event dict), and the same ``soft_fail`` / ``never_fail`` handling (apache/airflow
#61130: deferrable sensors must skip on timeout exactly like poke mode).
"""

from __future__ import annotations

import time
from abc import abstractmethod
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_sm_provider._compat import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    default_deferrable,
)

if TYPE_CHECKING:
    from airflow.sdk import Context, PokeReturnValue

    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.polling import PollResult
    from airflow_sm_provider.hooks.service_management import ServiceManagementHook
    from airflow_sm_provider.triggers.base import AsmPollTrigger

__all__ = ["AsmBaseSensor", "AsmWaitError", "event_from_result", "raise_for_event"]


class AsmWaitError(RuntimeError):
    """The wait itself broke in the trigger (connection, certificate, authorisation, ...).

    Not an ``AirflowException`` on purpose: in poke mode the same error propagates as the client's
    own exception, which ``soft_fail`` does not skip and task retries may repeat; a deferred wait
    must behave the same.
    """


def event_from_result(result: PollResult, ids: dict[str, Any]) -> dict[str, Any]:
    """The trigger's event body for a poke verdict, so both modes push the same XCom."""
    return result.to_event(ids)


def raise_for_event(event: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """Return a success event; raise the right exception for anything else.

    A failure of the awaited thing (operation Failed, a hopeless deployment) is final: no retry.
    A broken wait (``error_type``: connection, auth) may be retried. A timeout raises
    ``AirflowSensorTimeout`` (no retry; ``soft_fail`` skips).

    :param event: the trigger's event payload (or a poke verdict built by ``event_from_result``).
    :param what: what was awaited, for the message (e.g. ``operation 1234...``).
    """
    from airflow_sm_provider.client.polling import Outcome, PollResult

    result = PollResult.from_event(event)
    if result.error_type == "BadEvent":
        raise AirflowException(f"Waiting for {what}: {result.message}")
    if result.ok:
        return dict(event or {})
    detail = f"{result.reason}: {result.message}" if result.reason else result.message
    if result.outcome is Outcome.TIMEOUT:
        raise AirflowSensorTimeout(f"Timed out waiting for {what}: {detail}")
    if result.error_type:
        raise AsmWaitError(f"Error while waiting for {what} ({result.error_type}): {detail}")
    if result.outcome is Outcome.WAITING:
        raise AirflowException(f"Waiting for {what}: the trigger ended without an outcome: {detail}")
    raise AirflowFailException(f"{what} failed: {detail}")


class AsmBaseSensor(BaseSensorOperator):
    """Base of the ASM sensors: poke / reschedule / deferrable on one condition.

    :param asm_conn_id: the Airflow connection id.
    :param deferrable: wait in the triggerer instead of a worker slot (default from
        ``[operators] default_deferrable``). One immediate check runs first.
    """

    template_fields: tuple[str, ...] = ("asm_conn_id",)
    ui_color = "#0078d4"
    ui_fgcolor = "#ffffff"

    def __init__(
        self, *, asm_conn_id: str = "asm_default", deferrable: bool | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.asm_conn_id = asm_conn_id
        self.deferrable = default_deferrable() if deferrable is None else deferrable

    @cached_property
    def hook(self) -> ServiceManagementHook:
        """The connection hook (created on first use, in the worker)."""
        from airflow_sm_provider.hooks.service_management import ServiceManagementHook

        return ServiceManagementHook(asm_conn_id=self.asm_conn_id)

    # --- what a subclass provides -----------------------------------------------------------------
    @property
    @abstractmethod
    def target_ids(self) -> dict[str, Any]:
        """The ids of what is awaited (copied into the XCom value, as the trigger does)."""

    @property
    @abstractmethod
    def target_description(self) -> str:
        """Human words for what is awaited, e.g. ``operation <id>``."""

    @abstractmethod
    def check(self, client: ServiceManagementClient) -> PollResult:
        """One fetch (sync) judged by the shared condition."""

    @abstractmethod
    def make_trigger(self, deadline: float) -> AsmPollTrigger:
        """The trigger that continues the wait in the triggerer."""

    def validate_rendered(self) -> None:
        """Re-check arguments after templating (construction saw only the template)."""

    # --- modes ----------------------------------------------------------------------------------
    def poke(self, context: Context) -> bool | PokeReturnValue:
        """One check. Transient errors (throttling, exclusive access, 5xx) count as "not yet"."""
        from airflow.sdk import PokeReturnValue

        from airflow_sm_provider.client.retry import is_transient

        self.validate_rendered()
        try:
            result = self.check(self.hook.get_conn())
        except Exception as exc:
            if is_transient(exc):
                self.log.warning(
                    "Transient error while checking %s, will retry: %s", self.target_description, exc
                )
                return False
            raise
        self.log.info("%s", result.message)
        if not result.done:
            return False
        event = raise_for_event(event_from_result(result, self.target_ids), self.target_description)
        return PokeReturnValue(is_done=True, xcom_value=event)

    def execute(self, context: Context) -> Any:
        """Poke/reschedule via the base class; deferrable: check once, then defer."""
        if not self.deferrable:
            return super().execute(context)
        try:
            done = self.poke(context)
        except AirflowSkipException:
            raise
        except (AirflowSensorTimeout, AirflowFailException) as exc:
            self._skip_if_soft(exc)
            raise
        except Exception as exc:
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from exc
            raise
        if done:
            return getattr(done, "xcom_value", None)
        deadline = time.time() + self.timeout
        self.log.info(
            "Deferring: waiting for %s (check every %s s)", self.target_description, self.poke_interval
        )
        self.defer(
            trigger=self.make_trigger(deadline),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def _skip_if_soft(self, exc: Exception) -> None:
        if self.soft_fail:
            raise AirflowSkipException("Skipping due to soft_fail is set to True.") from exc
        if self.never_fail:
            raise AirflowSkipException("Skipping due to never_fail is set to True.") from exc

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the trigger: return the success event (the XCom) or raise with ASM's code.

        ``soft_fail`` / ``never_fail`` are applied by ``BaseSensorOperator.resume_execution``.
        """
        try:
            result = raise_for_event(event, self.target_description)
        except AsmWaitError as exc:  # not an AirflowException, so resume_execution won't skip it
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from exc
            raise
        self.log.info("%s", result.get("message", ""))
        return result

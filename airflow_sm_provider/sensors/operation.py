"""Sensor: wait for an asynchronous ASM operation to finish."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider._rendering import is_template, text
from airflow_sm_provider.operators._checks import invalid
from airflow_sm_provider.sensors._fields import AsmTypedSensor

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.polling import PollResult
    from airflow_sm_provider.triggers.operation import AsmOperationTrigger

__all__ = ["AsmOperationSensor"]


class AsmOperationSensor(AsmTypedSensor):
    """Wait until the ASM operation ``request_id`` has ``Succeeded``; fail with ASM's code if ``Failed``.

    Works in poke, reschedule and deferrable mode with the same verdicts. The XCom value is a dict
    with ``status``, ``message``, ``request_id``, ``operation_status`` and ``http_status_code``.

    :param request_id: the operation's request id (``x-ms-request-id``; templated), typically the
        XComArg ``create.output["request_id"]`` of an operator run with ``wait_for_completion=False``.
    :param asm_conn_id: the Airflow connection id.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    """

    template_fields: tuple[str, ...] = (*AsmTypedSensor.template_fields, "request_id")
    field_readers = {"request_id": text}

    def __init__(self, *, request_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.request_id = request_id
        if not is_template(request_id):  # an XComArg or a template is checked once rendered
            self.validate_rendered()

    def validate_rendered(self) -> None:
        """``request_id`` must be a non-empty string (None: the upstream task submitted nothing)."""
        if self.request_id is None:
            invalid(
                "request_id",
                "is None: the upstream task submitted no operation (it found the work already done, or "
                "it waited itself); wait on an operator run with wait_for_completion=False",
            )
        self.request_id = text("request_id", self.request_id)
        if not self.request_id.strip():
            invalid("request_id", "must be a non-empty request id (x-ms-request-id)")

    @property
    def target_ids(self) -> dict[str, Any]:
        """The request id."""
        return {"request_id": self.request_id}

    @property
    def target_description(self) -> str:
        """``operation <id>``."""
        return f"ASM operation {self.request_id}"

    def check(self, client: ServiceManagementClient) -> PollResult:
        """Get Operation Status, judged by the shared operation condition."""
        from airflow_sm_provider.client.polling import operation_condition

        return operation_condition(client.get_operation_status(self.request_id.strip()))

    def make_trigger(self, deadline: float) -> AsmOperationTrigger:
        """An operation trigger polling every ``poke_interval`` until ``deadline``."""
        from airflow_sm_provider.triggers.operation import AsmOperationTrigger

        return AsmOperationTrigger(
            self.request_id.strip(),
            asm_conn_id=self.asm_conn_id,
            deadline=deadline,
            poll_interval=float(self.poke_interval),
        )

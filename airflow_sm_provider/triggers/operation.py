"""Wait for an asynchronous ASM operation (by request id) to leave ``InProgress``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

from airflow_sm_provider.triggers.base import AsmPollTrigger, PollTriggerArgs

if TYPE_CHECKING:
    from airflow_sm_provider.client.aio import AsyncServiceManagementClient
    from airflow_sm_provider.client.polling import PollResult

__all__ = ["AsmOperationTrigger"]


class AsmOperationTrigger(AsmPollTrigger):
    """Poll Get Operation Status until the operation ``Succeeded`` (success) or ``Failed``.

    A ``Failed`` operation yields a ``failed`` event with ASM's ``error_code`` and message.

    :param request_id: the operation's id (``x-ms-request-id`` of the submitting call).
    :param asm_conn_id: the Airflow connection id.
    :param deadline: absolute epoch seconds; past it the event is ``timeout``.
    :param poll_interval: steady seconds between checks.
    :param what: the operation's kind and target for progress lines, e.g. ``swap deployments``.
    """

    def __init__(
        self,
        request_id: str,
        **wait: Unpack[PollTriggerArgs],
    ) -> None:
        super().__init__(**wait)
        self.request_id = request_id

    @property
    def serialized_fields(self) -> dict[str, Any]:
        """The operation's request id."""
        return {"request_id": self.request_id}

    def description(self) -> str:
        from airflow_sm_provider.client.polling import format_request_id

        return f"{self.what or 'ASM operation'} (request {format_request_id(self.request_id)})"

    async def fetch(self, client: AsyncServiceManagementClient) -> Any:
        """Get Operation Status."""
        return await client.get_operation_status(self.request_id)

    def condition(self, value: Any) -> PollResult:
        """The shared operation condition (same as sensors and ``OperationHandle.wait``)."""
        from airflow_sm_provider.client.polling import operation_condition

        return operation_condition(value)

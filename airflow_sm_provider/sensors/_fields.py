"""Typed, templatable arguments for the ASM sensors (the strict reading of ``_rendering``).

Sensors get their targets from upstream tasks (``request_id=create.output["request_id"]``), so
nothing may be checked while the DAG is parsed unless it is final: construction checks only final
values and :meth:`AsmTypedSensor.validate_rendered` checks the rest after rendering, before the
first request. ``poke_interval`` and ``timeout`` are templated too (durations, read strictly):
Airflow's ``BaseSensorOperator`` checks them at construction, so a template is handed to it as 0
and the real value is read once rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_sm_provider._rendering import TypedFields, duration, is_template, text
from airflow_sm_provider.sensors._base import AsmBaseSensor

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context

__all__ = ["AsmTypedSensor"]


class AsmTypedSensor(TypedFields, AsmBaseSensor):
    """An :class:`AsmBaseSensor` whose arguments are declared in ``field_readers`` and read strictly.

    :param poke_interval: seconds between two checks (templated; a number, ``"30s"``, ``"5m"``...).
    :param timeout: seconds before the sensor gives up (templated; same forms).
    """

    template_fields: tuple[str, ...] = ("asm_conn_id", "poke_interval", "timeout")
    field_readers = {
        "asm_conn_id": text,
        "poke_interval": duration(positive=False),
        "timeout": duration(positive=False),
    }

    def __init__(self, *, poke_interval: Any = 60, timeout: Any = None, **kwargs: Any) -> None:
        super().__init__(
            poke_interval=0 if is_template(poke_interval) else poke_interval,
            timeout=0 if is_template(timeout) else timeout,
            **kwargs,
        )
        if is_template(poke_interval):
            self.poke_interval = poke_interval
        if is_template(timeout):
            self.timeout = timeout

    def render_template_fields(self, context: Context, jinja_env: jinja2.Environment | None = None) -> None:
        """Render, read each argument strictly, then check the final values before any request."""
        super().render_template_fields(context, jinja_env)
        self.validate_rendered()

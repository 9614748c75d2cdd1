"""The one place that knows where Airflow keeps things (Airflow 3.3+).

Every other module imports Airflow symbols that moved between versions from here, so a future
move is a one-file change instead of ``if AIRFLOW_V_X`` checks spread through the provider.

``BaseTrigger`` and ``TriggerEvent`` live in Airflow core (``airflow.triggers.base``, ~40 ms to
import on top of ``airflow.sdk``), which only trigger modules need: they are resolved on first
access (PEP 562 ``__getattr__``; ``from airflow_sm_provider._compat import BaseTrigger`` works as
usual), so importing a sensor or hook for DAG parsing does not load them (issue 6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook, BaseSensorOperator, conf
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from airflow.sdk.log import amask_secret, mask_secret

if TYPE_CHECKING:
    from airflow.triggers.base import BaseTrigger, TriggerEvent

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "BaseHook",
    "BaseSensorOperator",
    "BaseTrigger",
    "TriggerEvent",
    "amask_secret",
    "conf",
    "default_deferrable",
    "mask_secret",
]


#: Names resolved on first access: name -> module that defines it.
_LAZY = {
    "BaseTrigger": "airflow.triggers.base",
    "TriggerEvent": "airflow.triggers.base",
}


def __getattr__(name: str) -> Any:
    """Import the lazily resolved names (``_LAZY``) on first use and cache them here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def default_deferrable() -> bool:
    """``[operators] default_deferrable``: the default of every ``deferrable`` argument."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)

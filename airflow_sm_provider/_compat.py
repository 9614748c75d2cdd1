"""The one place that knows where Airflow keeps things (Airflow 3.3+).

Every other module imports Airflow symbols that moved between versions from here, so a future
move is a one-file change instead of ``if AIRFLOW_V_X`` checks spread through the provider.
"""

from __future__ import annotations

from airflow.sdk import BaseHook, BaseSensorOperator
from airflow.sdk.configuration import conf
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from airflow.sdk.log import amask_secret, mask_secret
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


def default_deferrable() -> bool:
    """``[operators] default_deferrable``: the default of every ``deferrable`` argument."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)

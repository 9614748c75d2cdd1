"""Apache Airflow provider for the classic Azure Service Management (ASM) REST API.

Importing this package imports nothing from Airflow: ``airflow_sm_provider.client`` and
``airflow_sm_provider.emulator`` work without it.
"""

from __future__ import annotations

__version__ = "0.1.0"

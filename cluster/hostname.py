"""``[core] hostname_callable`` for the cluster: each component reports its own name.

Every process of ``make cluster`` runs on one machine, so Airflow's default (the FQDN) is the same
for both triggerers and both workers; the fault tests need to know WHICH triggerer holds a trigger
(``job.hostname``) and WHICH worker runs a task (``task_instance.hostname``). The stack sets
``ASM_CLUSTER_COMPONENT`` per process (``triggerer-1``, ``worker-2``, ...).
"""

from __future__ import annotations

import os
import socket


def component_name() -> str:
    """The component's name, or the FQDN outside the cluster."""
    return os.environ.get("ASM_CLUSTER_COMPONENT") or socket.getfqdn()

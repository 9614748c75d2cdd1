"""Helpers shared by the blue-green and example-DAG tests (no tests here).

The example DAGs are loaded from ``example_dags/`` exactly as Airflow would import them, once per
session; runs shorten their ``poll_interval`` param for the fast emulator. Resources are
created straight through the client so each test starts from a known slot layout.
"""

from __future__ import annotations

import importlib.util
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from harness import run_dag, task_states, xcom_value

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
CONFIG = EXAMPLES / "config"
PACKAGE = "https://teststore.blob.core.windows.net/packages/app-{v}.cspkg"
POLL = 0.1


@cache
def example_module(module: str) -> Any:
    """Import ``example_dags/<module>.py`` once and return the module."""
    spec = importlib.util.spec_from_file_location(f"example_{module}", EXAMPLES / f"{module}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def example_dag(module: str, dag_id: str) -> Any:
    """The DAG of ``example_dags/<module>.py``."""
    dag = example_module(module).dag
    assert dag.dag_id == dag_id
    return dag


def ensure_pool() -> None:
    from airflow.models.pool import Pool

    Pool.create_or_update_pool("asm_blue_green", 1, "tests", include_deferred=False)


def make_client(endpoint: dict[str, Any]) -> Any:
    from airflow_sm_provider.client import ServiceManagementClient

    return ServiceManagementClient(
        endpoint["subscription_id"], endpoint["client_pem"], endpoint["host"], ca_bundle=endpoint["ca_cert"]
    )


def new_service(client: Any, prefix: str = "bg", **props: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    client.create_hosted_service(
        name, name, "test", location="West Europe", extended_properties=props or None
    ).wait(timeout=60, poll_interval=0.05)
    return name


def deploy(
    client: Any, service: str, slot: str, name: str, cscfg: str = "v1.cscfg", *, config: str | None = None
) -> None:
    """Create a started deployment in ``slot`` and wait until it is ready (bypassing Airflow);
    ``config``: the .cscfg text instead of the file ``cscfg``."""
    from airflow_sm_provider.client.polling import Probe, Schedule, deployment_ready_condition, run_sync

    config = config if config is not None else (CONFIG / cscfg).read_text()
    client.create_deployment(
        service, slot, name, PACKAGE.format(v=name), name, config, start_deployment=True
    ).wait(timeout=60, poll_interval=0.05)
    import time

    result = run_sync(
        Probe("ready", deployment_ready_condition, lambda: client.get_deployment_by_name(service, name)),
        deadline=time.time() + 60,
        schedule=Schedule(0.05),
    )
    assert result.ok, result.message


def two_slots(client: Any, staging_cscfg: str = "v2.cscfg") -> str:
    """A new service with production v1 and staging v2 (ready): the layout before a swap."""
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(client, service, "staging", "v2", staging_cscfg)
    return service


def slots(client: Any, service: str) -> dict[str, str | None]:
    from airflow_sm_provider.client.errors import NotFoundError

    out: dict[str, str | None] = {}
    for slot in ("production", "staging"):
        try:
            out[slot] = client.get_deployment_by_slot(service, slot).name
        except NotFoundError:
            out[slot] = None
    return out


def release(service: str, version: str, cscfg: str, **conf: Any) -> tuple[Any, dict[str, Any] | None]:
    """Run ``blue_green_release`` once; return (dag run, swap report)."""
    dag = example_dag("blue_green_release", "blue_green_release")
    run_conf = {
        "service_name": service,
        "package_url": PACKAGE.format(v=version),
        "cscfg": cscfg,
        "deployment_name": version,
        "bake_seconds": 0,
        "keep_previous": False,
        "poll_interval": POLL,
        **conf,
    }
    dr = run_dag(dag, run_conf=run_conf)
    return dr, xcom_value(dr, "guarded_swap", "swap_report")


def check_names(report: dict[str, Any]) -> dict[str, bool]:
    return {c["name"]: c["ok"] for c in report["checks"]}


__all__ = [
    "CONFIG",
    "check_names",
    "deploy",
    "ensure_pool",
    "example_dag",
    "example_module",
    "make_client",
    "new_service",
    "release",
    "slots",
    "task_states",
    "two_slots",
]

"""The example DAGs on the cluster: runs triggered through the REST API, watched until they end.

Conf is built from the params the dag-processor parsed out of the DAG files (``/dags/{id}/details``),
overriding only the names this scenario must choose (the cloud service, the deployment, the
``.cscfg``, a short bake); an override naming a param the DAG no longer has is an error here, not a
silently ignored key. ``Watch`` records every task state seen and which triggerer held each trigger.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cluster.api import AirflowApi

TERMINAL = {"success", "failed"}


#: The emulator accepts any package URL; the DAG requires one (an https blob URL).
PACKAGE_URL = "https://clusterstore.blob.core.windows.net/packages/app-{version}.cspkg"


def conf_for(api: AirflowApi, dag_id: str, **overrides: Any) -> dict[str, Any]:
    """The DAG's own param defaults with ``overrides`` (each must be a param of the DAG)."""
    params = api.dag_params(dag_id)
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise KeyError(f"{dag_id} has no params {unknown}; it has {sorted(params)}")
    return {**params, **overrides}


@dataclass
class Watch:
    """What was seen of one DAG run while it ran."""

    dag_id: str
    run_id: str
    state: str = "queued"
    seconds: float = 0.0
    seen: set[tuple[str, str]] = field(default_factory=set)  # (task_id, state)
    holders: dict[str, set[str]] = field(default_factory=dict)  # task_id -> triggerer hostnames
    workers: dict[str, set[str]] = field(default_factory=dict)  # task_id -> worker hostnames
    tis: list[dict[str, Any]] = field(default_factory=list)

    @property
    def deferred(self) -> set[str]:
        return {t for t, s in self.seen if s == "deferred"}

    def states(self) -> dict[str, str]:
        return {f"{ti['task_id']}[{ti.get('map_index', -1)}]": str(ti["state"]) for ti in self.tis}

    def update(self, api: AirflowApi) -> None:
        self.state = api.run_state(self.dag_id, self.run_id)
        self.tis = api.task_instances(self.dag_id, self.run_id)
        for ti in self.tis:
            self.seen.add((ti["task_id"], str(ti["state"])))
            job = ti.get("triggerer_job") or {}
            if job.get("hostname"):
                self.holders.setdefault(ti["task_id"], set()).add(str(job["hostname"]))
            if ti.get("hostname"):
                self.workers.setdefault(ti["task_id"], set()).add(str(ti["hostname"]))


def run_dag(
    api: AirflowApi,
    dag_id: str,
    run_id: str,
    conf: dict[str, Any],
    *,
    timeout: float = 600,
    tick: Callable[[Watch], None] | None = None,
    interval: float = 0.5,
) -> Watch:
    """Trigger ``dag_id`` and poll until the run ends (or ``timeout``); ``tick`` runs each poll."""
    api.unpause(dag_id)
    t0 = time.monotonic()
    api.trigger(dag_id, run_id, conf)
    watch = Watch(dag_id, run_id)
    while True:
        watch.update(api)
        watch.seconds = time.monotonic() - t0
        if watch.state in TERMINAL:
            return watch
        if watch.seconds > timeout:
            raise TimeoutError(
                f"{dag_id}/{run_id} still {watch.state} after {timeout:.0f} s: {watch.states()}"
            )
        if tick is not None:
            tick(watch)
        time.sleep(interval)


# --- the scenario's steps (shared by ``python -m cluster`` and tests/cluster) --------------------------
def client_for(endpoint: dict[str, Any]) -> Any:
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.compat import endpoint_kwargs

    return ServiceManagementClient(**endpoint_kwargs(endpoint))


def create_service(endpoint: dict[str, Any], name: str, properties: dict[str, str] | None = None) -> None:
    with client_for(endpoint) as client:
        client.create_hosted_service(
            name, name, "make cluster", location="West Europe", extended_properties=properties
        ).wait(timeout=120, poll_interval=0.2)


def deploy_live(endpoint: dict[str, Any], name: str, cscfg_text: str, label: str) -> None:
    """A running production deployment ``live`` of ``cscfg_text`` (the rolling upgrade's starting point)."""
    from airflow_sm_provider.client.polling import Probe, Schedule, deployment_ready_condition, run_sync

    with client_for(endpoint) as client:
        client.create_deployment(
            name,
            "production",
            "live",
            PACKAGE_URL.format(version=label),
            label,
            cscfg_text,
            start_deployment=True,
        ).wait(timeout=120, poll_interval=0.2)
        probe = Probe(
            f"{name}/live ready",
            deployment_ready_condition,
            lambda: client.get_deployment_by_name(name, "live"),
        )
        result = run_sync(probe, deadline=time.time() + 120, schedule=Schedule(0.5))
        if not result.ok:
            raise RuntimeError(f"{name}/live never became ready: {result.message}")


def slots(endpoint: dict[str, Any], service: str) -> dict[str, str | None]:
    """``{"production": name or None, "staging": name or None}`` read straight from the emulator."""
    from airflow_sm_provider.client.errors import NotFoundError

    out: dict[str, str | None] = {}
    with client_for(endpoint) as client:
        for slot in ("production", "staging"):
            try:
                out[slot] = str(client.get_deployment_by_slot(service, slot).name)
            except NotFoundError:
                out[slot] = None
    return out


def service_names(endpoint: dict[str, Any]) -> set[str]:
    with client_for(endpoint) as client:
        return {str(hs.service_name) for hs in client.list_hosted_services()}


def release(
    api: AirflowApi,
    service: str,
    version: str,
    cscfg: str,
    *,
    run_id: str | None = None,
    bake_seconds: int = 2,
    poll_interval: float = 1.0,
    tick: Callable[[Watch], None] | None = None,
    timeout: float = 600,
) -> Watch:
    """One ``blue_green_release`` run shipping ``version`` into ``service``."""
    conf = conf_for(
        api,
        "blue_green_release",
        service_name=service,
        deployment_name=version,
        cscfg=cscfg,
        package_url=PACKAGE_URL.format(version=version),
        bake_seconds=bake_seconds,
        poll_interval=poll_interval,
    )
    return run_dag(
        api, "blue_green_release", run_id or f"{service}-{version}", conf, timeout=timeout, tick=tick
    )

"""The two HTTP APIs the driver and the fault tests use: Airflow's REST API and the emulator's admin API.

Airflow: the api-server runs with the simple auth manager in all-admins mode, bound to 127.0.0.1,
so no login is needed. The driver never imports Airflow: it talks to the cluster as a user would.

Emulator admin: ``GET /__admin__/state`` (resources and every accepted operation, by kind), the
fault rules and ``GET /__admin__/stats`` (request and 429 counters), through the emulator's own
``admin_session`` (its CA and the admin token header of endpoint.json).
"""

from __future__ import annotations

import time
from typing import Any

import requests

from airflow_sm_provider.emulator.sessions import admin_call


class AirflowApi:
    """``/api/v2`` of the cluster's api-server."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v2"
        self.session = requests.Session()
        self.session.trust_env = False

    def get(self, path: str, **params: Any) -> Any:
        resp = self.session.get(self.base + path, params=params or None, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def send(self, method: str, path: str, body: Any) -> Any:
        resp = self.session.request(method, self.base + path, json=body, timeout=30)
        if resp.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text[:1000]}")
        return resp.json() if resp.content else None

    def ready(self) -> bool:
        try:
            return self.session.get(self.base + "/monitor/health", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def health(self) -> dict[str, Any]:
        return dict(self.get("/monitor/health"))

    def dag_params(self, dag_id: str) -> dict[str, Any]:
        """The DAG's params as parsed by the dag-processor: ``{name: default value}``."""
        raw = self.get(f"/dags/{dag_id}/details").get("params") or {}
        return {k: (v.get("value") if isinstance(v, dict) else v) for k, v in raw.items()}

    def wait_for_dag(self, dag_id: str, timeout: float, check: Any = None) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.get(f"/dags/{dag_id}")
                return
            except requests.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the dag-processor did not parse {dag_id} within {timeout:.0f} s")
            if check is not None:
                check()
            time.sleep(1)

    def unpause(self, dag_id: str) -> None:
        self.send("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def set_pool(self, name: str, slots: int, description: str) -> None:
        body = {"name": name, "slots": slots, "description": description, "include_deferred": False}
        try:
            self.send("POST", "/pools", body)
        except RuntimeError:
            self.send("PATCH", f"/pools/{name}", body)

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any]) -> None:
        self.send(
            "POST", f"/dags/{dag_id}/dagRuns", {"dag_run_id": run_id, "logical_date": None, "conf": conf}
        )

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"])

    def triggerers(self) -> list[dict[str, Any]]:
        """Live triggerer jobs (``hostname`` = the component name, see cluster/hostname.py)."""
        jobs = self.get("/jobs", job_type="TriggererJob", is_alive=True, limit=100)["jobs"]
        return list(jobs)


class EmulatorAdmin:
    """The emulator's admin API (JSON over its TLS port)."""

    def __init__(self, endpoint: dict[str, Any]) -> None:
        self.endpoint = endpoint

    def call(self, method: str, what: str, body: Any = None) -> Any:
        return admin_call(self.endpoint, method, what, body)

    def state(self) -> dict[str, Any]:
        return dict(self.call("GET", "state"))

    def operations(self, kind: str) -> list[dict[str, Any]]:
        """Accepted operations of ``kind`` (the emulator's route name, e.g. ``swap_deployment``)."""
        return [op for op in self.state()["operations"] if op["kind"] == kind]

    def stats(self) -> dict[str, Any]:
        """``GET /__admin__/stats``: requests, throttled (429 answers), by_operation."""
        return dict(self.call("GET", "stats"))

    def add_fault(self, rule: dict[str, Any]) -> int:
        return int(self.call("POST", "faults", rule)["added"][0]["id"])

    def clear_faults(self) -> None:
        self.call("DELETE", "faults")

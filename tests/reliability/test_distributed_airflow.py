"""A real Airflow on one machine: scheduler, dag-processor, triggerer and api-server as separate
processes with LocalExecutor run ``blue_green_release`` with deferrable waits through the real
triggerer (not ``dag.test()``'s inline trigger runner).

Own temp AIRFLOW_HOME and SQLite DB (Airflow 3.3 runs LocalExecutor on SQLite; parallelism 1), the
emulator as a child process, the connection as ``AIRFLOW_CONN_ASM_DEFAULT`` in every process, and
``[operators] default_deferrable = True``. The test triggers the DAG with ``airflow dags trigger``,
watches the metadata DB (plain sqlite3: this process keeps its own Airflow configuration), and
asserts the run succeeded, the waits were DEFERRED while the triggerer ran them, and production
holds the new deployment. Every process it starts is stopped (SIGTERM, then SIGKILL) at the end.

Marked ``slow``: starting four Airflow processes takes minutes on a shared 2-core machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.testing import connection_env

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, *args: str, timeout: float = 300) -> str:
        proc = subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        assert proc.returncode == 0, f"airflow {' '.join(args)}: {proc.stdout[-2000:]} {proc.stderr[-3000:]}"
        return proc.stdout

    def start(self, name: str, *args: str) -> None:
        with (self.home / f"{name}.out").open("wb") as out:
            self.procs[name] = subprocess.Popen(
                [AIRFLOW, *args], env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self, name: str) -> str:
        path = self.home / f"{name}.out"
        return path.read_text(errors="replace") if path.exists() else ""

    def alive(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is None]

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        end = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(15)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"file:{self.home / 'airflow.db'}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return []
        finally:
            con.close()

    def watch_release(
        self, run_id: str, timeout: float, interval: float, tick: Callable[[list[tuple[Any, ...]]], None]
    ) -> str | None:
        """Poll the ``blue_green_release`` run ``run_id`` until it ends; its last state (None: no run).

        Each poll hands ``tick`` the run's ``(task_id, state)`` rows first; a component that died
        fails the test at once, with its output."""
        state = None
        deadline = time.monotonic() + timeout
        where = f"dag_id='blue_green_release' AND run_id='{run_id}'"
        while time.monotonic() < deadline:
            tick(self.query(f"SELECT task_id, state FROM task_instance WHERE {where}"))
            rows = self.query(f"SELECT state FROM dag_run WHERE {where}")
            state = rows[0][0] if rows else None
            if state in ("success", "failed"):
                break
            dead = set(self.procs) - set(self.alive())
            assert not dead, f"{dead} died: " + "".join(self.output(n)[-2000:] for n in dead)
            time.sleep(interval)
        return state


@pytest.fixture
def cluster(tmp_path: Path, asm_emulator_factory: Any) -> Iterator[tuple[Cluster, dict[str, Any]]]:
    emu = asm_emulator_factory(subprocess=True, speed=10)
    ep = dict(emu.endpoint)
    home = tmp_path / "airflow"
    dags = home / "dags"
    dags.mkdir(parents=True)
    # The example as shipped (triggered only: unpausing starts no second release), with its config.
    shutil.copy(ROOT / "example_dags" / "blue_green_release.py", dags / "blue_green_release.py")
    shutil.copytree(ROOT / "example_dags" / "config", dags / "config")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ASM_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "1",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(16).hex(),
            "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            # Airflow 3.3's task supervisor can miss a task process's exit and then sleep in select()
            # on no sockets for this long (default 5 s); a workload that deferred then reports its
            # stale "success" after the resumed attempt started, and the scheduler fails that attempt
            # (docs/reliability.md, defect 5). 1 s narrows that window; it asserts nothing less.
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
            **connection_env("asm_default", ep),
        }
    )
    c = Cluster(home, env)
    try:
        c.run("db", "migrate")
        c.run("pools", "set", "asm_blue_green", "1", "one ASM writer")
        c.start("api-server", "api-server", "--port", str(port))
        c.start("dag-processor", "dag-processor")
        c.start("scheduler", "scheduler")
        c.start("triggerer", "triggerer")
        yield c, ep
    finally:
        c.stop()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_release_dag_defers_through_the_real_triggerer(cluster: tuple[Cluster, dict[str, Any]]) -> None:
    c, ep = cluster
    from conftest import client_for

    service = "dist-" + os.urandom(4).hex()
    with client_for(ep) as client:
        client.create_hosted_service(service, "l", location="West Europe").wait(timeout=60, poll_interval=0.1)

    deadline = time.monotonic() + 300
    while not c.query("SELECT dag_id FROM dag WHERE dag_id = 'blue_green_release'"):
        assert time.monotonic() < deadline, (
            "the dag-processor never parsed the DAG: " + c.output("dag-processor")[-3000:]
        )
        assert not set(c.procs) - set(c.alive()), f"died: {set(c.procs) - set(c.alive())}"
        time.sleep(1)
    conf = {
        "service_name": service,
        "package_url": "https://teststore.blob.core.windows.net/packages/app-v1.cspkg",
        "deployment_name": "v1",
        "cscfg": "v1.cscfg",
        "bake_seconds": 0,
        "poll_interval": 1,
    }
    c.run("dags", "unpause", "blue_green_release")
    c.run("dags", "trigger", "blue_green_release", "--conf", json.dumps(conf), "--run-id", "dist_run")

    seen: set[tuple[str, str]] = set()
    state = c.watch_release("dist_run", 480, 0.3, lambda rows: seen.update((t, str(s)) for t, s in rows))
    tis = dict(
        c.query(
            "SELECT task_id, state FROM task_instance WHERE dag_id='blue_green_release' AND run_id='dist_run'"
        )
    )
    assert state == "success", (state, tis, c.output("scheduler")[-3000:])
    deferred = {t for t, s in seen if s == "deferred"}
    # deploy_to_staging only sends (wait_for_completion=False); wait_deployed waits on its request id.
    assert {"wait_deployed", "guarded_swap"} <= deferred, seen
    # The triggerer process (not the worker) ran the wait: its per-trigger log says it fired.
    logs = c.home / "logs" / "dag_id=blue_green_release" / "run_id=dist_run"
    task_log = (logs / "task_id=wait_deployed" / "attempt=1.log").read_text()
    assert "Pausing task as DEFERRED" in task_log, task_log[-2000:]
    trigger_logs = list((logs / "task_id=wait_deployed").glob("attempt=1.log.trigger.*.log"))
    assert trigger_logs, sorted(p.name for p in (logs / "task_id=wait_deployed").iterdir())
    fired = "".join(p.read_text() for p in trigger_logs)
    assert "Trigger fired event" in fired and "'status': 'success'" in fired, fired[-2000:]
    # Real task log files: no error records, no traceback, no key material.
    from relkit import find_secrets, private_key_needles, read_texts

    texts = read_texts(logs)
    assert texts
    for where, text in texts:
        assert '"level":"error"' not in text and "Traceback" not in text, (where, text[-2000:])
    assert not find_secrets(texts, private_key_needles(Path(ep["client_pem"]).read_bytes()))
    with client_for(ep) as client:
        assert client.get_deployment_by_slot(service, "production").name == "v1"

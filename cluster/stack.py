"""Bring the cluster up and tear it down: :class:`Stack` (a context manager).

Order: PostgreSQL, Redis and the emulator; ``airflow db migrate``; then api-server, dag-processor,
scheduler, two triggerers and two Celery workers at once; then the pool through the REST API.
Teardown (always, also on Ctrl-C and on failure): Airflow components, emulator, Redis, PostgreSQL,
then the work directory (keys, logs, data), and a check that no process of any group survived.

Every Airflow process gets the same configuration from the environment (nothing of the caller's
``AIRFLOW_*`` leaks in) plus its own ``ASM_CLUSTER_COMPONENT`` name (see ``cluster/hostname.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from airflow_sm_provider._processes import free_port
from airflow_sm_provider.emulator.env import connection_json
from cluster.api import AirflowApi, EmulatorAdmin
from cluster.postgres import Postgres
from cluster.procs import Proc, stop_all, wait_for_port
from cluster.services import EmulatorService, redis_proc

ROOT = Path(__file__).resolve().parent.parent
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
EXAMPLE_DAGS = ROOT / "example_dags"
POOL = "asm_blue_green"
TRIGGERERS = ("triggerer-1", "triggerer-2")
WORKERS = ("worker-1", "worker-2")


def unscheduled(source: str, name: str) -> str:
    """The DAG file as shipped except ``schedule=None``: unpausing must not start a scheduled run."""
    new, n = re.subn(r"\bschedule=[^\n]*?,\n", "schedule=None,\n", source, count=1)
    if n != 1:
        raise ValueError(f"{name}: no single 'schedule=...,' line to replace")
    return new


class Stack:
    """The whole cluster. ``with Stack() as s:`` -- ``s.api``, ``s.emulator``, ``s.pg``, ``s.procs``."""

    def __init__(
        self,
        *,
        speed: float = 10.0,
        poll_interval: float = 1.0,
        rate_limit: float | None = None,
        extra_dags: Iterable[Path] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.speed = speed
        self.poll_interval = poll_interval
        self.rate_limit = rate_limit
        self.extra_dags = list(extra_dags)
        self.extra_env = dict(env or {})
        self.work = Path(tempfile.mkdtemp(prefix="asm-cluster-"))
        os.chmod(self.work, 0o700)
        (self.work / "logs").mkdir()
        self.procs: dict[str, Proc] = {}
        self.pg: Postgres | None = None
        self.emulator: EmulatorService | None = None
        self.api_port = free_port()
        self.api = AirflowApi(self.api_port)
        self.timings: dict[str, float] = {}
        self.killed: set[str] = set()  # components stopped on purpose (fault tests)
        self.restarts: dict[str, int] = {}  # components restarted by supervise()

    # --- bring-up -----------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.down()

    def _lap(self, name: str, t0: float) -> float:
        self.timings[name] = time.monotonic() - t0
        return time.monotonic()

    def up(self) -> None:
        t0 = start = time.monotonic()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ASM_"))}
        self.pg = Postgres()
        self.pg.init()
        self.pg.start()
        self.pg.create_database()
        t0 = self._lap("postgres", t0)
        redis, redis_port, broker = redis_proc(self.work, base)
        self.procs["redis"] = redis
        redis.start()
        wait_for_port(redis_port, 30, redis)
        t0 = self._lap("redis", t0)
        self.emulator = EmulatorService(self.work, base, self.speed, self.rate_limit)
        self.procs["emulator"] = self.emulator.proc
        endpoint = self.emulator.start()
        t0 = self._lap("emulator", t0)
        self.env = self._airflow_env(base, broker, endpoint)
        self._dags_folder()
        self.airflow("db", "migrate", timeout=300)
        t0 = self._lap("db migrate", t0)
        for name, argv in self._components():
            env = {**self.env, "ASM_CLUSTER_COMPONENT": name}
            env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(free_port())
            env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(free_port())
            self.procs[name] = Proc(name, [AIRFLOW, *argv], env, self.work / "logs")
            self.procs[name].start()
        deadline = time.monotonic() + 240
        while not self.api.ready():
            self.check()
            if time.monotonic() > deadline:
                raise TimeoutError("api-server not healthy after 240 s:\n" + self.procs["api-server"].tail())
            time.sleep(1)
        self.api.set_pool(POOL, 1, "one ASM writer at a time")
        self.wait_healthy(240)
        self._lap("airflow components", t0)
        self.timings["bring-up total"] = time.monotonic() - start

    def _airflow_env(self, base: dict[str, str], broker: str, endpoint: dict[str, Any]) -> dict[str, str]:
        assert self.pg is not None
        home = self.work / "airflow"
        home.mkdir()
        env = {
            **base,
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), base.get("PYTHONPATH", "")) if p),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "cluster.hostname.component_name",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.pg.url,
            "AIRFLOW__CELERY__BROKER_URL": broker,
            # db+postgresql:// would pick psycopg 3 under SQLAlchemy 2.1 (gotchas.md, Celery section).
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + self.pg.url,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(16).hex(),
            "AIRFLOW__API__SECRET_KEY": os.urandom(16).hex(),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            # A task whose worker died is failed (and retried) after this long instead of 300 s.
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
            "AIRFLOW_CONN_ASM_DEFAULT": connection_json(endpoint),
            "ASM_EXAMPLE_POLL_INTERVAL": str(self.poll_interval),
            "ASM_EXAMPLE_CONFIG_DIR": str(EXAMPLE_DAGS / "config"),
        }
        env.update(self.extra_env)
        return env

    def _dags_folder(self) -> None:
        dags = self.work / "airflow" / "dags"
        shutil.copytree(EXAMPLE_DAGS / "config", dags / "config")
        for path in sorted(EXAMPLE_DAGS.glob("*.py")):
            (dags / path.name).write_text(unscheduled(path.read_text(), path.name))
        for path in self.extra_dags:
            shutil.copy(path, dags / path.name)

    def _components(self) -> list[tuple[str, list[str]]]:
        out: list[tuple[str, list[str]]] = [
            ("api-server", ["api-server", "--port", str(self.api_port), "--host", "127.0.0.1"]),
            ("dag-processor", ["dag-processor"]),
            ("scheduler", ["scheduler"]),
        ]
        for name in TRIGGERERS:
            out.append((name, ["triggerer", "--skip-serve-logs", "--pid", str(self.work / f"{name}.pid")]))
        for name in WORKERS:
            out.append(
                (
                    name,
                    ["celery", "worker", "-H", f"{name}@%h", "-c", "2", "--skip-serve-logs",
                     "--pid", str(self.work / f"{name}.pid"), "--without-mingle", "--without-gossip"],
                )
            )  # fmt: skip
        return out

    # --- while running ----------------------------------------------------------------------------
    def airflow(self, *args: str, timeout: float = 120) -> str:
        out = subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if out.returncode:
            raise RuntimeError(f"airflow {' '.join(args)}: {out.stdout[-2000:]} {out.stderr[-3000:]}")
        return out.stdout

    def check(self) -> None:
        """Raise if a component died that no test stopped on purpose."""
        dead = [n for n, p in self.procs.items() if n not in self.killed and not p.alive()]
        if dead:
            raise RuntimeError(
                f"died: {dead}\n" + "\n".join(f"--- {n}\n{self.procs[n].tail()}" for n in dead)
            )

    def supervise(self, min_uptime: float = 3.0) -> list[str]:
        """Restart Airflow components that died, as systemd ``Restart=always`` or Kubernetes would.

        Airflow's scheduler, dag-processor and triggerer EXIT when the metadata database goes away
        (measured: tests/cluster, docs/cluster.md); production runs them under such a supervisor.
        A component is restarted at most once per ``min_uptime`` seconds. Returns the names restarted.
        """
        restarted = []
        for name, proc in self.procs.items():
            if name in self.killed or name in ("emulator", "redis") or proc.alive():
                continue
            if time.monotonic() - proc.started_at >= min_uptime:
                proc.start()
                self.restarts[name] = self.restarts.get(name, 0) + 1
                restarted.append(name)
        return restarted

    def wait_healthy(self, timeout: float) -> None:
        """Until the scheduler, the dag-processor and both triggerers have heartbeated."""
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            try:
                health = self.api.health()
                alive = len(self.api.triggerers())
            except Exception:
                health, alive = {}, 0
            parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
            if all(health.get(k, {}).get("status") == "healthy" for k in parts) and alive >= len(TRIGGERERS):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"cluster not healthy after {timeout:.0f} s: {health}, {alive} triggerers")
            time.sleep(1)

    def admin(self) -> EmulatorAdmin:
        assert self.emulator is not None
        return EmulatorAdmin(self.emulator.endpoint)

    def kill9(self, name: str) -> None:
        self.killed.add(name)
        self.procs[name].kill9()

    def restart(self, name: str) -> None:
        self.procs[name].start()
        self.killed.discard(name)

    # --- teardown -------------------------------------------------------------------------------
    def down(self) -> list[str]:
        """Stop everything, delete the work and data directories; returns what survived (should be [])."""
        order = ["api-server", "scheduler", "dag-processor", *TRIGGERERS, *WORKERS]
        stop_all([self.procs[n] for n in order if n in self.procs])
        stop_all([self.procs[n] for n in ("emulator", "redis") if n in self.procs], grace=10)
        if self.pg is not None:
            self.pg.destroy()
        shutil.rmtree(self.work, ignore_errors=True)
        return self.leftovers()

    def leftovers(self) -> list[str]:
        """Processes of any component's group still alive, and directories still on disk."""
        left = []
        for name, proc in self.procs.items():
            if proc.popen is None:
                continue
            try:
                os.killpg(proc.popen.pid, 0)
                left.append(f"process group of {name}")
            except (ProcessLookupError, PermissionError):
                pass
        if self.pg is not None and self.pg.root.exists():
            left.append(str(self.pg.root))
        if self.work.exists():
            left.append(str(self.work))
        return left

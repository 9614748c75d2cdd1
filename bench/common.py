"""Shared helpers: statistics, machine facts, the emulator as a subprocess, client factories."""

from __future__ import annotations

import json
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_sm_provider._processes import emulator_command

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Section:
    """One numbered measurement of the report: a markdown body plus headline numbers."""

    title: str
    body: list[str] = field(default_factory=list)
    summary: list[tuple[str, str, str]] = field(default_factory=list)  # (what, value, goal verdict)

    def add(self, *lines: str) -> None:
        self.body.extend(lines)


def med_range(values: Sequence[float], fmt: str = "{:.3f}") -> str:
    """``median (min-max)`` of ``values``."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation); 0.0 for an empty list."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), children excluded."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "CPU": cpu,
        "cores (os.cpu_count)": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "Python": sys.version.split()[0],
        "OS": f"{platform.system()} {platform.release()} ({platform.libc_ver()[0]} {platform.libc_ver()[1]})",
        "OpenSSL": __import__("ssl").OPENSSL_VERSION,
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


class EmulatorProc:
    """``python -m airflow_sm_provider.emulator`` as a child process (its CPU time is readable apart)."""

    def __init__(self, state_dir: Path, speed: float, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            emulator_command(state_dir, "--speed", str(speed)),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else ""
        if not line.strip():
            self.stop()
            raise RuntimeError("the emulator did not print its endpoint within 60 s")
        self.endpoint: dict[str, str] = json.loads(line)
        self.pid = self.proc.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def __enter__(self) -> EmulatorProc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Sections 1-3 and 5 measure the client's own cost and the event loop, not throttling: the request
# budget (client/budget.py, 20/s by default) is set so high that it never makes a call wait, but
# every call still takes its token (the code path is measured). The fleet section measures with it.
BENCH_REQUESTS_PER_SECOND = 1e6


def our_client(ep: dict[str, str]) -> Any:
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.budget import configure_budget
    from airflow_sm_provider.client.compat import endpoint_kwargs

    configure_budget(ep["host"], ep["subscription_id"], BENCH_REQUESTS_PER_SECOND)
    return ServiceManagementClient(**endpoint_kwargs(ep))


def legacy_client(ep: dict[str, str]) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from azure.servicemanagement import ServiceManagementService

    from airflow_sm_provider.emulator.sessions import legacy_session

    return ServiceManagementService(
        ep["subscription_id"], host=ep["host"], request_session=legacy_session(ep)
    )


def floor_session(ep: dict[str, str]) -> Any:
    """The old SDK's session with ``x-ms-version`` set: raw requests, the floor of a call's cost."""
    from airflow_sm_provider.emulator.sessions import legacy_session

    session = legacy_session(ep)
    session.headers["x-ms-version"] = "2014-10-01"
    return session


def conn_json(ep: dict[str, Any], rps: float | None = BENCH_REQUESTS_PER_SECOND) -> str:
    """``AIRFLOW_CONN_ASM_DEFAULT`` for the emulator; ``rps``: the client's own request budget (None:
    the client default)."""
    from airflow_sm_provider.emulator.env import connection_json

    return connection_json(ep, **({} if rps is None else {"requests_per_second": rps}))


def cscfg(roles: int, per_role: int, health: str = "healthy") -> str:
    body = "".join(
        f'<Role name="Role{r}"><Instances count="{per_role}" /><ConfigurationSettings>'
        f'<Setting name="Emulator.Health" value="{health}" /></ConfigurationSettings></Role>'
        for r in range(roles)
    )
    return (
        '<ServiceConfiguration serviceName="bench" osFamily="6" osVersion="*" '
        'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
        f"{body}</ServiceConfiguration>"
    )


def make_service(client: Any, service: str, roles: int, per_role: int) -> str:
    """A hosted service with a started production deployment; returns the create request id."""
    client.create_hosted_service(service, service, "bench", location="West Europe").wait(
        timeout=120, poll_interval=0.05
    )
    handle = client.create_deployment(
        service,
        "production",
        f"{service}-d",
        "https://benchstore.blob.core.windows.net/p/app.cspkg",
        "bench",
        cscfg(roles, per_role),
        start_deployment=True,
    )
    handle.wait(timeout=120, poll_interval=0.05)
    return str(handle.request_id)


def now() -> float:
    return time.time()

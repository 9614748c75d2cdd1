"""Redis (the Celery broker) and the ASM emulator as restartable child processes.

Redis: Debian's ``redis-server`` on 127.0.0.1, a random password, no persistence (``save ""``).
The emulator: ``python -m airflow_sm_provider.emulator`` on a FIXED port chosen once, with its
state in a directory, so ``kill -9`` and a restart on the same directory and port look to the
provider like an endpoint that went away and came back (same certificates, same operations).
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from airflow_sm_provider._processes import emulator_command, free_port
from cluster.procs import Proc, wait_for_port


def redis_proc(work: Path, env: dict[str, str]) -> tuple[Proc, int, str]:
    """The Redis component, its port and its broker URL (``redis://:password@127.0.0.1:port/0``)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: apt-get install -y redis-server (.ci/run does it)")
    port, password = free_port(), secrets.token_hex(16)
    (work / "redis").mkdir()
    argv = [
        binary, "--port", str(port), "--bind", "127.0.0.1", "--requirepass", password,
        "--save", "", "--appendonly", "no", "--dir", str(work / "redis"), "--protected-mode", "yes",
    ]  # fmt: skip
    return Proc("redis", argv, env, work / "logs"), port, f"redis://:{password}@127.0.0.1:{port}/0"


class EmulatorService:
    """The emulator as a child: ``start()``, ``kill9()``, ``restart()`` on the same port and state."""

    def __init__(self, work: Path, env: dict[str, str], speed: float, rate_limit: float | None) -> None:
        self.state_dir = work / "emulator"
        self.port = free_port()
        argv = emulator_command(
            self.state_dir, "--port", str(self.port), "--speed", str(speed), "--log-level", "WARNING"
        )
        self.rate_limit = rate_limit or None
        if self.rate_limit:
            argv += ["--rate-limit", str(self.rate_limit)]
        self.proc = Proc("emulator", argv, env, work / "logs")
        self.endpoint: dict[str, Any] = {}

    def start(self, timeout: float = 60) -> dict[str, Any]:
        self.proc.start()
        wait_for_port(self.port, timeout, self.proc)
        path = self.state_dir / "endpoint.json"
        deadline = time.monotonic() + timeout
        while not path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator wrote no endpoint.json")
            time.sleep(0.1)
        self.endpoint = json.loads(path.read_text())
        return self.endpoint

    def kill9(self) -> None:
        self.proc.kill9()

    def restart(self) -> float:
        """Start again on the same port and state directory; returns the seconds it took."""
        t0 = time.monotonic()
        self.start()
        return time.monotonic() - t0

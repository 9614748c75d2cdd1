"""Child processes the demo, its UI, the UI tests and the benchmarks start (no Airflow import).

Why one place: each started ``airflow api-server`` / ``airflow triggerer`` in its own session and
stopped it the same way (SIGTERM to the group, SIGKILL after a grace period, reaped either way),
and a copy that forgets the SIGKILL or the reap leaves a server holding a port behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def emulator_command(state_dir: str | os.PathLike[str], *options: str) -> list[str]:
    """The argv of ``python -m airflow_sm_provider.emulator`` on ``state_dir`` with ``options``
    (``--speed 20``, ...), run by this interpreter: the demo, the cluster, the benchmarks and the
    pytest subprocess fixture start the emulator with it."""
    return [
        sys.executable,
        "-m",
        "airflow_sm_provider.emulator",
        "--state-dir",
        os.fspath(state_dir),
        *options,
    ]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """``preexec_fn`` of a child (Linux): it gets SIGTERM when its parent dies, even by SIGKILL, so a
    killed demo or cluster driver leaves no emulator or Airflow component running."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_group(proc: subprocess.Popen[Any], grace: float = 30.0) -> None:
    """Stop a child started with ``start_new_session=True``: SIGTERM its group, SIGKILL after ``grace``."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_http_ok(url: str, proc: subprocess.Popen[Any], log: Path, timeout: float) -> None:
    """Until ``url`` (our own loopback server) answers 200; RuntimeError with the log's tail if the
    process exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 -- http://127.0.0.1 only
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} not answering after {timeout:.0f} s:\n{log.read_text()[-3000:]}")

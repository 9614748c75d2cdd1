"""``python -m cluster`` (what ``make cluster`` runs) end to end, and its teardown on Ctrl-C.

The driver itself checks every release against the emulator and lists what survived teardown; this
test also looks from outside: no process of the run left (none has the run's work directory on its
command line) and no ``asm-cluster-*`` directory left in the temp dir.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(autouse=True)
def _needs_cluster_packages() -> None:
    pytest.importorskip("celery", reason="the 'cluster' extra is not installed (make soak installs it)")
    pytest.importorskip("psycopg2", reason="the 'cluster' extra is not installed (make soak installs it)")


def _ours() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("asm-cluster-*")}


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd:
            found.append(f"{pid}: {cmd[:200]}")
    return found


def _start() -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ASM_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "cluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_make_cluster_runs_the_example_dags_and_leaves_nothing() -> None:
    before = _ours()
    proc = _start()
    out, _ = proc.communicate(timeout=840)
    assert proc.returncode == 0, out[-4000:]
    assert "MAKE CLUSTER OK" in out
    for line in (
        "blue_green_release v1: success",
        "blue_green_release v2: success",
        "nightly_teardown: success",
        "rolling_upgrade r2: success",
    ):
        assert line in out, out[-4000:]
    # 2 releases + the rolling upgrade's starting deployment (the upgrade itself creates none)
    assert "3 create_deployment, 2 swap_deployment" in out, out[-4000:]
    assert _ours() <= before, _ours() - before
    print(out[-2500:])


def test_ctrl_c_mid_run_tears_everything_down() -> None:
    before = _ours()
    proc = _start()
    assert proc.stdout is not None
    lines: list[str] = []
    work = None
    deadline = time.monotonic() + 300
    for line in proc.stdout:  # interrupt once the first release is under way
        lines.append(line)
        found = re.search(r"work dir (\S+)", line)
        work = found.group(1) if found else work
        if "cloud services created" in line or time.monotonic() > deadline:
            break
    assert work, "".join(lines)
    assert _processes_mentioning(work), "nothing of the cluster was running before Ctrl-C"
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    took = time.monotonic() - t0
    assert proc.returncode != 0, rest[-3000:]
    assert "teardown: ok" in rest, rest[-3000:]
    assert not _processes_mentioning(work)
    assert not Path(work).exists()
    assert _ours() <= before, _ours() - before
    print(f"\nFIGURE ctrl-c teardown: {took:.1f} s to exit, nothing left")

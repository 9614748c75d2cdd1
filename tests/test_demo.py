"""``make demo`` is the README's promise: run it as a user would and hold it to its output.

It runs in ``make test`` (no ``slow`` mark) because a broken demo is a broken first impression.
The demo runs in a subprocess with its own temp AIRFLOW_HOME, so this test does not share Airflow
state with the rest of the suite; the test also checks that the demo leaves no temp dirs behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_make_demo_releases_refuses_rolls_back_and_upgrades(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ASM_"))}
    env["TMPDIR"] = str(tmp_path)  # the demo's temp dirs land here, so we can see they are gone
    proc = subprocess.run(
        [sys.executable, "-m", "airflow_sm_provider.demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=280,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "production: v2" in out
    assert "v3 refused" in out
    assert "release v3: DAG run failed (expected failed)" in out
    assert "guarded swap: refused" in out
    assert "guarded swap: rolled_back" in out
    assert "production health: healthy" in out
    assert "upgrade r2: DAG run success (expected success)" in out
    assert "upgrade r3: DAG run failed (expected failed)" in out
    assert "rolling_upgrade of rolling-demo: rolled_back" in out  # the text timeline of r3
    assert "domain 1" in out and "label r2" in out
    assert "vip_swap of bluegreen-demo: released" in out
    assert "DEMO OK" in out
    assert "PRIVATE KEY" not in out + proc.stderr
    assert list(tmp_path.iterdir()) == [], "the demo left files behind"

"""The plugin's pages ask Airflow's auth manager about the DAG's XComs and show nothing on "no"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_pages_are_guarded_by_the_auth_manager_per_dag(tmp_path: Path) -> None:
    probe = Path(__file__).with_name("auth_probe.py")
    out = subprocess.run(
        [sys.executable, str(probe), str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads(out.stdout.strip().splitlines()[-1])
    asked = ["GET", "DagAccessEntity.XCOM", "asm_releases"]

    status, body, calls = results["insider release"]
    assert status == 200 and "vip_swap of shop-web: released" in body
    assert [c[:3] for c in calls] == [asked]
    status, body, calls = results["insider operation"]
    assert status == 200 and json.loads(body)["request_id"] == "6ee2b5bd5b5a4ac9a1bdd30c8d5e1f77"

    for page in ("release", "operation"):
        status, body, calls = results[f"outsider {page}"]
        assert status == 403, (page, status, body)
        assert "shop-web" not in body and "6ee2b5bd" not in body
        assert [c[:3] for c in calls] == [asked]

    status, body, _ = results["anonymous release"]
    assert status == 401 and "shop-web" not in body

"""Without pytest (a plain ``pip install``): the demo, the cluster driver, the benchmarks and a user's
script reach the emulator's admin API and the testing helpers; only the pytest plugin needs pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from airflow_sm_provider.emulator import pytest_plugin, sessions

ROOT = Path(__file__).resolve().parents[2]

NO_PYTEST = """
import json, sys, tempfile
sys.modules["pytest"] = None   # import pytest -> ImportError, as on a plain install
sys.modules["_pytest"] = None
from pathlib import Path
import airflow_sm_provider.demo, cluster.api, bench.fleet
from airflow_sm_provider.testing import airflow_env, connection_env
from airflow_sm_provider.emulator import Emulator
from airflow_sm_provider.emulator.sessions import admin_call, admin_session
with tempfile.TemporaryDirectory() as tmp, Emulator(tmp, speed=100) as emu:
    stats = admin_call(emu.endpoint, "GET", "stats")
    with admin_session(emu.endpoint) as s:
        refused = s.get(emu.endpoint["admin_url"] + "state", headers={"X-Emulator-Admin-Token": "no"})
    env = airflow_env(Path(tmp), Path(tmp) / "elsewhere")
    conn = connection_env("asm_x", emu.endpoint)
print(json.dumps({"stats": sorted(stats), "refused": refused.status_code, "env": env, "conn": sorted(conn),
                  "pytest_loaded": any(m.startswith("_pytest.") for m in sys.modules)}))
"""


def test_no_pytest_needed_for_the_admin_api_and_the_testing_helpers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_PYTEST], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"requests", "throttled"} <= set(out["stats"])
    assert out["refused"] == 401  # the session's own token header, replaced, is what the API checks
    assert out["env"]["AIRFLOW__CORE__DAGS_FOLDER"].endswith("elsewhere")
    assert out["env"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite:///")
    assert out["conn"] == ["AIRFLOW_CONN_ASM_X"]
    assert not out["pytest_loaded"]


def test_the_pytest_plugin_re_exports_the_one_session_builder() -> None:
    assert pytest_plugin.admin_session is sessions.admin_session
    assert pytest_plugin.legacy_session is sessions.legacy_session

"""Starting ASM triggers imports nothing heavy on the triggerer's event loop (issue 13, item 4).

A module imported on the loop blocks every trigger of the process for as long as the import takes
(anyio's lazily loaded parts alone take ~30 ms, several times that on a loaded machine: the
"async thread was blocked" warnings). The hook builds the async client in a worker thread and
imports there what the first request would otherwise import on the loop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from airflow_sm_provider.testing import connection_env

#: Imported on the loop, once per process, by the trigger base itself (``triggers/base.py``: the
#: hook class in ``shared_async_client`` and the polling loop and errors at the top of ``run()``,
#: about 26 ms together), and by Airflow's own connection lookup. Everything else must not be.
ALLOWED = {
    "airflow_sm_provider.hooks",
    "airflow_sm_provider.hooks.service_management",
    "airflow_sm_provider.hooks._diagnose",
    "airflow_sm_provider.client",
    "airflow_sm_provider.client.errors",
    "airflow_sm_provider.client.polling",
    "airflow_sm_provider.client.retry",
    "airflow_sm_provider.protocol",
}
AIRFLOWS_OWN = ("airflow.", "asgiref")


def test_no_third_party_or_client_module_is_imported_on_the_loop(asm_emulator: Any, tmp_path: Path) -> None:
    ep = asm_emulator.endpoint
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(tmp_path), **connection_env("asm_default", ep, max_retries=0))
    probe = Path(__file__).with_name("loop_imports_probe.py")
    out = subprocess.run(
        [sys.executable, str(probe)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    on_loop = json.loads(out.stdout.strip().splitlines()[-1])
    unexpected = [m for m in on_loop if m not in ALLOWED and not m.startswith(AIRFLOWS_OWN)]
    assert unexpected == [], unexpected

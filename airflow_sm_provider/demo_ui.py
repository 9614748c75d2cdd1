"""``make demo-ui``: ``make demo``, then the real Airflow UI on the demo's runs, until Ctrl-C.

Why: the release timeline is a tab of the task-instance page, so seeing it needs an api-server on
the database the demo's runs are in. This starts ``airflow api-server`` on that temp home (127.0.0.1
only, Airflow's simple auth manager in all-admins mode: no login, nothing reachable from another
machine), prints the address of each release's timeline tab, and on Ctrl-C stops the server; the
demo then deletes its temp directory and key material as always.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from airflow_sm_provider._processes import free_port, stop_group, wait_http_ok

#: Airflow settings of the UI server (the auth manager and its all-admins mode; see docstring).
UI_SETTINGS = {
    "AIRFLOW__CORE__AUTH_MANAGER": (
        "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
    ),
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
}
START_TIMEOUT = 240.0


def ui_environment(port: int) -> dict[str, str]:
    """The demo's Airflow environment (already in os.environ) plus the UI server's settings."""
    return {
        **os.environ,
        **UI_SETTINGS,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
    }


UI_STOP_GRACE = 3.0  #: seconds the api-server gets after SIGTERM before SIGKILL


def serve(home: Path, timeline_paths: Sequence[str], say: Callable[[str], None]) -> None:
    """Run the api-server on the demo's home until Ctrl-C (or SIGTERM); print where to look."""
    port = int(os.environ.get("ASM_DEMO_UI_PORT") or 0) or free_port()
    airflow = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
    log = home / "api-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port)],
            env=ui_environment(port),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        say(f"\nstarting the Airflow UI on the demo's runs (api-server log: {log}) ...")
        wait_http_ok(f"{base}/api/v2/monitor/health", proc, log, START_TIMEOUT)
        say(f"Airflow UI: {base}/  (simple auth manager, all admins: no login; 127.0.0.1 only)")
        say("Each release's 'Release timeline' tab (the links are on each task's Details tab):")
        for path in timeline_paths:
            say(f"  {base}{path}")
        say("Press Ctrl-C to stop; the demo's temp directory and key material are then deleted.")
        proc.wait()
    except KeyboardInterrupt:
        say("stopping the Airflow UI")
    finally:
        # The api-server holds nothing worth a graceful stop (the demo's database is thrown away
        # next); its workers' own shutdown took 10-18 s, so it gets a few seconds, then SIGKILL.
        stop_group(proc, grace=UI_STOP_GRACE)

"""``python -m airflow_sm_provider.emulator.env``: the printed environment, eval'ed by a shell, lets an
unchanged old-style script reach the emulator (only its import line changed) and gives Airflow its
connection; it prints paths and ids, never key material."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SCRIPT = """
from airflow_sm_provider.client import *

sms = ServiceManagementService()
print(sms.host, "|".join(loc.name for loc in sms.list_locations()))
"""


def _env_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow_sm_provider.emulator.env", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_exports_point_an_unchanged_script_at_the_emulator(asm_emulator: Any, tmp_path: Path) -> None:
    out = _env_cli(str(asm_emulator.state_dir))
    assert out.returncode == 0, out.stderr
    assert "PRIVATE KEY" not in out.stdout and "BEGIN" not in out.stdout
    script = tmp_path / "old_script.py"
    script.write_text(SCRIPT)
    shell = f'eval "$({sys.executable} -m airflow_sm_provider.emulator.env {asm_emulator.state_dir})"; '
    ran = subprocess.run(
        ["bash", "-c", shell + f"{sys.executable} {script}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert ran.returncode == 0, ran.stderr
    host, locations = ran.stdout.strip().split(" ", 1)
    assert host == asm_emulator.endpoint["host"] and "West US" in locations.split("|")


def test_json_form_holds_the_four_variables_and_the_connection(asm_emulator: Any) -> None:
    out = _env_cli(str(asm_emulator.state_dir), "--json", "--conn-id", "asm_emu")
    assert out.returncode == 0, out.stderr
    env = json.loads(out.stdout)
    ep = asm_emulator.endpoint
    assert env["AZURE_MANAGEMENT_HOST"] == ep["host"] and env["AZURE_MANAGEMENT_CA_BUNDLE"] == ep["ca_cert"]
    assert env["AZURE_MANAGEMENT_SUBSCRIPTIONID"] == ep["subscription_id"]
    assert env["AZURE_MANAGEMENT_CERTFILE"] == ep["client_pem"]
    conn = json.loads(env["AIRFLOW_CONN_ASM_EMU"])
    assert conn["conn_type"] == "azure_service_management" and conn["host"] == ep["host"]


def test_a_directory_without_endpoint_says_so(tmp_path: Path) -> None:
    out = _env_cli(str(tmp_path), "--no-conn")
    assert out.returncode == 2 and "endpoint.json" in out.stderr and not out.stdout


def test_a_conn_id_the_shell_cannot_export_is_refused(asm_emulator: Any) -> None:
    out = _env_cli(str(asm_emulator.state_dir), "--conn-id", "my-conn")
    assert out.returncode == 2 and "--conn-id 'my-conn'" in out.stderr and not out.stdout

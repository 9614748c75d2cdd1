"""Running another ASM client's program against the emulator: the shared steps of tests/node_sdk
and tests/go_sdk.

Each program takes the emulator's ``endpoint.json`` and prints one JSON line of what it observed;
its environment is only ``PATH``, a ``HOME`` in the state directory and the trust variable the
client itself reads, so nothing of the test process leaks into it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from airflow_sm_provider.emulator.sessions import admin_session


def run_program(
    program: list[str], emulator: Any, trust: dict[str, str], args: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Run ``program endpoint.json *args`` with ``trust`` (e.g. ``SSL_CERT_FILE``); its JSON line."""
    endpoint_file = Path(emulator.state_dir) / "endpoint.json"
    assert json.loads(endpoint_file.read_text())["host"] == emulator.endpoint["host"]
    env = {"PATH": os.environ["PATH"], "HOME": str(endpoint_file.parent), **trust}
    command = [*program, str(endpoint_file), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def quiet_stats(emulator: Any) -> dict[str, Any]:
    """The emulator's request statistics, after checking that no request was refused as malformed
    (400) and none was throttled."""
    endpoint = emulator.endpoint
    stats: dict[str, Any] = admin_session(endpoint).get(endpoint["admin_url"] + "stats", timeout=10).json()
    assert stats["by_status"].get("400", 0) == 0
    assert stats["throttled"] == 0
    return stats

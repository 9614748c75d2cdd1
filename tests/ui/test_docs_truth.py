"""What docs/getting-started.md and docs/troubleshooting.md say about the CLI is what the CLI does."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.testing import connection_env

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("cli-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
    )
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    return env


def test_providers_list_shows_the_line_getting_started_quotes(cli_env: dict[str, str]) -> None:
    doc = (REPO / "docs" / "getting-started.md").read_text()
    quoted = re.search(r"airflow providers list \| grep airflow-sm-provider\n# (.+)\n", doc)
    assert quoted, "getting-started.md no longer quotes the providers list line"
    out = subprocess.run(
        [AIRFLOW, "providers", "list"], env=cli_env, capture_output=True, text=True, timeout=300, check=True
    )
    line = next(line for line in out.stdout.splitlines() if line.startswith("airflow-sm-provider"))
    squash = lambda text: re.sub(r"\s+", " ", text).strip()  # noqa: E731 - the table pads with spaces
    assert squash(line) == squash(quoted.group(1))


def test_cli_connection_test_prints_only_connection_success(
    cli_env: dict[str, str], asm_emulator: Any
) -> None:
    ep = asm_emulator.endpoint
    env = {**cli_env, **connection_env("asm_default", ep)}
    out = subprocess.run(
        [AIRFLOW, "connections", "test", "asm_default"], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Connection success!" in out.stdout.splitlines()
    assert "Connected to subscription" not in out.stdout  # the UI toast shows it, the 3.3.2 CLI does not
    assert "Connection success!" in (REPO / "docs" / "getting-started.md").read_text()


def test_test_connection_sends_one_attempt_and_no_retry(cli_env: dict[str, str], asm_emulator: Any) -> None:
    """troubleshooting.md: Test Connection does not retry. A listener that drops every connection
    counts the attempts: exactly one, and the answer names the endpoint."""
    accepted: list[int] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.5)
    stop = threading.Event()

    def drop_all() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=drop_all, daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.getsockname()[1]}"
    try:
        env = {**cli_env, **connection_env("asm_drop", {**asm_emulator.endpoint, "host": host})}
        out = subprocess.run(
            [AIRFLOW, "connections", "test", "asm_drop"], env=env, capture_output=True, text=True, timeout=300
        )
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
    assert out.returncode != 0
    assert "Connection failed!" in out.stdout and host in out.stdout, out.stdout
    assert "retry" not in (out.stdout + out.stderr).lower()
    assert len(accepted) == 1
    assert "sends one request and does not retry" in " ".join(
        (REPO / "docs" / "troubleshooting.md").read_text().split()
    )

"""Real ``airflow api-server`` processes for the UI tests (driven by Debian's Chromium).

``api_server`` is a bare server (connection form test); :func:`running_api_server` starts one on a
home the caller prepared first (the timeline test seeds its DB before the server starts).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider._processes import free_port, stop_group, wait_http_ok

CHROMIUM = os.environ.get("ASM_UI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 240.0
AIRFLOW = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"


def airflow_env(home: Path, port: int) -> dict[str, str]:
    """The server's environment: this home, simple auth manager in all-admins mode, Test Connection on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    return env


@contextmanager
def chromium(viewport: dict[str, int]) -> Iterator[tuple[Any, Any]]:
    """Debian's Chromium, headless, in a throwaway profile, 60 s default timeout: yields Playwright
    (for requests outside the browser's session) and the browser context, closed on exit.

    ``expect()`` has its own default of 5 s, which the context's does not change: with `make test`'s
    parallel processes on 2 cores, a timeline iframe took longer than that to render, and the test
    failed on a page that was right. Both waits are bounds, not speed checks."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)

    with tempfile.TemporaryDirectory(prefix="asm-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, viewport=viewport
        )
        try:
            ctx.set_default_timeout(60_000)
            yield pw, ctx
        finally:
            ctx.close()


def have_chromium() -> bool:
    return Path(CHROMIUM).is_file()


def need_chromium() -> None:
    if not have_chromium():
        pytest.skip(f"chromium is not installed ({CHROMIUM} missing): apt-get install -y chromium")


@contextmanager
def running_api_server(
    prepare: Callable[[Path, dict[str, str]], None] | None = None,
    **overrides: str,
) -> Iterator[tuple[str, Path]]:
    """Migrate a new home, let ``prepare(home, env)`` fill it, start the server; yield (url, home).

    :param overrides: more ``AIRFLOW__*`` settings; ``{home}`` in a value is the home directory.
    """
    with tempfile.TemporaryDirectory(prefix="asm-ui-") as tmp:
        home = Path(tmp)
        (home / "dags").mkdir()
        port = free_port()
        env = airflow_env(home, port)
        env.update({key: value.format(home=home) for key, value in overrides.items()})
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        if prepare is not None:
            prepare(home, env)
        log = home / "api-server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            try:
                wait_http_ok(f"{base}/api/v2/monitor/health", proc, log, SERVER_START_TIMEOUT)
            except RuntimeError as exc:
                pytest.fail(str(exc))
            yield base, home
        finally:
            stop_group(proc)


@pytest.fixture(scope="module")
def api_server() -> Iterator[str]:
    """A real ``airflow api-server`` on 127.0.0.1 with a migrated temp DB; yields its base URL."""
    need_chromium()
    if os.environ.get("ASM_UI_API_SERVER"):  # reuse a running server (configured as above) while iterating
        yield os.environ["ASM_UI_API_SERVER"].rstrip("/")
        return
    with running_api_server() as (base, _home):
        yield base

"""``make demo`` and ``make demo-ui``, the README's promise, run as a user would (one run of
``python -m airflow_sm_provider.demo --ui``): the story it prints, each release's timeline in the
real Airflow UI it then serves (Chromium; without Chromium, the server's health only), and after
SIGTERM no process and no file left behind. In ``make test``: a broken demo is a broken first
impression. ``--ui`` only adds the server after the same demo, so this also holds ``make demo``."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import chromium, free_port, have_chromium

REPO = Path(__file__).resolve().parents[2]
URL = re.compile(
    r"^\s+(http://127\.0\.0\.1:\d+/dags/(\w+)/runs/\S+/tasks/(\w+)/plugin/asm-release-timeline)$"
)


def _read_until_urls(proc: subprocess.Popen[str], want: int, timeout: float) -> tuple[list[str], str]:
    """The timeline URLs the demo prints once its UI is up (``Press Ctrl-C`` ends the list).

    Lines come through a reader thread: ``select`` on a buffered pipe misses lines already read into
    the buffer, and the last lines arrive together."""
    assert proc.stdout is not None
    stream = proc.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (seen and seen[-1].startswith("Press Ctrl-C")):
        try:
            seen.append(lines.get(timeout=1.0))
        except queue.Empty:
            assert proc.poll() is None, "".join(seen)[-3000:]
    urls = [m.group(1) for m in map(URL.match, seen) if m]
    assert len(urls) == want, "".join(seen)[-3000:]
    return urls, "".join(seen)


@pytest.mark.timeout(600)
def assert_story(out: str) -> None:
    """What ``make demo`` must say: releases, the refusal, the swap-back, both upgrades, the state."""
    for line in (
        "production: v2",
        "v3 refused",
        "release v3: DAG run failed (expected failed)",
        "guarded swap: refused",
        "guarded swap: rolled_back",
        "production health: healthy",
        "upgrade r2: DAG run success (expected success)",
        "upgrade r3: DAG run failed (expected failed)",
        "rolling_upgrade of rolling-demo: rolled_back",  # the text timeline of r3
        "domain 1",
        "label r2",
        "vip_swap of bluegreen-demo: released",
        "DEMO OK",
    ):
        assert line in out, (line, out[-3000:])
    assert "PRIVATE KEY" not in out
    # Each gate is told once, in the timeline (the report's checks used to be printed before it too).
    assert out.count("staging_occupied: staging holds v2") == 1, out[-3000:]


def test_demo_then_its_ui_shows_each_release_timeline_then_cleans_up(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ASM_"))}
    port = free_port()
    env.update(TMPDIR=str(tmp_path), ASM_DEMO_UI_PORT=str(port))  # temp dirs land in tmp_path
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_sm_provider.demo", "--ui"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        urls, out = _read_until_urls(proc, want=6, timeout=420)  # 4 blue-green + 2 rolling upgrades
        assert_story(out)
        if have_chromium():
            _open_each_timeline(urls)
        else:  # the server is up; the picture itself needs a browser (tests/ui/test_timeline.py draws it)
            base = urls[0].split("/dags/", 1)[0]
            with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=30) as resp:
                assert resp.status == 200
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert list(tmp_path.iterdir()) == [], "the demo left files behind"
    with socket.socket() as probe:  # the api-server is gone with the demo, not left listening
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine, a listener not
        probe.bind(("127.0.0.1", port))


def _open_each_timeline(urls: list[str]) -> None:
    from playwright.sync_api import expect

    outcomes = ["released", "released", "refused", "rolled_back", "released", "rolled_back"]
    with chromium({"width": 1400, "height": 1100}) as (_pw, ctx):
        page = ctx.new_page()
        for url, outcome in zip(urls, outcomes, strict=True):
            page.goto(url)  # all-admins mode: no login, as the demo says
            frame = page.frame_locator("iframe[title='Release timeline']")
            svg = frame.locator("svg.timeline")
            expect(svg).to_be_visible()
            assert f": {outcome}" in (svg.get_attribute("aria-label") or ""), url


def test_demo_help_and_unknown_arguments_run_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` used to be ignored: the whole demo ran (found by a verification run)."""
    from airflow_sm_provider.demo import main

    assert main(["--help"]) == 0
    assert main(["--bogus"]) == 2
    out = capsys.readouterr().out
    assert out.count("usage: python -m airflow_sm_provider.demo [--ui]") == 2
    assert "emulator up" not in out

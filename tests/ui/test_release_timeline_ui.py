"""The release timeline and the operator links in the real Airflow UI (marker ``ui``).

A DAG with three guarded swaps is parsed and serialized into a fresh home; its finished run is
seeded (``seed_releases.py``: states, ``release_report`` XComs shaped per CONTRACTS.md and the
persisted links). Then a real ``airflow api-server`` is started and headless Chromium opens each
task instance's "Release timeline" tab: the provider's plugin must be loaded (entry point, default
lazy provider discovery), the tab must embed our page, and the page must draw the release's
outcome, lanes and steps. Each task's extra links must resolve: the timeline link opens the tab,
the operation link answers with the request id, the deployment URLs are the report's. A browser
without the session cookie gets nothing from the plugin.

Screenshots go to the test's tmp dir; with ``ASM_UI_UPDATE_SCREENSHOT=1`` also to
docs/img/release-timeline-<outcome>.png (used by docs/blue-green.md / README), so normal runs leave
the tree clean.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import chromium, need_chromium, running_api_server

pytestmark = pytest.mark.ui

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "asm_releases"
DAG_FILE = Path(__file__).with_name("asm_releases_dag.py").read_text()
#: task id -> (outcome drawn, service, lanes, a step that must be drawn)
EXPECTED = {
    "release_ok": ("released", "shop-web", ["production", "staging"], "bake"),
    "release_refused": ("refused", "shop-api", ["production", "staging"], "verify"),
    "release_rolled_back": ("rolled_back", "shop-cart", ["production", "staging"], "swap_back"),
}
ADMIN, PASSWORD = "release-admin", "timeline-test-password"
LINK_NAMES = {"ASM production URL", "ASM staging URL", "ASM operation", "Release timeline"}


@pytest.fixture(scope="module")
def seeded_server() -> Iterator[tuple[str, str]]:
    """(base URL, run id) of an api-server whose DB holds the three finished releases."""
    need_chromium()
    seeded: dict[str, Any] = {}

    def prepare(home: Path, env: dict[str, str]) -> None:
        dag_file = home / "dags" / "asm_releases.py"
        dag_file.write_text(DAG_FILE)
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("seed_releases.py")), str(dag_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        seeded.update(json.loads(out.stdout.strip().splitlines()[-1]))

        (home / "passwords.json").write_text(json.dumps({ADMIN: PASSWORD}))

    # Real logins (not all-admins mode, which lets every anonymous request in as admin).
    with running_api_server(
        prepare,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="{home}/passwords.json",
    ) as (base, _home):
        yield base, seeded["run_id"]


def _ti_path(run_id: str, task_id: str) -> str:
    return f"/dags/{DAG_ID}/runs/{quote(run_id, safe='')}/tasks/{task_id}"


def test_timeline_tab_links_and_auth_for_three_outcomes(
    seeded_server: tuple[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base, run_id = seeded_server
    with chromium({"width": 1400, "height": 1300}) as (pw, ctx):
        _log_in(ctx, base)
        page = ctx.new_page()
        # The plugin is loaded and declares its tab (entry point under lazy provider discovery).
        page.goto(f"{base}/")
        plugins = page.request.get(f"{base}/api/v2/plugins").json()["plugins"]
        ours = [p for p in plugins if p["name"] == "airflow_sm_provider"]
        assert len(ours) == 1, [p["name"] for p in plugins]
        assert [v["destination"] for v in ours[0]["external_views"]] == ["task_instance"]
        errors = page.request.get(f"{base}/api/v2/plugins/importErrors").json()
        assert errors["total_entries"] == 0, errors

        for task_id, (outcome, service, lanes, step) in EXPECTED.items():
            page.goto(f"{base}{_ti_path(run_id, task_id)}/plugin/asm-release-timeline")
            frame = page.frame_locator("iframe[title='Release timeline']")
            svg = frame.locator("svg.timeline")
            expect(svg).to_be_visible()
            expect(frame.locator("h1")).to_contain_text(task_id)
            assert f"vip_swap of {service}: {outcome}" in (svg.get_attribute("aria-label") or "")
            for lane in lanes:
                expect(svg.locator("text.lane", has_text=lane)).to_have_count(1)
            expect(svg.locator(f"circle.event[data-step='{step}']").first).to_be_attached()
            expect(frame.locator("table.events tr")).to_have_count(
                1 + len(page.request.get(_json_url(base, run_id, task_id)).json()["events"])
            )
            shot = tmp_path / f"release-timeline-{outcome}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            if os.environ.get("ASM_UI_UPDATE_SCREENSHOT") == "1":
                shutil.copyfile(shot, REPO / "docs" / "img" / shot.name)
            _check_links(page, base, run_id, task_id, service, tmp_path)

        # The page's own links (JSON and text forms) work inside the tab.
        frame.get_by_role("link", name="text timeline").click()
        expect(frame.locator("body")).to_contain_text("vip_swap of shop-cart: rolled_back")
        _check_anonymous_sees_nothing(pw, base, run_id)


def _log_in(ctx: Any, base: str) -> None:
    """Get a JWT from the simple auth manager and hand it to the browser as the UI's session cookie."""
    answer = ctx.request.post(f"{base}/auth/token", data={"username": ADMIN, "password": PASSWORD})
    assert answer.status in (200, 201), answer.text()
    ctx.add_cookies([{"name": "_token", "value": answer.json()["access_token"], "url": base}])


def _json_url(base: str, run_id: str, task_id: str) -> str:
    query = f"dag_id={DAG_ID}&run_id={quote(run_id, safe='')}&task_id={task_id}&format=json"
    return f"{base}/asm-sm/release?{query}"


def _check_links(page: Any, base: str, run_id: str, task_id: str, service: str, tmp_path: Path) -> None:
    """Every extra link of the task resolves: the UI lists them, and each target answers."""
    from playwright.sync_api import expect

    api = f"{base}/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/links"
    links = page.request.get(api).json()["extra_links"]
    assert set(links) == LINK_NAMES, links
    assert links["ASM production URL"] == f"http://{service}.cloudapp.net/"
    assert links["ASM staging URL"] == f"http://{service}-staging.cloudapp.net/"
    operation = page.request.get(links["ASM operation"])
    assert operation.status == 200, operation.text()
    assert operation.json()["request_id"], operation.json()
    page.goto(f"{base}{_ti_path(run_id, task_id)}/details")  # the Details tab lists the extra links
    for name, url in links.items():
        expect(page.locator(f"a[href='{url}']"), name).to_be_visible()
    if task_id == "release_ok":
        shot = tmp_path / "release-links.png"
        page.locator(f"a[href='{links['Release timeline']}']").locator("xpath=../..").screenshot(
            path=str(shot)
        )
        if os.environ.get("ASM_UI_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(shot, REPO / "docs" / "img" / shot.name)
    page.goto(links["Release timeline"])
    expect(page.frame_locator("iframe[title='Release timeline']").locator("svg.timeline")).to_be_visible()


def _check_anonymous_sees_nothing(pw: Any, base: str, run_id: str) -> None:
    """No session cookie: the plugin answers 401/403 and no report data."""
    request = pw.request.new_context()
    try:
        for url in (_json_url(base, run_id, "release_ok"), _json_url(base, run_id, "release_ok")[:-12]):
            answer = request.get(url)
            assert answer.status in (401, 403), (url, answer.status)
            assert "shop-web" not in answer.text() and "events" not in answer.text()
    finally:
        request.dispose()

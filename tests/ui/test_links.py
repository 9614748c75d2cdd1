"""Operator links persisted the Airflow 3 way: a real DAG run stores each link in XCom at task end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.operators.links import deployment_urls, operation_of, timeline_ui_path

LINK_KEYS = {
    "_link_AsmProductionUrlLink",
    "_link_AsmStagingUrlLink",
    "_link_AsmOperationLink",
    "_link_AsmReleaseTimelineLink",
}


@pytest.fixture(scope="module")
def persisted(asm_emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(ASM_ENDPOINT=json.dumps(asm_emulator.endpoint), LINKS_SVC=f"lnk{uuid.uuid4().hex[:10]}")
    home = tmp_path_factory.mktemp("links-home")
    probe = Path(__file__).with_name("links_probe.py")
    out = subprocess.run(
        [sys.executable, str(probe), str(home)], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-4000:]
    found = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    found["_log"] = out.stdout + out.stderr  # everything the run logged (dag.test logs to the console)
    return found


def test_every_task_persisted_every_link(persisted: dict[str, Any]) -> None:
    assert persisted["_run"]["state"] == "success", persisted
    for task_id in ("svc", "prod", "stag", "swap", "release"):
        assert set(persisted[task_id]) >= LINK_KEYS, (task_id, sorted(persisted[task_id]))


def test_deployment_links_are_the_urls_the_tasks_saw(persisted: dict[str, Any]) -> None:
    prod, stag, swap = persisted["prod"], persisted["stag"], persisted["swap"]
    assert prod["_link_AsmProductionUrlLink"] == prod["return_value"]["url"] != ""
    assert prod["_link_AsmStagingUrlLink"] == ""  # it created no staging deployment
    assert stag["_link_AsmStagingUrlLink"] == stag["return_value"]["url"] != ""
    # A slot keeps its URL across a swap (production is the service's name): the link shows the
    # slot as the task left it, which the swap's result also reports.
    assert swap["_link_AsmProductionUrlLink"] == swap["return_value"]["production_url"]
    assert swap["_link_AsmProductionUrlLink"] == prod["return_value"]["url"]
    assert swap["_link_AsmStagingUrlLink"] == swap["return_value"]["staging_url"] != ""


def test_operation_link_names_the_task_and_timeline_link_needs_a_report(persisted: dict[str, Any]) -> None:
    svc = persisted["svc"]
    assert svc["return_value"]["request_id"]
    link = svc["_link_AsmOperationLink"]
    assert "/asm-sm/operation?" in link and "dag_id=asm_links" in link and "task_id=svc" in link
    assert all(persisted[t]["_link_AsmReleaseTimelineLink"] == "" for t in ("svc", "prod", "stag", "swap"))


def test_release_links_come_from_its_report(persisted: dict[str, Any]) -> None:
    release, run_id = persisted["release"], persisted["_run"]["run_id"]
    report = release["release_report"]
    assert report["outcome"] == "released"
    assert release["_link_AsmReleaseTimelineLink"] == timeline_ui_path("asm_links", run_id, "release", -1)
    assert release["_link_AsmProductionUrlLink"] == report["after"]["production"]["url"] != ""
    operation = release["_link_AsmOperationLink"]
    assert "/asm-sm/operation?" in operation and "task_id=release" in operation


def test_a_successful_run_logs_no_error(persisted: dict[str, Any]) -> None:
    """Log-based alerting must stay quiet: computing the links at task end reads no absent XCom.

    The Task SDK's client logs each XCom it asks for and does not find at ERROR ("XCom not found").
    """
    log = persisted["_log"]
    assert "[DAG TEST] end task task_id=release" in log  # the run's log was captured
    assert log.count("Pausing task as DEFERRED") >= 2  # stag and release: links are also computed then
    assert "Failed to push an xcom for task operator extra link" not in log
    errors = [line for line in log.splitlines() if "[error" in line or "XCom not found" in line]
    assert errors == [], "\n".join(errors[:5])


def test_link_data_rules() -> None:
    report = {"after": {"production": {"url": "http://p/"}, "staging": None}, "swap_request_id": "ab"}
    assert deployment_urls({"staging_url": "http://s/"}, report) == {
        "production": "http://p/",
        "staging": "http://s/",
    }
    assert deployment_urls({"url": "http://x/", "deployment_slot": "Staging"}, None)["staging"] == "http://x/"
    assert operation_of(None, {**report, "outcome": "released"}) == {
        "request_id": "ab",
        "status": "released",
        "kind": "swap",
    }
    assert operation_of({"request_id": None}, {}) is None
    assert timeline_ui_path("d", "r:1+0", "t", 3, "http://h") == (
        "http://h/dags/d/runs/r%3A1%2B0/tasks/t/mapped/3/plugin/asm-release-timeline"
    )

"""5. End to end: ``blue_green_release`` wall time minus the emulator's own operation time, by task."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, EmulatorProc, Section, conn_json, med_range, table

SPEED = 100.0
POLL = "0.2"
ORDER = [
    "prepare",
    "clear_staging",
    "deploy_to_staging",
    "wait_staging_ready",
    "guarded_swap",
    "retire_previous",
]


def _union_within(intervals: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Length of the union of ``intervals`` clipped to [lo, hi]."""
    clipped = sorted((max(a, lo), min(b, hi)) for a, b in intervals if b > lo and a < hi)
    total, cur_a, cur_b = 0.0, None, None
    for a, b in clipped:
        if cur_b is None or a > cur_b:
            if cur_b is not None and cur_a is not None:
                total += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_a is not None and cur_b is not None:
        total += cur_b - cur_a
    return total


def _emulator_windows(state: dict[str, Any], speed: float) -> list[tuple[float, float]]:
    """When the emulator itself made the DAG wait: operations, and instances booting after a create."""
    from airflow_sm_provider.emulator.timings import PAAS_READY_AFTER_OP

    windows = []
    for op in state["operations"]:
        started, ends = float(op["started"]), float(op["ends"])
        windows.append((started, ends))
        if op["kind"] == "create_deployment":
            windows.append((ends, ends + PAAS_READY_AFTER_OP / speed))
    return windows


def _run_worker(work: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    with EmulatorProc(work / "emu", SPEED) as emu:
        ep = emu.endpoint
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(work / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{work / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "False",
            "AIRFLOW_CONN_ASM_DEFAULT": conn_json(ep),
            "ASM_EXAMPLE_POLL_INTERVAL": POLL,
            "BENCH_ENDPOINT": json.dumps(ep),
            "PYTHONPATH": str(ROOT),
        }
        out = work / "e2e.json"
        proc = subprocess.run(
            [sys.executable, "-m", "bench.e2e_worker", str(out)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            log = work / "airflow.log"
            tail = log.read_text()[-1500:] if log.exists() else ""
            raise RuntimeError(f"e2e worker failed: {proc.stderr[-1500:]}\n{tail}")
        from airflow_sm_provider.emulator.sessions import admin_session

        with admin_session(ep) as admin:
            state = admin.get(ep["admin_url"] + "state", timeout=60).json()
    return json.loads(out.read_text()), state


def run() -> Section:
    sec = Section("5. End to end: `blue_green_release` (Airflow + provider overhead)")
    with tempfile.TemporaryDirectory(prefix="asm-bench-e2e-") as tmp:
        result, state = _run_worker(Path(tmp))
    windows = _emulator_windows(state, SPEED)
    runs = result["runs"]
    per_task: dict[str, list[tuple[float, float]]] = {t: [] for t in ORDER}  # warm runs: (duration, emu)
    cold: dict[str, tuple[float, float]] = {}
    run_rows = []
    for i, r in enumerate(runs):
        emu_total = _union_within(windows, r["start"], r["end"])
        wall = r["end"] - r["start"]
        busy = sum((t["end"] - t["start"]) for t in r["tasks"] if t["start"] and t["end"])
        run_rows.append(
            [
                r["name"] + (" (first in process)" if i == 0 else ""),
                r["state"],
                f"{wall:.2f}",
                f"{emu_total:.2f}",
                f"{wall - emu_total:.2f}",
                f"{wall - busy:.2f}",
            ]
        )
        for t in r["tasks"]:
            if not (t["start"] and t["end"]) or t["task_id"] not in per_task:
                continue
            sample = (t["end"] - t["start"], _union_within(windows, t["start"], t["end"]))
            if i == 0:
                cold[t["task_id"]] = sample
            else:
                per_task[t["task_id"]].append(sample)
    task_rows = []
    for task in ORDER:
        samples = per_task[task]
        if not samples:
            continue
        dur = [d * 1000 for d, _ in samples]
        emu = [e * 1000 for _, e in samples]
        over = [(d - e) * 1000 for d, e in samples]
        c = cold.get(task)
        task_rows.append(
            [
                task,
                f"{c[0] * 1000:.0f} / {(c[0] - c[1]) * 1000:.0f}" if c else "-",
                med_range(dur, "{:.0f}"),
                f"{statistics.median(emu):.0f}",
                med_range(over, "{:.0f}"),
            ]
        )
    warm = [float(row[4]) for row in run_rows[1:]]
    sec.summary.append(
        (
            "5. release DAG run: wall - emulator time (warm runs)",
            f"{statistics.median(warm):.2f} s" if warm else "n/a",
            f"first run in process {run_rows[0][4]} s",
        )
    )
    sec.add(
        f"`example_dags/blue_green_release.py`, {len(runs)} runs with `dag.test()` in one fresh process "
        f"(`python -m bench.e2e_worker`; Airflow set-up took {result['setup_s']:.1f} s before the first "
        f"run: DB migration, pool, DAG bag), emulator subprocess at `--speed {SPEED:.0f}`, "
        f"`ASM_EXAMPLE_POLL_INTERVAL={POLL}` s, `bake_seconds=0`, non-deferrable. Releases: "
        f"{', '.join(r['name'] for r in runs)} (the first moves into an empty production, the others "
        "swap and retire the previous one). Emulator time = the union of the intervals during which an "
        "emulator operation was in progress (admin state `started`..`ends`), plus the instances' boot "
        "after a create (`PAAS_READY_AFTER_OP / speed`); overhead = wall - emulator time (it includes "
        "up to one poll interval per wait).",
        "",
        *table(
            ["run", "state", "wall s", "emulator s", "overhead s", "between tasks s"],
            run_rows,
        ),
        "",
        *table(
            [
                "task",
                "first run: ms / overhead ms",
                "later runs ms median (min-max)",
                "emulator ms",
                "overhead ms median (min-max)",
            ],
            task_rows,
        ),
    )
    return sec

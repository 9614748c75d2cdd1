"""4. DAG-parse cost: what each operator module and example DAG adds over ``import airflow.sdk``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, Section, med_range, table

REPEATS = 5
COLD_REPEATS = 3
GOAL_MS = 50.0
MODULES = [
    f"airflow_sm_provider.operators.{p.stem}"
    for p in sorted((ROOT / "airflow_sm_provider" / "operators").glob("*.py"))
    if not p.stem.startswith("_")
] + ["airflow_sm_provider.sensors.operation", "airflow_sm_provider.sensors.deployment"]
DAGS = sorted(str(p) for p in (ROOT / "example_dags").glob("*.py") if not p.name.startswith("_"))
CONTROL = str(ROOT / "bench" / "control_dag.py")  # Airflow-only DAG of the same shape


def _probe(targets: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.parse_probe", *targets],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"parse probe failed: {out.stderr[-1500:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    for target in targets:
        if "error" in result[target]:
            raise RuntimeError(f"importing {target} failed: {result[target]['error']}")
    return result


def run() -> Section:
    sec = Section("4. DAG-parse cost (import over `import airflow.sdk`)")
    with tempfile.TemporaryDirectory(prefix="asm-bench-parse-") as home:
        base = {
            **os.environ,
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "PYTHONPATH": str(ROOT),
        }
        targets = [*MODULES, *DAGS, CONTROL]
        # Cold: no bytecode for the provider (this environment sets PYTHONDONTWRITEBYTECODE=1, and the
        # repo has no __pycache__), so every provider module is compiled on import. Airflow's own
        # modules come with .pyc files from the venv install either way.
        cold_env = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
        cold_env.pop("PYTHONPYCACHEPREFIX", None)
        cold = [_probe(targets, cold_env) for _ in range(COLD_REPEATS)]
        # Cached (judged): as after `pip install` of the wheel, which compiles .pyc files. The cache
        # goes to a temporary prefix (nothing written into the repo); one untimed run fills it.
        warm_env = {**base, "PYTHONPYCACHEPREFIX": str(Path(home) / "pyc")}
        warm_env.pop("PYTHONDONTWRITEBYTECODE", None)
        _probe(targets, warm_env)
        probes = [_probe(targets, warm_env) for _ in range(REPEATS)]
    samples = {t: [p[t] for p in probes] for t in targets}
    sdk = [float(p["sdk"]) * 1000 for p in probes]
    sdk_cpu = [float(p["sdk_cpu"]) * 1000 for p in probes]
    rows = []
    worst = 0.0
    worst_dag = worst_share = 0.0
    control_cpu = sorted(float(s["cpu"]) * 1000 for s in samples[CONTROL])[len(probes) // 2]
    for target in targets:
        added = [float(s["wall"]) * 1000 for s in samples[target]]
        cpu = [float(s["cpu"]) * 1000 for s in samples[target]]
        med = sorted(cpu)[len(cpu) // 2]
        cold_cpu = [float(p[target]["cpu"]) * 1000 for p in cold]
        if target == CONTROL:
            verdict = "(control)"
        elif target in DAGS:
            # Raw goal missed or not, the part the provider can act on is the DAG minus the control.
            share = med - control_cpu
            worst_dag, worst_share = max(worst_dag, med), max(worst_share, share)
            verdict = "met" if med < GOAL_MS else "MISSED"
            if share > 0:  # a DAG cheaper than the control is not of its shape (no schedule, no @task)
                verdict += f"; minus control {share:.1f} ms: " + ("met" if share < GOAL_MS else "MISSED")
        else:
            worst = max(worst, med)
            verdict = "met" if med < GOAL_MS else "MISSED"
        label = Path(target).name if target.endswith(".py") else target.replace("airflow_sm_provider.", "")
        heavy = samples[target][0]["heavy"]
        rows.append(
            [
                label,
                med_range(cpu, "{:.1f}"),
                med_range(added, "{:.1f}"),
                med_range(cold_cpu, "{:.1f}"),
                samples[target][0]["new"],
                ", ".join(heavy) if heavy else "none",  # type: ignore[arg-type]
                verdict,
            ]
        )
    sec.summary.append(
        (
            "4. worst operator/sensor module import over airflow.sdk",
            f"{worst:.1f} ms",
            f"goal < {GOAL_MS:.0f} ms: " + ("met" if worst < GOAL_MS else "MISSED"),
        )
    )
    sec.summary.append(
        (
            "4. worst example DAG file over airflow.sdk / minus the Airflow-only control",
            f"{worst_dag:.1f} ms / {worst_share:.1f} ms (control {control_cpu:.1f} ms)",
            f"goal < {GOAL_MS:.0f} ms: "
            + ("met" if worst_dag < GOAL_MS else "MISSED")
            + " / "
            + ("met" if worst_share < GOAL_MS else "MISSED"),
        )
    )
    sec.add(
        f"{REPEATS} fresh interpreters (`python -m bench.parse_probe`) each `import airflow.sdk`, then fork "
        "once per target, so every sample imports the module (or `exec`s the DAG file) into a fresh module "
        "table on top of exactly `airflow.sdk`; timed with `process_time` (CPU, robust to the "
        "load of other processes on 2 cores; the goal is judged on it) and `perf_counter` (wall). "
        "Judged with bytecode cached, as in an installed provider (`pip install` compiles `.pyc`; here a "
        "temporary `PYTHONPYCACHEPREFIX` filled by one untimed run). The *no .pyc* column is "
        f"{COLD_REPEATS} more interpreters with `PYTHONDONTWRITEBYTECODE=1` and no cache for the "
        "provider, as in this checkout's environment: every provider module (and the DAG file) is "
        "compiled on import -- the first parse after a deploy, or a source checkout without "
        "`__pycache__`. "
        f"`import airflow.sdk` itself: CPU {med_range(sdk_cpu, '{:.0f}')} ms, "
        f"wall {med_range(sdk, '{:.0f}')} ms. A module's Airflow imports beyond `airflow.sdk` count as "
        "added; a DAG file's cost includes building its DAG object.",
        "",
        *table(
            [
                "module / DAG file",
                "added CPU ms median (min-max)",
                "added wall ms",
                "added CPU ms, no .pyc (compiled on import)",
                "new modules",
                "heavy modules imported",
                "goal (CPU)",
            ],
            rows,
        ),
        "",
        "Heavy modules watched: requests, urllib3, httpx, httpcore, lxml, cryptography, OpenSSL, tenacity, "
        "azure (packages not already loaded by `airflow.sdk`), our client's service/transport/models, "
        "`airflow.triggers.base` (Airflow core) and the emulator's server.",
    )
    return sec

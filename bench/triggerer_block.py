"""6. Triggerer event-loop blocking: 200 ASM triggers start together in a real ``airflow triggerer``.

    .venv/bin/python -m bench.triggerer_block [--triggers 200] [--rounds 2] [--write]

Airflow's own detector (``TriggerRunner.block_watchdog``: the loop sleeps 0.1 s and logs "async
thread was blocked for X seconds" when it woke more than ``[triggerer]
blocked_main_thread_warning_threshold`` = 0.2 s later) cannot say which trigger blocked. So every
round runs twice on a fresh metadata DB, same machine, same moment:

* **asm**: N deferred task instances waiting on ASM operation triggers (``AsmOperationTrigger``, one
  connection, polling a real in-progress operation of the emulator every 5 s);
* **control**: N deferred task instances on Airflow's own ``DateTimeTrigger`` (a sleep), i.e. what
  the triggerer costs to start N triggers of any kind.

and again with ``PYTHONASYNCIODEBUG=1``, where asyncio names the task of every callback slower than
0.1 s ("Executing <Task ... name='DAG/RUN/TASK/...'> took X seconds"): a slow step inside one of
our triggers' ``run()`` is named after its task instance; Airflow's own work (creating the
triggers, loading their DAG, its supervisor messaging) runs in Airflow's tasks.

The N task instances are N runs of a one-task DAG (N releases at once; one DAG of N tasks would
make Airflow ship an N-task DAG with every trigger). They and their triggers are written straight
into the DB (as a scheduler + worker leave
them when tasks defer), so no scheduler or worker competes for the 2 cores. ``--write`` puts the
section into docs/benchmarks.md between its markers (the other sections are not re-run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from airflow_sm_provider._processes import stop_group
from bench.common import ROOT, EmulatorProc, conn_json, load, table

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- triggerer-block:begin -->", "<!-- triggerer-block:end -->"
AIRFLOW = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
WINDOW = 90.0  # at most this long per run; the first status line (after 60 s) ends it
DAG_ID = "asm_trigger_bench"
LOGS = Path(tempfile.gettempdir()) / "asm-trgbench-logs"  # each run's triggerer log, kept for reading
SPEED = 0.25  # emulator speed: a Create Deployment stays InProgress for about 3.5 min
BLOCKED = re.compile(r"async thread was blocked for (\d+\.\d+) seconds")
SLOW = re.compile(
    r"Executing <(?P<what>Task[^>]*?name='(?P<name>[^']*)'[^>]*|[^>]*)>.*? took (?P<s>\d+\.\d+) seconds"
)

SEED = r"""
import json, sys, time
from datetime import datetime, timezone
kind, n, request_id, dag_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
from airflow_sm_provider.testing import load_dag
dag = load_dag(dag_file, "asm_trigger_bench")
from sqlalchemy import select
from airflow.models.dagbag import DBDagBag
from airflow.models.taskinstance import TaskInstance
from airflow.models.trigger import Trigger
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState, TaskInstanceState
from airflow.utils.types import DagRunTriggeredByType, DagRunType
if kind == "asm":
    from airflow_sm_provider.triggers.operation import AsmOperationTrigger
    make = lambda: AsmOperationTrigger(request_id, deadline=time.time() + 3600, poll_interval=5.0)
else:
    from datetime import timedelta
    from airflow.providers.standard.triggers.temporal import DateTimeTrigger
    make = lambda: DateTimeTrigger(moment=datetime.now(timezone.utc) + timedelta(hours=1))
with create_session() as session:
    sdag = DBDagBag().get_latest_version_of_dag(dag.dag_id, session=session)
    base = datetime.now(timezone.utc)
    from datetime import timedelta
    for i in range(n):  # n runs of a one-task DAG: n deferred task instances, each with a small DAG
        when = base - timedelta(minutes=i)
        sdag.create_dagrun(run_id=f"bench_{i:04d}", logical_date=when, data_interval=(when, when),
                           run_after=when, run_type=DagRunType.MANUAL,
                           triggered_by=DagRunTriggeredByType.TEST, state=DagRunState.RUNNING,
                           session=session)
    session.flush()
    tis = session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag.dag_id)).all()
    for ti in tis:
        trigger = Trigger.from_object(make())
        session.add(trigger)
        session.flush()
        ti.state, ti.trigger_id = TaskInstanceState.DEFERRED, trigger.id
        ti.next_method, ti.try_number = "execute_complete", 1
    session.commit()
print(json.dumps({"deferred": len(tis)}))
"""

DAG_FILE = """
from datetime import datetime, timezone
from airflow.sdk import DAG
from airflow_sm_provider.sensors.operation import AsmOperationSensor
with DAG("asm_trigger_bench", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    AsmOperationSensor(task_id="wait", request_id="bench", deferrable=True)
"""


def _in_progress_operation(ep: dict[str, str]) -> str:
    """A real Create Deployment that stays InProgress for the whole window (emulator at SPEED)."""
    from bench.common import our_client

    client = our_client(ep)
    name = f"trgbench{int(time.time())}"
    client.create_hosted_service(name, name, None, "West US").wait(poll_interval=0.1)
    cscfg = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<ServiceConfiguration serviceName="{name}" '
        'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">\n'
        '  <Role name="WebRole1"><Instances count="2"/><ConfigurationSettings/></Role>\n'
        "</ServiceConfiguration>\n"
    )
    import base64

    handle = client.create_deployment(
        name,
        "production",
        "v1",
        "https://pkgstore.blob.core.windows.net/packages/app.cspkg",
        "v1",
        base64.b64encode(cscfg.encode()).decode(),
    )
    return str(handle.request_id)


def _one_run(kind: str, n: int, ep: dict[str, str], request_id: str, debug: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="asm-trgbench-") as tmp:
        home = Path(tmp)
        (home / "dags").mkdir()
        dag_file = home / "dags" / "bench.py"
        dag_file.write_text(DAG_FILE)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            AIRFLOW_CONN_ASM_DEFAULT=conn_json(ep),
        )
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        seeded = subprocess.run(
            [sys.executable, "-c", SEED, kind, str(n), request_id, str(dag_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if seeded.returncode != 0:
            raise RuntimeError(seeded.stderr[-3000:])
        if debug:
            env["PYTHONASYNCIODEBUG"] = "1"
        log = home / "triggerer.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [AIRFLOW, "triggerer", "--capacity", str(n + 50)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        try:
            # The triggerer logs "N triggers currently running" once a minute: the first such line
            # ends the observation (every trigger has started by then), at most WINDOW s later.
            while time.monotonic() - started < WINDOW:
                if proc.poll() is not None:
                    raise RuntimeError(f"triggerer exited {proc.returncode}:\n{log.read_text()[-3000:]}")
                if _running(log) > 0:
                    break
                time.sleep(1)
        finally:
            stop_group(proc)
        text = log.read_text(errors="replace")
        LOGS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, LOGS / f"{kind}{'-debug' if debug else ''}-{int(time.time())}.log")
    blocks = [float(m.group(1)) for m in BLOCKED.finditer(text)]
    slow = [(m.group("name") or m.group("what")[:60], float(m.group("s"))) for m in SLOW.finditer(text)]
    ours = [s for name, s in slow if name.startswith(f"{DAG_ID}/")]  # a trigger's own task
    return {
        "kind": kind,
        "debug": debug,
        "blocks": blocks,
        "slow_ours": ours,
        "slow_other": [(name, s) for name, s in slow if not name.startswith(f"{DAG_ID}/")],
        "running": _running_text(text),
        "errors": len(re.findall(r"Trigger failed|Traceback", text)),
    }


def _running_text(text: str) -> int:
    found = re.findall(r"(\d+) triggers currently running", text)
    return max((int(x) for x in found), default=0)


def _running(log: Path) -> int:
    return _running_text(log.read_text(errors="replace"))


def _fmt(blocks: list[float]) -> str:
    if not blocks:
        return "0"
    return f"{len(blocks)} (max {max(blocks):.2f} s, median {statistics.median(blocks):.2f} s)"


def run(n: int, rounds: int) -> list[str]:
    t0 = time.time()
    results: list[dict[str, Any]] = []
    plan = [(kind, False) for _ in range(rounds) for kind in ("asm", "control")]
    plan += [("asm", True), ("control", True)]
    with (
        tempfile.TemporaryDirectory(prefix="asm-trgbench-emu-") as tmp,
        EmulatorProc(Path(tmp), SPEED) as emu,
    ):
        for kind, debug in plan:
            # a fresh operation per run, so the ASM triggers keep waiting through the whole window
            request_id = _in_progress_operation(emu.endpoint) if kind == "asm" else ""
            results.append(_one_run(kind, n, emu.endpoint, request_id, debug=debug))
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for r in results:
        slow = (
            f"trigger tasks: {len(r['slow_ours'])}"
            + (f" (max {max(r['slow_ours']):.2f} s)" if r["slow_ours"] else "")
            + f"; Airflow's: {len(r['slow_other'])}"
            + (f" (max {max(s for _, s in r['slow_other']):.2f} s)" if r["slow_other"] else "")
            if r["debug"]
            else "-"
        )
        rows.append(
            [
                "ASM operation" if r["kind"] == "asm" else "Airflow DateTimeTrigger",
                "yes" if r["debug"] else "no",
                r["running"],
                _fmt(r["blocks"]),
                slow,
                r["errors"],
            ]
        )
    others = sorted({name for r in results for name, _ in r["slow_other"]})
    lines = [
        "## 6. Triggerer event-loop blocking (issue 13)",
        "",
        f"Date: {when}; `python -m bench.triggerer_block --triggers {n} --rounds {rounds}` took "
        f"{(time.time() - t0) / 60:.1f} min; load average at the end {load()}. One `airflow triggerer` "
        f"(SQLite, 2 cores shared with other engineers), {n} deferred task instances whose triggers "
        f"start together, observed until the triggerer's first status line (60 s). "
        "Blocked = Airflow's own warning "
        "`Triggerer's async thread was blocked for X seconds` (threshold 0.2 s). With "
        "PYTHONASYNCIODEBUG=1 asyncio names each task whose step took over 0.1 s: *trigger tasks* = "
        "the task running one trigger (named after its task instance; in the ASM rows these are ours), "
        "*Airflow's* = any other task (the triggerer's own loop, creating triggers, messaging).",
        "",
        *table(
            ["triggers", "asyncio debug", "running", "blocked warnings", "slow steps by task", "errors"], rows
        ),
        "",
        "Airflow's slow tasks seen: " + (", ".join(f"`{o}`" for o in others) if others else "none") + ".",
    ]
    return lines


def write(lines: list[str]) -> None:
    text = DOC.read_text()
    block = "\n".join([BEGIN, *lines, END])
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    lines = run(args.triggers, args.rounds)
    print("\n".join(lines))
    if args.write:
        write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

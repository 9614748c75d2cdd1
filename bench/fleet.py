"""Fleet section: 10,000 concurrent operation waits on one subscription, over 2 processes and in 1.

``python -m bench fleet`` runs it alone (with its own 1,000-wait baseline); in ``make bench`` it
reuses the 1,000-wait figures section 3 measured minutes before, so the ratios compare one run.

Each "triggerer-like" process is ``bench.waiting_worker triggers`` (the same child as section 3:
``AsmOperationTrigger`` x its share on one asyncio loop, as a triggerer runs them). The emulator's
per-subscription rate limit (``POST /__admin__/rate-limit``) is switched on once the operations
exist, and every process gets the connection extra ``requests_per_second`` = its share of the
limit (the request budget, client/budget.py). 429 answers are the emulator's own ``throttled``
counter (``GET /__admin__/stats``).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from airflow_sm_provider.emulator.sessions import admin_call
from bench import waiting
from bench.common import EmulatorProc, Section, load, our_client

N = 10_000
POLL = 30.0  # 10,000 waits every 5 s would be 2,000 requests/s: far beyond 2 shared cores and ASM
SPREAD = 30.0  # the operations are created (hence complete) over this many seconds
DURATION = SPREAD + 2 * POLL  # completions start after the waiters' first round of polls
RATE_LIMIT = 450.0  # emulator, requests/s per subscription; demand is N / POLL = 333/s
BUDGET_SHARE = 0.9  # each process's budget: this fraction of the limit / number of processes
BUDGET_AFTER_LAST = 30.0


def _create(ep: dict[str, Any], n: int) -> list[str]:
    """``n`` create-storage operations paced over SPREAD s; this client's budget is lifted first."""
    from airflow_sm_provider.client.budget import configure_budget

    configure_budget(ep["host"], ep["subscription_id"], None)
    return waiting.create_ops(ep, n, SPREAD, "f{:05d}", "fleet")


def scenario(procs: int, work: Path) -> dict[str, Any]:
    """N waits split round-robin over ``procs`` processes; returns per-process results and totals."""
    work.mkdir()
    with EmulatorProc(work / "emu", 21.0 / DURATION) as emu:
        ep, admin = emu.endpoint, waiting._admin(emu.endpoint)
        budget = RATE_LIMIT * BUDGET_SHARE / procs
        with our_client(ep) as client:
            warm = client.create_hosted_service(f"warm{procs}", "warm", "bench", location="West Europe")
        workers = [
            waiting.start_worker(
                "triggers",
                str(warm.request_id),
                ep,
                work,
                (work / f"in-{k}.json", work / f"out-{k}.json"),
                budget,
            )
            for k in range(procs)
        ]
        try:
            ids = _create(ep, N)
            ops = admin_call(ep, "GET", "state", session=admin, timeout=120)["operations"]
            ends = {o["id"].replace("-", "").lower(): float(o["ends"]) for o in ops}
            admin_call(ep, "DELETE", "faults", session=admin)
            admin_call(ep, "POST", "faults", waiting.COUNT_RULE, session=admin)
            admin_call(ep, "POST", "rate-limit", {"rps": RATE_LIMIT}, session=admin)
            before = admin_call(ep, "GET", "stats", session=admin)
            series: list[tuple[float, int]] = []
            stop = threading.Event()
            sampler = threading.Thread(target=waiting._sample_requests, args=(ep, stop, series), daemon=True)
            cpu0 = emu.cpu()
            sampler.start()
            t0 = time.time()
            deadline = max(ends.values()) - time.time() + POLL + BUDGET_AFTER_LAST
            for k in range(procs):
                tmp = work / f"in-{k}.tmp"
                tmp.write_text(json.dumps({"request_ids": ids[k::procs], "poll": POLL, "budget": deadline}))
                tmp.rename(work / f"in-{k}.json")
            errs = []
            for proc in workers:
                try:
                    errs.append(proc.communicate(timeout=max(1.0, deadline + 60 - (time.time() - t0)))[1])
                except subprocess.TimeoutExpired:
                    proc.kill()
                    errs.append(proc.communicate()[1])
            wall = time.time() - t0
            stop.set()
            sampler.join()
            emu_cpu = emu.cpu() - cpu0
            after = admin_call(ep, "GET", "stats", session=admin)
        finally:
            for proc in workers:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    results = []
    for k, proc in enumerate(workers):
        out, partial = work / f"out-{k}.json", work / f"out-{k}.partial"
        if proc.returncode == 0 and out.exists():
            results.append(json.loads(out.read_text()))
        elif partial.exists():
            results.append(json.loads(partial.read_text()))
        else:
            raise RuntimeError(f"fleet worker {k} failed: {errs[k][-2000:]}")
    return {
        "procs": procs,
        "results": results,
        "ids": ids,
        "ends": ends,
        "wall": wall,
        "series": series,
        "emu_cpu": emu_cpu,
        "throttled": int(after["throttled"]) - int(before["throttled"]),
        "budget": budget,
    }


def _baseline() -> dict[str, Any]:
    """Section 3's 1,000-wait figures from this run of ``make bench``, else measured now."""
    if waiting.LAST is not None:
        return waiting.LAST
    with tempfile.TemporaryDirectory(prefix="asm-bench-fleet-base-") as tmp:
        return waiting._summarise(waiting._scenario("triggers", Path(tmp)))


def run() -> Section:
    from bench import fleet_report  # it imports this module's settings

    load_before = load()
    base = _baseline()
    with tempfile.TemporaryDirectory(prefix="asm-bench-fleet-") as tmp:
        two = fleet_report.summarise(scenario(2, Path(tmp) / "two"))
        one = fleet_report.summarise(scenario(1, Path(tmp) / "one"))
    return fleet_report.render(two, one, base, load_before)

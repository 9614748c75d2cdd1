"""Fleet section: 10,000 concurrent operation waits on one subscription, over 2 processes and in 1.

``python -m bench fleet`` runs it alone (with its own 1,000-wait baseline); in ``make bench`` it
reuses the 1,000-wait figures section 3 measured minutes before, so the ratios compare one run.

Each "triggerer-like" process is ``bench.waiting_worker triggers`` (the same child as section 3:
``AsmOperationTrigger`` x its share on one asyncio loop, as a triggerer runs them). The emulator's
per-subscription rate limit (``POST /__admin__/rate-limit``) is switched on once the operations
exist, and every process gets the connection extra ``requests_per_second`` = its share of the
limit (the request budget, client/budget.py), both only where this checkout has them: what was
there is printed with the figures. 429 answers are the emulator's own ``throttled`` counter.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import waiting
from bench.common import ROOT, EmulatorProc, Section, load, our_client, percentile, table

N = 10_000
POLL = 30.0  # 10,000 waits every 5 s would be 2,000 requests/s: far beyond 2 shared cores and ASM
SPREAD = 30.0  # the operations are created (hence complete) over this many seconds
DURATION = SPREAD + 2 * POLL  # completions start after the waiters' first round of polls
RATE_LIMIT = 450.0  # emulator, requests/s per subscription; demand is N / POLL = 333/s
BUDGET_SHARE = 0.9  # each process's budget: this fraction of the limit / number of processes
BUDGET_AFTER_LAST = 30.0
COUNT_RULE = {"action": "slow", "operation": "get_operation_status", "rate": 0.0}  # counts, never fires


def has_budget() -> bool:
    return importlib.util.find_spec("airflow_sm_provider.client.budget") is not None


def _stats(admin: Any, ep: dict[str, Any]) -> dict[str, Any] | None:
    resp = admin.get(ep["admin_url"] + "stats", timeout=30)
    return dict(resp.json()) if resp.status_code == 200 else None


def _conn(ep: dict[str, Any], rps: float | None) -> str:
    extra: dict[str, Any] = {
        "subscription_id": ep["subscription_id"],
        "certificate_path": ep["client_pem"],
        "ca_bundle": ep["ca_cert"],
    }
    if rps is not None:
        extra["requests_per_second"] = rps
    return json.dumps({"conn_type": "azure_service_management", "host": ep["host"], "extra": extra})


def _create(ep: dict[str, Any], n: int) -> list[str]:
    """``n`` create-storage operations paced over SPREAD s; this client's budget is lifted first."""
    if has_budget():
        from airflow_sm_provider.client.budget import configure_budget

        configure_budget(ep["host"], ep["subscription_id"], None)
    ids: list[str] = []
    with our_client(ep) as client:
        t0 = time.monotonic()
        for i in range(n):
            pause = t0 + i * SPREAD / n - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            ids.append(
                str(
                    client.create_storage_account(
                        f"f{i:05d}", "fleet", "fleet", location="West Europe"
                    ).request_id
                )
            )
    return ids


def _worker(k: int, warm_id: str, ep: dict[str, Any], work: Path, rps: float | None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(work / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW_CONN_ASM_DEFAULT": _conn(ep, rps),
        "BENCH_ENDPOINT": json.dumps(ep),
        "PYTHONPATH": str(ROOT),
    }
    args = [str(work / f"in-{k}.json"), str(work / f"out-{k}.json")]
    return subprocess.Popen(
        [sys.executable, "-m", "bench.waiting_worker", "triggers", warm_id, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def scenario(procs: int, work: Path) -> dict[str, Any]:
    """N waits split round-robin over ``procs`` processes; returns per-process results and totals."""
    work.mkdir()
    with EmulatorProc(work / "emu", 21.0 / DURATION) as emu:
        ep, admin = emu.endpoint, waiting._admin(emu.endpoint)
        budget = RATE_LIMIT * BUDGET_SHARE / procs if has_budget() else None
        with our_client(ep) as client:
            warm = client.create_hosted_service(f"warm{procs}", "warm", "bench", location="West Europe")
        workers = [_worker(k, str(warm.request_id), ep, work, budget) for k in range(procs)]
        try:
            ids = _create(ep, N)
            ops = admin.get(ep["admin_url"] + "state", timeout=120).json()["operations"]
            ends = {o["id"].replace("-", "").lower(): float(o["ends"]) for o in ops}
            admin.delete(ep["admin_url"] + "faults", timeout=30)
            admin.post(ep["admin_url"] + "faults", json=COUNT_RULE, timeout=30)
            limited = admin.post(ep["admin_url"] + "rate-limit", json={"rps": RATE_LIMIT}, timeout=30).ok
            before = _stats(admin, ep)
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
            after = _stats(admin, ep)
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
    throttled = None
    if before is not None and after is not None:
        throttled = int(after.get("throttled", 0)) - int(before.get("throttled", 0))
    return {
        "procs": procs,
        "results": results,
        "ids": ids,
        "ends": ends,
        "wall": wall,
        "series": series,
        "emu_cpu": emu_cpu,
        "throttled": throttled,
        "rate_limited": limited,
        "budget": budget,
    }


def summarise(s: dict[str, Any]) -> dict[str, Any]:
    detected: dict[str, float] = {}
    for r in s["results"]:
        detected.update(r["detected"])
    delays = [detected[rid] - s["ends"][rid.lower()] for rid in s["ids"] if rid in detected]
    requests = s["series"][-1][1] if s["series"] else 0
    cpu = sum(r["cpu_s"] for r in s["results"])
    per = [
        {
            "lag_p99": percentile([x * 1000 for x in r["lags"]], 99),
            "rss": r["final"]["VmHWM"] / 1024,
            "cpu": r["cpu_s"],
            "done": len(r["detected"]),
            "partial": bool(r.get("partial")),
        }
        for r in s["results"]
    ]
    return {
        "procs": s["procs"],
        "done": len(detected),
        "per": per,
        "lag_p99": max(p["lag_p99"] for p in per),
        "delay_p50": percentile(delays, 50),
        "delay_p99": percentile(delays, 99),
        "delay_max": max(delays, default=0.0),
        "requests": requests,
        "rate": requests / s["wall"] if s["wall"] else 0.0,
        "cpu_per_poll": cpu * 1000 / requests if requests else 0.0,
        "rss_max": max(p["rss"] for p in per),
        "throttled": s["throttled"],
        "rate_limited": s["rate_limited"],
        "budget": s["budget"],
        "emu_cpu": s["emu_cpu"],
        "wall": s["wall"],
    }


def _baseline() -> dict[str, Any]:
    """Section 3's 1,000-wait figures from this run of ``make bench``, else measured now."""
    if waiting.LAST is not None:
        return waiting.LAST
    with tempfile.TemporaryDirectory(prefix="asm-bench-fleet-base-") as tmp:
        return waiting._summarise(waiting._scenario("triggers", Path(tmp)))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def run() -> Section:
    sec = Section(f"6. Fleet: {N:,} concurrent operation waits on one subscription")
    load_before = load()
    base = _baseline()
    with tempfile.TemporaryDirectory(prefix="asm-bench-fleet-") as tmp:
        two = summarise(scenario(2, Path(tmp) / "two"))
        one = summarise(scenario(1, Path(tmp) / "one"))
    rows = []
    for s in (two, one):
        per = "; ".join(
            f"p{k + 1}: {p['done']} done{' (KILLED, last snapshot)' if p['partial'] else ''}, "
            f"lag p99 {p['lag_p99']:.0f} ms, peak RSS {p['rss']:.0f} MiB, CPU {p['cpu']:.0f} s"
            for k, p in enumerate(s["per"])
        )
        rows.append(
            [
                f"{s['procs']} process{'es' if s['procs'] > 1 else ''}",
                f"{s['done']}/{N}",
                "n/a (no stats endpoint)" if s["throttled"] is None else s["throttled"],
                f"{s['lag_p99']:.1f}",
                f"{s['delay_p50']:.2f} / {s['delay_p99']:.2f} / {s['delay_max']:.2f}",
                f"{s['rss_max']:.0f}",
                f"{s['cpu_per_poll']:.2f}",
                f"{s['rate']:.0f}",
                f"{s['emu_cpu']:.0f}",
                f"{s['wall']:.0f}",
                per,
            ]
        )
    goal_delay = POLL + 2
    for s in (two, one):
        label = f"6. fleet {s['procs']} proc"
        thr = s["throttled"]
        sec.summary += [
            (f"{label}: 429 answers", "n/a" if thr is None else str(thr), "goal 0: " + _verdict(thr, 0)),
            (
                f"{label}: lag p99, worst process",
                f"{s['lag_p99']:.1f} ms",
                "goal < 50 ms: " + _verdict(s["lag_p99"] < 50),
            ),
            (
                f"{label}: detection delay p99",
                f"{s['delay_p99']:.2f} s",
                f"goal <= {goal_delay:.0f} s: " + _verdict(s["delay_p99"] <= goal_delay),
            ),
            (
                f"{label}: finished / peak RSS per process / CPU per poll",
                f"{s['done']}/{N} / {s['rss_max']:.0f} MiB / {s['cpu_per_poll']:.2f} ms",
                "",
            ),
        ]
    ratio_rows = [
        [
            f"{s['procs']} proc / 1,000 waits",
            _ratio(s["lag_p99"], base["lag_p99"]),
            _ratio(s["delay_p99"], base["delay_p99"]),
            _ratio(s["delay_p99"] / POLL, base["delay_p99"] / waiting.POLL),
            _ratio(s["rss_max"], base["peak_rss"]),
            _ratio(s["cpu_per_poll"], base["cpu_per_req"]),
        ]
        for s in (two, one)
    ]
    limit = (
        f"on at {RATE_LIMIT:.0f} requests/s"
        if two["rate_limited"]
        else "NOT available in this emulator (no 429 possible)"
    )
    budget = (
        f"`requests_per_second` = {RATE_LIMIT * BUDGET_SHARE / 2:.0f} per process with 2 processes, "
        f"{RATE_LIMIT * BUDGET_SHARE:.0f} with 1 ({BUDGET_SHARE:.0%} of the limit split evenly)"
        if has_budget()
        else "not in this checkout (client/budget.py missing): the processes poll unbudgeted"
    )
    sec.add(
        f"{N:,} Create Storage Account operations on ONE subscription, created at an even pace "
        f"over {SPREAD:.0f} s on an emulator slowed so each takes {DURATION:.0f} s, so they complete "
        f"over {SPREAD:.0f} s after the waiters' first two rounds of polls. Poll interval {POLL:.0f} s "
        f"(not section 3's 5 s: {N:,} waits every 5 s would ask for {N / 5:,.0f} requests/s; every "
        f"{POLL:.0f} s it is {N / POLL:.0f}/s). Each process is `bench.waiting_worker triggers` "
        "(section 3's child: `AsmOperationTrigger` x its share on one asyncio loop), the waits split "
        f"round-robin. Emulator rate limit: {limit}. Request budget: {budget}. 429 answers: the "
        "emulator's `throttled` counter (`GET /__admin__/stats`) over the waiting phase. CPU per poll: "
        "all waiter processes' CPU / the emulator's count of get_operation_status requests. "
        f"Load average before: {load_before}.",
        "",
        *table(
            [
                "waiters",
                "finished",
                "429 answers",
                "lag p99 ms (worst process)",
                "detection delay s p50 / p99 / max",
                "peak RSS MiB (largest process)",
                "CPU ms per poll",
                "requests/s mean",
                "emulator CPU s",
                "wall s",
                "per process",
            ],
            rows,
        ),
        "",
        "Ratios to the 1,000-wait run (section 3's shipped-triggers row) measured in the same "
        "`python -m bench` invocation (1,000 waits, one process, "
        f"5 s poll: lag p99 {base['lag_p99']:.1f} ms, detection p99 {base['delay_p99']:.2f} s, "
        f"peak RSS {base['peak_rss']:.0f} MiB, {base['cpu_per_req']:.2f} ms CPU per poll):",
        "",
        *table(
            [
                "",
                "lag p99",
                "detection delay p99",
                "detection delay p99 / poll interval",
                "peak RSS per process",
                "CPU per poll",
            ],
            ratio_rows,
        ),
    )
    return sec


def _verdict(value: object, want: object = True) -> str:
    """``met`` / ``MISSED`` for ``value == want``; ``n/a`` when the figure could not be measured."""
    return "n/a" if value is None else ("met" if value == want else "MISSED")

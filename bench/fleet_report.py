"""Section 6's report: per-scenario summary, the table, the goals, the ratios to the 1,000-wait run.

Kept apart from ``bench/fleet.py`` (which measures) so each file reads in one sitting.
"""

from __future__ import annotations

from typing import Any

from bench import waiting
from bench.common import Section, percentile, table
from bench.fleet import BUDGET_SHARE, DURATION, POLL, RATE_LIMIT, SPREAD, N


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
        "budget": s["budget"],
        "emu_cpu": s["emu_cpu"],
        "wall": s["wall"],
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def render(two: dict[str, Any], one: dict[str, Any], base: dict[str, Any], load_before: str) -> Section:
    sec = Section(f"6. Fleet: {N:,} concurrent operation waits on one subscription")
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
                s["throttled"],
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
            (f"{label}: 429 answers", str(thr), "goal 0: " + _verdict(thr, 0)),
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
    limit = f"on at {RATE_LIMIT:.0f} requests/s"
    budget = (
        f"`requests_per_second` = {RATE_LIMIT * BUDGET_SHARE / 2:.0f} per process with 2 processes, "
        f"{RATE_LIMIT * BUDGET_SHARE:.0f} with 1 ({BUDGET_SHARE:.0%} of the limit split evenly)"
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

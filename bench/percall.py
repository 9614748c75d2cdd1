"""1. Per-call cost: small GETs through our client, the old SDK and a bare requests.Session."""

from __future__ import annotations

import statistics
from typing import Any

from bench.common import Section, floor_session, legacy_client, med_range, our_client, table
from bench.timing import Samples, measure

N = 100
REPEATS = 9
GOAL = 1.2


def _variants(ep: dict[str, str], path: str, ours: Any, legacy: Any) -> dict[str, Any]:
    session = floor_session(ep)
    url = f"https://{ep['host']}/{ep['subscription_id']}{path}"

    def floor() -> bytes:
        resp = session.get(url)
        resp.raise_for_status()
        return resp.content

    return {"floor (requests GET)": floor, "ours": ours, "old SDK 0.20.8": legacy}


def run(ep: dict[str, str], emulator_pid: int, service: str, request_id: str) -> Section:
    sec = Section("1. Per-call cost (small GETs over one reused mTLS connection)")
    ours, legacy = our_client(ep), legacy_client(ep)
    calls = {
        "get_deployment_by_slot": (
            f"/services/hostedservices/{service}/deploymentslots/production",
            lambda: ours.get_deployment_by_slot(service, "production"),
            lambda: legacy.get_deployment_by_slot(service, "production"),
        ),
        "get_operation_status": (
            f"/operations/{request_id}",
            lambda: ours.get_operation_status(request_id),
            lambda: legacy.get_operation_status(request_id),
        ),
    }
    rows = []
    for call, (path, o, lg) in calls.items():
        res = measure(_variants(ep, path, o, lg), N, REPEATS, emulator_pid)
        floor = res["floor (requests GET)"]
        floor_ms = statistics.median(floor.wall)
        for name, s in res.items():
            rows.append(_row(call, name, s, floor))
            if name == "ours":
                ratio = statistics.median(s.wall) / floor_ms
                verdict = "met" if ratio <= GOAL else "MISSED"
                sec.summary.append(
                    (f"1. {call}: ours / floor", f"{ratio:.2f}x", f"goal <= {GOAL}x: {verdict}")
                )
            if name.startswith("old"):
                ratio = statistics.median(s.wall) / floor_ms
                sec.summary.append((f"1. {call}: old SDK / floor", f"{ratio:.2f}x", "(reference)"))
    ours.close()
    sec.add(
        f"{N} sequential calls per repeat, {REPEATS} repeats, variants interleaved; after 5 warm-up calls "
        "each. Emulator: a subprocess (`--speed 1000`), one keep-alive mTLS connection per client. "
        "Wall ratios move with the load of other processes on the 2 cores; the CPU ratio does not.",
        "",
        *table(
            [
                "call",
                "client",
                "wall ms/call median (min-max)",
                "x floor (medians)",
                "x floor (mins)",
                "client CPU ms/call",
                "emulator CPU ms/call",
                "x floor (client+emulator CPU)",
            ],
            rows,
        ),
        "",
        "*wall* includes the emulator's own service time, the same for all three clients. *client CPU* is "
        "this process's CPU time per call (the emulator runs in another process), so it is the client's "
        "own cost: parsing, models, requests/urllib3 and the TLS record layer. *emulator CPU* is the "
        "emulator process's CPU time per call (from /proc), i.e. the server side of every number. The "
        "CPU ratio adds the client's median to the emulator's mean over all repeats: /proc counts 10 ms "
        "ticks, so the emulator's per-repeat figures move in 0.1 ms steps; their mean is the total over "
        "every call.",
    )
    return sec


def cpu_ratio(s: Samples, floor: Samples) -> float:
    """(client + emulator CPU) per call, relative to the floor's: the load-independent ratio.

    The client's part is the median of the repeats (``process_time``, fine-grained). The
    emulator's is the mean over all repeats, i.e. its total CPU over all calls: /proc counts in
    10 ms clock ticks, 0.1 ms per call in a 100-call repeat, so a median of repeats jumps in
    those steps (+/-10 % of a small call) while the total over every call does not.
    """
    return (statistics.median(s.cpu) + statistics.fmean(s.server)) / (
        statistics.median(floor.cpu) + statistics.fmean(floor.server)
    )


def _row(call: str, name: str, s: Samples, floor: Samples) -> list[str]:
    return [
        call,
        name,
        med_range(s.wall),
        f"{statistics.median(s.wall) / statistics.median(floor.wall):.2f}",
        f"{min(s.wall) / min(floor.wall):.2f}",
        med_range(s.cpu),
        med_range(s.server),
        f"{cpu_ratio(s, floor):.2f}",
    ]

"""Child process of section 3: wait for N operations, record detection times, lag, RSS, threads.

``python -m bench.waiting_worker MODE WARM_ID IN.json OUT.json`` with MODE ``triggers`` (N
``AsmOperationTrigger`` on one asyncio loop, the provider as shipped), ``triggers-nK`` (the same
with ``AsyncTransport(max_connections=K)``) or ``threads`` (the old SDK's
``wait_for_operation_status`` in N threads, one client each, as N separate tasks would have).

The worker first warms up -- one wait on the finished operation WARM_ID, which pays Airflow's lazy
start-up (config, providers manager) as a running triggerer already has -- then waits for IN.json
(``{"request_ids": [...], "poll": seconds}``; the endpoint is in ``BENCH_ENDPOINT``), written by
the parent once all operations exist, so the warm-up overlaps their creation.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

TICK = 0.01


def status() -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) in KiB and the thread count of this process."""
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Threads"):
            out[key] = int(value.split()[0])
    return out


LAST_TICK = [0.0]  # perf_counter of the ticker's last wake-up (read by the snapshot thread)


def start_snapshots(dst: Path, state: dict[str, Any]) -> None:
    """Every 2 s, from a thread, write what is known so far to DST.partial.

    If the event loop is stuck (the parent then kills this process), the parent still gets the
    finished count, peak RSS and the stall in progress (now - the ticker's last wake-up).
    """

    def loop() -> None:
        while True:
            time.sleep(2.0)
            stall = time.perf_counter() - LAST_TICK[0] if LAST_TICK[0] else 0.0
            snap = {
                "detected": dict(state.get("detected", {})),
                "statuses": dict(state.get("statuses", {})),
                "lags": [*state.get("lags", []), stall],
                "peak": dict(state.get("peak", {})),
                "final": status(),
                "started": state.get("started", time.time()),
                "warm_lag_ms": state.get("warm_lag_ms", 0.0),
                "baseline": state.get("baseline", status()),
                "cpu_s": time.process_time() - state.get("cpu0", 0.0),
                "partial": True,
            }
            tmp = dst.with_suffix(".tmp")
            tmp.write_text(json.dumps(snap))
            tmp.rename(dst.with_suffix(".partial"))

    threading.Thread(target=loop, daemon=True).start()


STATE: dict[str, Any] = {}


async def _ticker(lags: list[float], stop: asyncio.Event, peak: dict[str, int]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        await asyncio.sleep(TICK)
        LAST_TICK[0] = time.perf_counter()
        lags.append(LAST_TICK[0] - t0 - TICK)
        peak["Threads"] = max(peak.get("Threads", 0), status()["Threads"])


async def _wait_for(path: Path) -> None:
    while not path.exists():
        await asyncio.sleep(0.05)


async def _warm_triggers(warm_id: str) -> float:
    """One trigger on a finished operation; returns the worst loop lag (ms) meanwhile."""
    from airflow_sm_provider.triggers.operation import AsmOperationTrigger

    lags: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(lags, stop, {}))
    async for _ in AsmOperationTrigger(warm_id, deadline=time.time() + 120, poll_interval=1).run():
        break
    stop.set()
    await ticker
    return max(lags, default=0.0) * 1000


async def _triggers(warm_id: str, src: Path) -> dict[str, Any]:
    from airflow_sm_provider.triggers.operation import AsmOperationTrigger

    warm_lag = await _warm_triggers(warm_id)
    base = status()
    await _wait_for(src)
    cpu0 = time.process_time()
    spec = json.loads(src.read_text())
    request_ids, poll = spec["request_ids"], spec["poll"]
    lags: list[float] = []
    peak: dict[str, int] = {}
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(lags, stop, peak))
    detected: dict[str, float] = {}
    statuses: dict[str, str] = {}
    STATE.update(
        detected=detected,
        statuses=statuses,
        lags=lags,
        peak=peak,
        baseline=base,
        cpu0=cpu0,
        warm_lag_ms=warm_lag,
    )
    deadline = time.time() + 600

    async def one(rid: str) -> None:
        trigger = AsmOperationTrigger(rid, deadline=deadline, poll_interval=poll)
        async for event in trigger.run():
            detected[rid] = time.time()
            statuses[rid] = str(event.payload.get("status"))
            return

    started = STATE["started"] = time.time()
    tasks = [asyncio.create_task(one(rid)) for rid in request_ids]
    _, pending = await asyncio.wait(tasks, timeout=spec["budget"])
    for task in pending:  # out of time budget: report what finished
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    stop.set()
    await ticker
    return {
        "started": started,
        "detected": detected,
        "statuses": statuses,
        "lags": lags,
        "peak": peak,
        "warm_lag_ms": warm_lag,
        "baseline": base,
        "cpu0": cpu0,
    }


def _threads(warm_id: str, src: Path) -> dict[str, Any]:
    from bench.common import legacy_client

    endpoint = json.loads(os.environ["BENCH_ENDPOINT"])
    legacy_client(endpoint).get_operation_status(warm_id)
    base = status()
    while not src.exists():
        time.sleep(0.05)
    cpu0 = time.process_time()
    spec = json.loads(src.read_text())
    request_ids, poll = spec["request_ids"], spec["poll"]

    detected: dict[str, float] = {}
    statuses: dict[str, str] = {}
    lags: list[float] = []
    peak: dict[str, int] = {}
    done = threading.Event()

    def ticker() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            time.sleep(TICK)
            LAST_TICK[0] = time.perf_counter()
            lags.append(LAST_TICK[0] - t0 - TICK)
            peak["Threads"] = max(peak.get("Threads", 0), status()["Threads"])

    def one(rid: str) -> None:
        sms = legacy_client(endpoint)
        op = sms.wait_for_operation_status(
            rid,
            timeout=600,
            sleep_interval=poll,
            progress_callback=None,
            success_callback=None,
            failure_callback=None,
        )
        detected[rid] = time.time()
        statuses[rid] = str(op.status)

    STATE.update(detected=detected, statuses=statuses, lags=lags, peak=peak, baseline=base, cpu0=cpu0)
    tick = threading.Thread(target=ticker, daemon=True)
    tick.start()
    started = STATE["started"] = time.time()
    workers = [threading.Thread(target=one, args=(rid,), daemon=True) for rid in request_ids]
    for w in workers:
        w.start()
    end_by = started + spec["budget"]
    for w in workers:
        w.join(timeout=max(0.0, end_by - time.time()))
    done.set()
    tick.join()
    return {
        "started": started,
        "detected": detected,
        "statuses": statuses,
        "lags": lags,
        "peak": peak,
        "warm_lag_ms": 0.0,
        "baseline": base,
        "cpu0": cpu0,
    }


def set_max_connections(limit: int) -> None:
    """Run the triggers with ``AsyncTransport(max_connections=limit)`` (the N sweep of section 3).

    The hook builds the client, so the default is changed from outside; the product default is
    ``transport.ASYNC_MAX_CONNECTIONS``.
    """
    from airflow_sm_provider.client import transport

    original_init = transport.AsyncTransport.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_connections", limit)
        original_init(self, *args, **kwargs)

    transport.AsyncTransport.__init__ = __init__  # type: ignore[method-assign]


def main() -> None:
    mode, warm_id, src, dst = sys.argv[1:5]
    start_snapshots(Path(dst), STATE)
    if mode.startswith("triggers-n"):  # triggers-n8: max_connections=8
        set_max_connections(int(mode.removeprefix("triggers-n")))
    if mode.startswith("triggers"):
        result = asyncio.run(_triggers(warm_id, Path(src)))
    else:
        result = _threads(warm_id, Path(src))
    result["final"] = status()
    result["cpu_s"] = time.process_time() - result.pop("cpu0")
    Path(dst).write_text(json.dumps(result))


if __name__ == "__main__":
    main()

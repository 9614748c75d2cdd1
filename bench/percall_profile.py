"""Where a small call's client CPU goes: ``python -m bench.percall_profile [calls] [--profile]``.

Not part of ``make bench`` (its numbers are not in docs/benchmarks.md); it is the tool behind
section 1's analysis. Against one emulator subprocess it prints, for get_deployment_by_slot and
get_operation_status:

* the client CPU per call (``process_time``, which the load of other processes does not change)
  of the floor (a bare ``requests`` GET on a keep-alive mTLS session, as in section 1) and of ours,
  medians of interleaved repeats;
* our own per-call pieces without I/O, best of 5 ``timeit`` runs: ``Op.bind`` (checks, path,
  query), the request plan driven with a canned answer (budget token, prepare, attempt,
  finish) and ``Op.parse`` of the real answer body;
* with ``--profile``, the cProfile entries of ours sorted by own time (``tottime``).
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import EmulatorProc, floor_session, make_service, our_client

REPEATS = 7


def _cpu_us(variants: dict[str, Callable[[], object]], calls: int) -> dict[str, float]:
    """Median client CPU microseconds per call of each variant, repeats interleaved."""
    per_repeat = max(1, calls // REPEATS)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():
        for _ in range(30):
            fn()
    for _ in range(REPEATS):
        for name, fn in variants.items():
            c0 = time.process_time()
            for _ in range(per_repeat):
                fn()
            samples[name].append((time.process_time() - c0) * 1e6 / per_repeat)
    return {name: statistics.median(v) for name, v in samples.items()}


def _best_us(fn: Callable[[], object], number: int = 5000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) * 1e6 / number


def _pieces(client: Any, name: str, args: tuple[Any, ...]) -> dict[str, float]:
    from airflow_sm_provider.client import plan
    from airflow_sm_provider.client.operations import OPERATIONS

    op = OPERATIONS[name]
    endpoint = client._transport._endpoint
    request, _ = op.bind(args)
    response = client._transport.send(request)
    answer = plan.Answer(response.status, dict(response.headers), response.body)

    def run_plan() -> object:
        run = plan.PlanRun(plan.request_plan(endpoint, request))
        while run.pending:
            run.advance(answer)
        return run.result

    return {
        "Op.bind": _best_us(lambda: op.bind(args)),
        "request plan (canned answer)": _best_us(run_plan),
        f"Op.parse ({len(response.body)} B body)": _best_us(lambda: op.parse(response)),
    }


def main(argv: list[str]) -> int:
    calls = int(next((a for a in argv if a.isdigit()), "2000"))
    with tempfile.TemporaryDirectory(prefix="asm-prof-") as tmp, EmulatorProc(Path(tmp) / "emu", 1000) as emu:
        ep = emu.endpoint
        client = our_client(ep)
        request_id = make_service(client, "benchsmall", 1, 2)
        session = floor_session(ep)
        base = f"https://{ep['host']}/{ep['subscription_id']}"
        cases: dict[str, tuple[str, tuple[Any, ...]]] = {
            "get_deployment_by_slot": (
                "/services/hostedservices/benchsmall/deploymentslots/production",
                ("benchsmall", "production"),
            ),
            "get_operation_status": (f"/operations/{request_id}", (request_id,)),
        }
        for name, (path, args) in cases.items():
            method = getattr(client, name)

            def floor(url: str = base + path) -> bytes:
                resp = session.get(url)
                resp.raise_for_status()
                return resp.content

            def ours(method: Callable[..., object] = method, args: tuple[Any, ...] = args) -> object:
                return method(*args)

            cpu = _cpu_us({"floor": floor, "ours": ours}, calls)
            print(
                f"{name}: client CPU per call floor {cpu['floor']:.0f} us, ours {cpu['ours']:.0f} us "
                f"({cpu['ours'] / cpu['floor']:.2f}x)"
            )
            for piece, us in _pieces(client, name, args).items():
                print(f"  {piece:34s} {us:6.1f} us")
            if "--profile" in argv:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(calls):
                    ours()
                profile.disable()
                pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

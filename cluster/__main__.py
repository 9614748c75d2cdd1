"""``make cluster`` (``python -m cluster``): the example DAGs on a real cluster, then nothing left behind.

Brings up the :class:`~cluster.stack.Stack`, then through the scheduler (``deferrable=True``):
two ``blue_green_release`` runs (v1 into an empty production, v2 swapped in and v1 retired), one
``nightly_teardown`` (deletes a marked ephemeral service, keeps the release's), and one
``rolling_upgrade`` (r1 to r2, domain by domain). Checks each outcome against the emulator's own
state (one create and one swap per release) and prints its request and 429 counters, prints a
summary and exits non-zero on any miss.
SIGTERM, SIGHUP and Ctrl-C tear the stack down like a normal exit; so does any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from cluster.releases import (
    PACKAGE_URL,
    conf_for,
    create_service,
    deploy_live,
    release,
    run_dag,
    service_names,
    slots,
)
from cluster.stack import EXAMPLE_DAGS, Stack


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


class Report:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.rows: list[tuple[str, str, str]] = []
        self.problems: list[str] = []
        self.figures: dict[str, Any] = {}

    def step(self, what: str, outcome: str, detail: str = "") -> None:
        self.rows.append((what, outcome, detail))
        print(f"[{time.monotonic() - self.t0:6.1f}s] {what}: {outcome} {detail}", flush=True)

    def expect(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)
            print(f"          PROBLEM: {problem}", flush=True)


def scenario(stack: Stack, rep: Report) -> None:
    laps = ", ".join(f"{k} {v:.1f}s" for k, v in stack.timings.items())
    rep.step("bring-up", "ok", f"{laps}; work dir {stack.work}")
    rep.figures["bring_up"] = dict(stack.timings)
    api, ep = stack.api, stack.emulator.endpoint if stack.emulator else {}
    dags = ["blue_green_release", "nightly_teardown", "rolling_upgrade"]
    t0 = time.monotonic()
    for dag_id in dags:
        api.wait_for_dag(dag_id, 240, stack.check)
    rep.step("DAGs parsed by the dag-processor", "ok", f"{', '.join(dags)} in {time.monotonic() - t0:.1f}s")

    service = "cl-" + os.urandom(3).hex()
    teardown = conf_for(api, "nightly_teardown")
    eph = f"{teardown['name_prefix']}{os.urandom(3).hex()}"
    create_service(ep, service)
    create_service(ep, eph, {str(teardown["ephemeral_property"]): str(teardown["ephemeral_value"])})
    rep.step("cloud services created", "ok", f"{service} (release target), {eph} (marked ephemeral)")

    holders: set[str] = set()
    for version, cscfg in (("v1", "v1.cscfg"), ("v2", "v2.cscfg")):
        w = release(
            api, service, version, cscfg, poll_interval=stack.poll_interval, tick=lambda _w: stack.check()
        )
        now = slots(ep, service)
        for hs in w.holders.values():
            holders |= hs
        rep.figures[f"release_{version}_s"] = round(w.seconds, 1)
        rep.step(
            f"blue_green_release {version}",
            w.state,
            f"in {w.seconds:.1f}s; deferred: {sorted(w.deferred)}; slots {now}",
        )
        rep.expect(w.state == "success", f"release {version}: run {w.state}: {w.states()}")
        rep.expect(now["production"] == version, f"release {version}: production holds {now['production']}")
        rep.expect(bool(w.deferred), f"release {version}: no task was ever deferred")
    rep.expect(slots(ep, service)["staging"] is None, "v1 was not retired from staging")

    w = run_dag(api, "nightly_teardown", "teardown-1", teardown, tick=lambda _w: stack.check())
    names = service_names(ep)
    rep.figures["teardown_s"] = round(w.seconds, 1)
    rep.step("nightly_teardown", w.state, f"in {w.seconds:.1f}s; services left: {sorted(names)}")
    rep.expect(w.state == "success", f"teardown: run {w.state}: {w.states()}")
    rep.expect(eph not in names, f"teardown left {eph}")
    rep.expect(service in names, f"teardown deleted the unmarked {service}")

    rolling = "rl-" + os.urandom(3).hex()
    create_service(ep, rolling)
    deploy_live(ep, rolling, (EXAMPLE_DAGS / "config" / "r1.cscfg").read_text(), "r1")
    conf = conf_for(
        api,
        "rolling_upgrade",
        service_name=rolling,
        package_url=PACKAGE_URL.format(version="r2"),
        cscfg="r2.cscfg",
        label="r2",
        domain_bake_seconds=1,
        poll_interval=stack.poll_interval,
    )
    w = run_dag(api, "rolling_upgrade", "rolling-1", conf, tick=lambda _w: stack.check())
    rep.figures["rolling_upgrade_s"] = round(w.seconds, 1)
    rep.step("rolling_upgrade r2", w.state, f"in {w.seconds:.1f}s; deferred: {sorted(w.deferred)}")
    rep.expect(w.state == "success", f"rolling upgrade: run {w.state}: {w.states()}")
    rep.expect(bool(w.deferred), "rolling upgrade: no task was ever deferred")

    admin = stack.admin()
    creates, swaps = len(admin.operations("create_deployment")), len(admin.operations("swap_deployment"))
    rep.step("emulator's own count", "ok", f"{creates} create_deployment, {swaps} swap_deployment operations")
    # 2 releases + the rolling upgrade's starting deployment (made by the driver); the upgrade creates none
    rep.expect(creates == 3 and swaps == 2, f"expected 3 creates and 2 swaps, saw {creates} and {swaps}")
    rep.step("triggerers that ran the waits", "ok", ", ".join(sorted(holders)) or "(none seen)")
    stats = admin.stats()
    rep.figures["emulator_stats"] = {k: stats.get(k) for k in ("requests", "throttled")}
    rep.step("emulator stats", "ok", f"requests {stats.get('requests')}, throttled {stats.get('throttled')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster", description=__doc__.split("\n")[0])
    parser.add_argument("--speed", type=float, default=10.0, help="emulator speed-up (default 10)")
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=50.0,
        help="emulator requests/s per subscription (default 50; 0 = off)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    rep = Report()
    stack = Stack(speed=args.speed, rate_limit=args.rate_limit or None)
    left: list[str] = []
    try:
        stack.up()
        scenario(stack, rep)
    except (Exception, KeyboardInterrupt, SystemExit) as exc:
        rep.problems.append(f"{type(exc).__name__}: {exc}")
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    finally:
        # A second Ctrl-C (or SIGTERM) must not cut the teardown short: that is what leaves debris.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        t0 = time.monotonic()
        left = stack.down()
        rep.figures["teardown_of_stack_s"] = round(time.monotonic() - t0, 1)
        rep.step("teardown", "ok" if not left else "LEFT BEHIND", ", ".join(left))
    rep.expect(not left, f"left behind: {left}")
    rep.figures["total_s"] = round(time.monotonic() - rep.t0, 1)
    if args.json:
        args.json.write_text(json.dumps({"figures": rep.figures, "problems": rep.problems}, indent=2))
    if rep.problems:
        print("\nMAKE CLUSTER FAILED:\n  " + "\n  ".join(rep.problems), file=sys.stderr)
        return 1
    print(f"\nMAKE CLUSTER OK in {rep.figures['total_s']:.0f} s: nothing left running or on disk.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

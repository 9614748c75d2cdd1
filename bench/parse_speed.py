"""Parsing speed of the client against the floor (issue 6, goal 2; also the per-call overhead of goal 1).

Run: ``.venv/bin/python -m bench.parse_speed [--repeats N] [--calls N]``.

Against an in-process emulator (``ASM_EMULATOR_PUBLIC_IMAGES=1000``, a 4 x 50 = 200-instance
deployment) it times, interleaved so machine load hits every variant alike:

* end to end: our client's call vs the floor (a bare ``requests`` GET of the same URL plus
  ``lxml.etree.fromstring`` of the body) for ``list_os_images`` and ``get_deployment_by_slot``;
  and a small call (``get_operation_status``) vs a bare GET;
* in memory, on the captured bodies (no network, no emulator): our response parsing (hardened parse +
  mapping to models) vs ``lxml.etree.fromstring`` alone -- the part of the ratio this code owns.

It prints median and min per call and the ratios to the floor from the same run, for wall time and
for this thread's CPU time (``[cpu]``: the client's own cost; the in-process emulator runs in other
threads, and on a slow or loaded machine its serving time dominates the wall-clock ratios).
``measure_all()`` returns the numbers as a dict for other bench code.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

IMAGES = 1000
ROLES, PER_ROLE = 4, 50  # the emulator caps a role at 50 instances


def _cscfg() -> str:
    roles = "".join(f'<Role name="Role{r}"><Instances count="{PER_ROLE}" /></Role>' for r in range(ROLES))
    return (
        '<ServiceConfiguration serviceName="parsebench" osFamily="6" osVersion="*" '
        'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
        f"{roles}</ServiceConfiguration>"
    )


def _time(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """Mean wall ms and mean CPU ms of this thread per call over ``n`` calls.

    The emulator runs in other threads of this process, so the thread's CPU time is the client's
    own cost (requests + TLS + parsing), robust to the emulator's speed and to machine load.
    """
    t0, c0 = time.perf_counter(), time.thread_time()
    for _ in range(n):
        fn()
    c1, t1 = time.thread_time(), time.perf_counter()
    return (t1 - t0) * 1000 / n, (c1 - c0) * 1000 / n


def _interleaved(variants: dict[str, Callable[[], object]], n: int, repeats: int) -> dict[str, list[float]]:
    """name -> per-repeat wall ms/call, and name + " [cpu]" -> per-repeat client CPU ms/call."""
    out: dict[str, list[float]] = {}
    for fn in variants.values():  # warm up: connections, compiled specs, caches
        for _ in range(3):
            fn()
    for _ in range(repeats):
        for name, fn in variants.items():
            gc.collect()
            wall, cpu = _time(fn, n)
            out.setdefault(name, []).append(wall)
            out.setdefault(name + " [cpu]", []).append(cpu)
    return dict(sorted(out.items(), key=lambda kv: kv[0].endswith("[cpu]")))


def measure_all(repeats: int = 15, calls: int = 10) -> dict[str, dict[str, list[float]]]:
    """Every group of interleaved variants -> name -> per-repeat ms/call (the first name is the floor)."""
    os.environ["ASM_EMULATOR_PUBLIC_IMAGES"] = str(IMAGES)
    from lxml import etree

    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client import models as m
    from airflow_sm_provider.client.compat import endpoint_kwargs
    from airflow_sm_provider.client.ops_base import root_of
    from airflow_sm_provider.client.xmlmap import parse_element, parse_list
    from airflow_sm_provider.emulator import Emulator
    from bench.common import floor_session

    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, Emulator(Path(tmp), speed=1000) as emu:
        ep = emu.endpoint
        sms = ServiceManagementClient(**endpoint_kwargs(ep))
        session = floor_session(ep)
        base = f"https://{ep['host']}/{ep['subscription_id']}"
        svc = "parsebench"
        sms.create_hosted_service(svc, svc, "bench", location="West Europe").wait(120, 0.05)
        handle = sms.create_deployment(
            svc,
            "production",
            "pb",
            "https://s.blob.core.windows.net/p/a.cspkg",
            "b",
            _cscfg(),
            start_deployment=True,
        )
        handle.wait(120, 0.05)
        dep_path = f"/services/hostedservices/{svc}/deploymentslots/production"
        rid = str(handle.request_id)
        op_path = f"/operations/{rid}"

        def floor(path: str) -> Callable[[], object]:
            def call() -> object:
                r = session.get(base + path)
                r.raise_for_status()
                return etree.fromstring(r.content)

            return call

        def bare(path: str) -> Callable[[], object]:
            def call() -> object:
                r = session.get(base + path)
                r.raise_for_status()
                return r.content

            return call

        images_body = session.get(base + "/services/images").content
        dep_body = session.get(base + dep_path).content
        n_images = len(sms.list_os_images())
        n_inst = len(sms.get_deployment_by_slot(svc, "production").role_instance_list)
        print(
            f"images: {n_images} ({len(images_body) / 1024:.0f} KiB); "
            f"deployment: {n_inst} instances ({len(dep_body) / 1024:.0f} KiB)"
        )

        results["list_os_images (e2e)"] = _interleaved(
            {"floor": floor("/services/images"), "ours": sms.list_os_images}, calls, repeats
        )
        results["get_deployment_by_slot (e2e)"] = _interleaved(
            {"floor": floor(dep_path), "ours": lambda: sms.get_deployment_by_slot(svc, "production")},
            calls,
            repeats,
        )
        results["get_operation_status (small call)"] = _interleaved(
            {"floor": bare(op_path), "ours": lambda: sms.get_operation_status(rid)},
            calls * 5,
            repeats,
        )
        results["1,000 images body (in memory)"] = _interleaved(
            {
                "fromstring": lambda: etree.fromstring(images_body),
                "ours parse": lambda: parse_list(root_of(images_body), m.OSImage),
                "hardened parse only": lambda: root_of(images_body),
            },
            calls,
            repeats,
        )
        results["200 instances body (in memory)"] = _interleaved(
            {
                "fromstring": lambda: etree.fromstring(dep_body),
                "ours parse": lambda: parse_element(root_of(dep_body), m.Deployment),
                "hardened parse only": lambda: root_of(dep_body),
            },
            calls,
            repeats,
        )
        sms.close()
        session.close()
    return results


def report(results: dict[str, dict[str, list[float]]]) -> str:
    lines = []
    for group, variants in results.items():
        lines.append(group)
        for name, vals in variants.items():
            floor = variants[next(n for n in variants if n.endswith("[cpu]") == name.endswith("[cpu]"))]
            floor_med, floor_min = statistics.median(floor), min(floor)
            med, lo = statistics.median(vals), min(vals)
            lines.append(
                f"  {name:28} median {med:8.3f} ms  min {lo:8.3f} ms   "
                f"x floor: median {med / floor_med:5.2f}  min {lo / floor_min:5.2f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--calls", type=int, default=10)
    a = p.parse_args(argv)
    print(report(measure_all(a.repeats, a.calls)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""2. Large responses: 1,000 OS images and a 200-instance deployment."""

from __future__ import annotations

import statistics
from typing import Any

from lxml import etree

from bench.common import Section, floor_session, legacy_client, med_range, our_client, table
from bench.percall import cpu_ratio
from bench.timing import measure

REPEATS = 5
GOAL = 3.0


def run(ep: dict[str, str], emulator_pid: int, big_service: str) -> Section:
    sec = Section("2. Large responses")
    ours, legacy, session = our_client(ep), legacy_client(ep), floor_session(ep)
    base = f"https://{ep['host']}/{ep['subscription_id']}"

    def floor(path: str) -> Any:
        def call() -> Any:
            resp = session.get(base + path)
            resp.raise_for_status()
            return etree.fromstring(resp.content)

        return call

    dep_path = f"/services/hostedservices/{big_service}/deploymentslots/production"
    sizes = {
        "list_os_images": len(session.get(base + "/services/images").content),
        "get_deployment_by_slot": len(session.get(base + dep_path).content),
    }
    instances = ours.get_deployment_by_slot(big_service, "production").role_instance_list
    counts = {
        "list_os_images": f"{len(ours.list_os_images())} images",
        "get_deployment_by_slot": f"{len(instances)} instances",
    }
    cases = {
        "list_os_images": (
            10,
            {
                "floor (GET + lxml.etree.fromstring)": floor("/services/images"),
                "ours": ours.list_os_images,
                "old SDK 0.20.8": legacy.list_os_images,
            },
        ),
        "get_deployment_by_slot": (
            10,
            {
                "floor (GET + lxml.etree.fromstring)": floor(dep_path),
                "ours": lambda: ours.get_deployment_by_slot(big_service, "production"),
                "old SDK 0.20.8": lambda: legacy.get_deployment_by_slot(big_service, "production"),
            },
        ),
    }
    rows = []
    for call, (n, variants) in cases.items():
        counts_per = {name: (2 if name.startswith("old") else n) for name in variants}
        res = measure(variants, counts_per, REPEATS, emulator_pid, warmup=1)
        floor = next(iter(res.values()))
        floor_ms = statistics.median(floor.wall)
        for name, s in res.items():
            ratio = statistics.median(s.wall) / floor_ms
            rows.append(
                [
                    f"{call} ({counts[call]}, {sizes[call] / 1024:.0f} KiB)",
                    name,
                    med_range(s.wall, "{:.2f}"),
                    f"{ratio:.2f}",
                    med_range(s.cpu, "{:.2f}"),
                    med_range(s.server, "{:.2f}"),
                    f"{cpu_ratio(s, floor):.2f}",
                ]
            )
            if name == "ours":
                verdict = "met" if ratio <= GOAL else "MISSED"
                sec.summary.append(
                    (f"2. {call}: ours / floor", f"{ratio:.2f}x", f"goal <= {GOAL}x: {verdict}")
                )
            if name.startswith("old"):
                sec.summary.append((f"2. {call}: old SDK / floor", f"{ratio:.1f}x", "(reference)"))
    ours.close()
    sec.add(
        f"{REPEATS} repeats of 10 calls per variant (2 for the old SDK, which is slow), interleaved, "
        "after 1 warm-up call. Same emulator "
        "subprocess as section 1 (`ASM_EMULATOR_PUBLIC_IMAGES=1000`). The emulator caps a role at 50 "
        "instances (`emulator/cscfg.py` `MAX_INSTANCES_PER_ROLE`), so the 200-instance deployment is "
        "4 roles x 50 instances.",
        "",
        *table(
            [
                "response",
                "client",
                "wall ms/call median (min-max)",
                "x floor",
                "client CPU ms",
                "emulator CPU ms",
                "x floor (CPU)",
            ],
            rows,
        ),
        "",
        "The floor parses the body into an lxml tree but builds no objects; ours and the old SDK build "
        "typed models for every element. *x floor (CPU)* is computed as in section 1 (client median, "
        "emulator mean over all repeats).",
    )
    return sec

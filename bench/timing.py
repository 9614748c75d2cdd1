"""Interleaved repeated timing of call variants against one emulator subprocess."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common import cpu_seconds


@dataclass
class Samples:
    """Per-repeat means, in ms per call: wall clock, this process's CPU, the emulator's CPU."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)


def measure(
    variants: dict[str, Callable[[], object]],
    n: int | dict[str, int],
    repeats: int,
    emulator_pid: int,
    warmup: int = 5,
) -> dict[str, Samples]:
    """Run every variant ``n`` times per repeat (``n`` may differ per variant), interleaved."""
    out = {name: Samples() for name in variants}
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    for _ in range(repeats):
        for name, fn in variants.items():
            count = n if isinstance(n, int) else n[name]
            gc.collect()
            s0, c0, w0 = cpu_seconds(emulator_pid), time.process_time(), time.perf_counter()
            for _ in range(count):
                fn()
            w1, c1, s1 = time.perf_counter(), time.process_time(), cpu_seconds(emulator_pid)
            out[name].wall.append((w1 - w0) * 1000 / count)
            out[name].cpu.append((c1 - c0) * 1000 / count)
            out[name].server.append((s1 - s0) * 1000 / count)
    return out

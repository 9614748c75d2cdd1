"""Child of section 4: ``import airflow.sdk`` once, then fork per target and time its import.

``python -m bench.parse_probe TARGET...`` prints one JSON object: the ``airflow.sdk`` import time and,
per target (a module name or a DAG file path), the added wall/CPU time, the number of new modules and
the heavy ones among them. Forking after ``import airflow.sdk`` gives every sample a fresh module
table on top of exactly that baseline, for the price of one Airflow import per repeat.
"""

from __future__ import annotations

import json
import os
import sys
import time

HEAVY_ROOTS = {
    "requests",
    "urllib3",
    "httpx",
    "httpcore",
    "lxml",
    "cryptography",
    "OpenSSL",
    "tenacity",
    "azure",
}
HEAVY_OURS = {
    "airflow_sm_provider.client.service",
    "airflow_sm_provider.client.transport",
    "airflow_sm_provider.client.models",
    "airflow.triggers.base",
    "airflow_sm_provider.emulator.server",
}


def _measure(target: str) -> dict[str, object]:
    before = set(sys.modules)
    t0, c0 = time.perf_counter(), time.process_time()
    if target.endswith(".py"):
        import importlib.util

        spec = importlib.util.spec_from_file_location("bench_dag", target)
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    else:
        __import__(target)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    new = set(sys.modules) - before
    roots = {m.split(".")[0] for m in new if m.split(".")[0] in HEAVY_ROOTS}
    return {"wall": wall, "cpu": cpu, "new": len(new), "heavy": sorted(roots | (new & HEAVY_OURS))}


def main() -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    import airflow.sdk  # noqa: F401

    out: dict[str, object] = {"sdk": time.perf_counter() - t0, "sdk_cpu": time.process_time() - c0}
    for target in sys.argv[1:]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: measure, report, leave without running atexit handlers
            os.close(read)
            try:
                data = json.dumps(_measure(target)).encode()
            except BaseException as exc:
                data = json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode()
            os.write(write, data)
            os._exit(0)
        os.close(write)
        chunks = []
        while chunk := os.read(read, 65536):
            chunks.append(chunk)
        os.close(read)
        os.waitpid(pid, 0)
        out[target] = json.loads(b"".join(chunks))
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Run ASM triggers on an event loop and print which modules were imported ON the loop's thread.

    AIRFLOW_CONN_ASM_DEFAULT=... python tests/ui/loop_imports_probe.py  ->  JSON list of module names

The process first imports what a running triggerer has loaded already (Airflow's SDK, its trigger
base and runner, anyio), then records every import made by the loop thread while five triggers
start, make their first request and finish. An import there blocks the loop of every trigger.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time

import airflow.jobs.triggerer_job_runner
import airflow.sdk
import airflow.sdk.definitions.connection
import airflow.sdk.execution_time.supervisor
import airflow.triggers.base  # noqa: F401
import anyio  # noqa: F401

from airflow_sm_provider.triggers.operation import AsmOperationTrigger  # Airflow imports the class

loop_thread = threading.current_thread()
recording = [False]
on_loop: list[str] = []


def audit(event: str, args: tuple[object, ...]) -> None:
    if event == "import" and recording[0] and threading.current_thread() is loop_thread:
        on_loop.append(str(args[0]))


async def main() -> list[str]:
    before = set(sys.modules)
    recording[0] = True
    triggers = [
        AsmOperationTrigger(f"{i:032x}", deadline=time.time() + 60, poll_interval=0.1) for i in range(5)
    ]
    events = await asyncio.gather(*(t.run().__anext__() for t in triggers))
    recording[0] = False
    assert all(e.payload["status"] == "failed" for e in events), [e.payload for e in events]  # 404s
    return [m for m in dict.fromkeys(on_loop) if m not in before]


sys.addaudithook(audit)
print(json.dumps(asyncio.run(main())))

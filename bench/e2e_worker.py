"""Child process of section 5: run ``blue_green_release`` with ``dag.test()`` a few times.

``python -m bench.e2e_worker OUT.json``; the environment (AIRFLOW_HOME, DAGs folder, connection,
poll interval) is set by the parent before this process imports Airflow. Writes, per run, the DAG
run's state and wall time and each task instance's start/end (epoch seconds).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

SERVICE = "bench-e2e"
#: (deployment name, .cscfg): v1 is a move into an empty production, later runs swap and retire.
RELEASES = [("r1", "v1.cscfg"), ("r2", "v2.cscfg"), ("r3", "v1.cscfg")]


def _setup(log: Any) -> Any:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.models.pool import Pool
    from airflow.utils.db import initdb

    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        initdb()
        Pool.create_or_update_pool("asm_blue_green", 1, "bench", include_deferred=False)
        DagBundlesManager().sync_bundles_to_db()
        bag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
        sync_bag_to_db(bag, "dags-folder", None)
    if bag.import_errors:
        raise RuntimeError(f"example DAGs failed to import: {bag.import_errors}")
    return bag.dags["blue_green_release"]


def _tasks(dr: Any) -> list[dict[str, Any]]:
    from airflow import settings
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    with settings.Session() as session:
        tis = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == dr.dag_id, TaskInstance.run_id == dr.run_id)
        ).all()
        return [
            {
                "task_id": ti.task_id,
                "state": str(getattr(ti.state, "value", ti.state)),
                "start": ti.start_date.timestamp() if ti.start_date else None,
                "end": ti.end_date.timestamp() if ti.end_date else None,
            }
            for ti in tis
        ]


def main() -> None:
    out = Path(sys.argv[1])
    endpoint = json.loads(os.environ["BENCH_ENDPOINT"])
    log = (out.parent / "airflow.log").open("a")
    t0 = time.time()
    dag = _setup(log)
    setup_s = time.time() - t0
    from bench.common import our_client

    with our_client(endpoint) as client:
        client.create_hosted_service(SERVICE, SERVICE, "bench", location="West Europe").wait(
            timeout=60, poll_interval=0.1
        )
    runs = []
    for name, cscfg in RELEASES:
        conf = {
            "service_name": SERVICE,
            "package_url": f"https://benchstore.blob.core.windows.net/p/{name}.cspkg",
            "cscfg": cscfg,
            "deployment_name": name,
            "bake_seconds": 0,
            "keep_previous": False,
            "poll_interval": float(os.environ["ASM_EXAMPLE_POLL_INTERVAL"]),  # set by bench/e2e.py
        }
        start = time.time()
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            dr = dag.test(run_conf=conf)
        end = time.time()
        state = str(getattr(dr.state, "value", dr.state))
        runs.append({"name": name, "state": state, "start": start, "end": end, "tasks": _tasks(dr)})
    out.write_text(json.dumps({"setup_s": setup_s, "runs": runs}))


if __name__ == "__main__":
    main()

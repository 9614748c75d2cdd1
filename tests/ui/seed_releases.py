"""Seed an Airflow metadata DB with three finished guarded-swap releases (run in the server's env).

    python tests/ui/seed_releases.py DAG_FILE  ->  prints {"run_id": ..., "tasks": {...}} as JSON

The DAG file is parsed and serialized with the provider's own test helper
(``airflow_sm_provider.testing.load_dag``), a DAG run is created, and each task instance gets the
state its release ended in plus the XComs a guarded swap leaves: ``release_report`` (shaped per
CONTRACTS.md, from ``tests/ui/reports.py``) and the persisted operator links, computed by the
provider's link classes exactly as the task runner does when a task ends, from the values the
operator kept for its links when it pushed them (``operators/links.py``).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from reports import REPORTS

#: task id -> (report name, task state): a refused release fails its task, as does a rollback.
TASKS = {
    "release_ok": ("released", "success"),
    "release_refused": ("refused", "failed"),
    "release_rolled_back": ("rolled_back", "failed"),
}
RUN_ID = "manual__2026-12-01T09:00:00+00:00"


def _with_slots(report: dict[str, Any], service: str) -> dict[str, Any]:
    report["after"] = {
        "production": {"name": "v2", "url": f"http://{service}.cloudapp.net/"},
        "staging": {"name": "v1", "url": f"http://{service}-staging.cloudapp.net/"},
    }
    report["swap_request_id"] = "6ee2b5bd5b5a4ac9a1bdd30c8d5e1f77"
    if report["outcome"] == "rolled_back":
        report["rollback_request_id"] = "77aa01c2b8d94f3e9c1f0e2d3b4a5c6d"
    return report


def main(dag_file: str) -> None:
    from airflow.models.dagbag import DBDagBag
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import select

    from airflow_sm_provider.operators import links
    from airflow_sm_provider.testing import load_dag

    dag = load_dag(dag_file, "asm_releases")
    with create_session() as session:
        sdag = DBDagBag().get_latest_version_of_dag(dag.dag_id, session=session)
        assert sdag is not None
        when = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
        sdag.create_dagrun(
            run_id=RUN_ID,
            logical_date=when,
            data_interval=(when, when),
            run_after=when,
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TEST,
            state=DagRunState.FAILED,
            session=session,
        )
        session.flush()
        tis = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == RUN_ID)
        ).all()
        for ti in tis:
            name, state = TASKS[ti.task_id]
            ti.state = state
            ti.start_date, ti.end_date, ti.try_number = when, when, 1
            task = dag.get_task(ti.task_id)
            report = _with_slots(REPORTS[name](), task.service_name)  # type: ignore[attr-defined]
            XComModel.set(
                key="release_report",
                value=report,
                dag_id=ti.dag_id,
                task_id=ti.task_id,
                run_id=RUN_ID,
                session=session,
            )
            session.flush()

            links.forget_link_values(task)
            links.keep_for_links(task, "release_report", report)  # what the release's _end() keeps
            for link in task.operator_extra_links:
                url = link.get_link(task, ti_key=ti.key)  # type: ignore[arg-type]
                XComModel.set(
                    key=link.xcom_key,
                    value=url,
                    serialize=False,  # as the task runner stores a link: a plain JSON string
                    dag_id=ti.dag_id,
                    task_id=ti.task_id,
                    run_id=RUN_ID,
                    session=session,
                )
        session.commit()
    print(json.dumps({"run_id": RUN_ID, "tasks": {t: s for t, (_, s) in TASKS.items()}}))


if __name__ == "__main__":
    main(sys.argv[1])

"""The FastAPI app the plugin mounts in the api-server: release timeline and operation pages.

Every route reads through Airflow's own data access (``XComModel`` on the api-server's session,
the way the public XCom endpoint does) and is guarded by Airflow's own auth manager with the
same dependency as that endpoint (``requires_access_dag("GET", XCOM)``): a caller who may not
read the DAG's XComs gets 401/403 and nothing else. No credentials of our own, no JavaScript.

The task instance arrives in the query string (``dag_id``, ``run_id``, ``task_id``,
``map_index``) rather than the path, because run ids hold ``:``/``+`` and may hold ``/``. The
Airflow UI fills them in from the external view's ``href`` template; an unmapped task leaves
``{MAP_INDEX}`` unreplaced, which reads as -1.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import requires_access_dag
from airflow.models.xcom import XComModel
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from airflow_sm_provider.release_report import XCOM_KEY, format_timeline
from airflow_sm_provider.ui.timeline import render_page

__all__ = ["create_app"]

_GUARD = [Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.XCOM))]
_NO_REPORT = (
    "This task instance has no release report (XCom key 'release_report'). Release operators "
    "(the guarded swap, the rolling upgrade) push one when they finish, succeeded or not; other "
    "tasks have none."
)


def _map_index(raw: str | None) -> int:
    """``{MAP_INDEX}`` left unreplaced (an unmapped task), empty or junk all mean -1."""
    try:
        return int(raw) if raw is not None else -1
    except ValueError:
        return -1


class TaskInstanceRef(NamedTuple):
    """Which task instance a page is about (what the UI fills into the view's href)."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1


def read_xcom(session: Any, ti: TaskInstanceRef, key: str) -> Any:
    """One XCom value of one task instance, deserialized the way Airflow's API does; None if absent."""
    row = session.scalars(
        XComModel.get_many(
            key=key,
            run_id=ti.run_id,
            dag_ids=ti.dag_id,
            task_ids=ti.task_id,
            map_indexes=ti.map_index,
            limit=1,
        )
    ).first()
    if row is None:
        return None
    value = XComModel.deserialize_value(row)
    if isinstance(value, str):  # a value stored as a JSON string by an older writer
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _query(ti: TaskInstanceRef, **extra: str) -> str:
    return urlencode({**ti._asdict(), **extra})


def _task_instance(
    dag_id: str, run_id: str, task_id: str, map_index: Annotated[str | None, Query()] = None
) -> TaskInstanceRef:
    """The query-string task instance (a FastAPI dependency shared by every page)."""
    return TaskInstanceRef(dag_id, run_id, task_id, _map_index(map_index))


TaskInstanceDep = Annotated[TaskInstanceRef, Depends(_task_instance)]


def create_app() -> FastAPI:
    """Build the app (called once, on the first request the api-server routes to the plugin)."""
    app = FastAPI(
        title="Azure Service Management (classic): releases",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/release", dependencies=_GUARD, response_model=None)
    def release(
        request: Request,
        session: SessionDep,
        ti: TaskInstanceDep,
        format: Annotated[str, Query(pattern="^(html|json|text)$")] = "html",
    ) -> Response:
        """The release timeline of one task instance (HTML), or its report as JSON or text."""
        report = read_xcom(session, ti, XCOM_KEY)
        if not isinstance(report, dict):
            report = None
        status = 200 if report is not None else 404
        if format == "json":
            return JSONResponse(report, status_code=status)
        if format == "text":
            return PlainTextResponse(format_timeline(report) if report else _NO_REPORT, status_code=status)
        base = request.url.path
        links = [
            ("report as JSON", f"{base}?{_query(ti, format='json')}"),
            ("text timeline", f"{base}?{_query(ti, format='text')}"),
        ]
        heading = f"{ti.dag_id} / {ti.run_id} / {ti.task_id}" + (
            f" [{ti.map_index}]" if ti.map_index >= 0 else ""
        )
        page = render_page(report, heading=heading, links=links, empty_message=_NO_REPORT)
        return HTMLResponse(page, status_code=status)

    @app.get("/operation", dependencies=_GUARD, response_model=None)
    def operation(session: SessionDep, ti: TaskInstanceDep) -> Response:
        """The ASM operation a task submitted: request id, status and the REST call that reads it."""
        from airflow_sm_provider.operators.links import operation_of

        found = operation_of(read_xcom(session, ti, "return_value"), read_xcom(session, ti, XCOM_KEY))
        if not found:
            return JSONResponse({"detail": "this task instance recorded no ASM request id"}, status_code=404)
        rest = f"GET /<subscription-id>/operations/{found['request_id']}"
        return JSONResponse({**ti._asdict(), **found, "rest": rest})

    return app

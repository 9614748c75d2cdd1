"""Operator extra links: the deployment's URLs, the ASM operation and the release timeline.

Persisted the Airflow 3 way: when a task ends (succeeded, failed, or deferred), the task runner
calls each link's :meth:`get_link` in the worker, passing the operator instance that just ran, and
stores the URL in XCom ``_link_<class name>``; the api-server later reads that XCom
(``XComOperatorLink``), so the links work after the task ended and without importing this module
there. :meth:`get_link` is called nowhere else.

The URL is built from what the task pushed to XCom -- its result and its ``release_report`` -- as
the operator kept it when pushing (:func:`keep_for_links`), never read back through the execution
API: for an absent key (no release report, a deferred or failed task) the Task SDK's client logs
``[error] XCom not found`` (19 lines for the green getting-started DAG), which log-based alerting
reads as a failure. (Amazon's and Google's links ``persist()`` their data to XCom at execute time
and read it back with ``XCom.get_value``; here the data is in XCom already and the reader is the
same process, so memory is enough.) A link whose data is absent is empty, and the UI shows it
disabled.

URLs into Airflow start with ``[api] base_url`` when it is set, else they are root-relative
(``/asm-sm/...``, ``/dags/...``), which a browser resolves against the UI it is showing.

Cheap to import (operators import it at DAG-parse time): ``airflow.sdk`` is loaded already.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from airflow.sdk import BaseOperatorLink

from airflow_sm_provider.release_report import XCOM_KEY

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

__all__ = [
    "ASM_LINKS",
    "AsmOperationLink",
    "AsmProductionUrlLink",
    "AsmReleaseTimelineLink",
    "AsmStagingUrlLink",
    "deployment_urls",
    "forget_link_values",
    "keep_for_links",
    "operation_of",
]

#: Where the provider's plugin serves its pages, and the route of its task-instance tab
#: (kept equal to ``airflow_sm_provider.ui.plugin``; a test checks they agree).
PLUGIN_PREFIX = "/asm-sm"
TIMELINE_ROUTE = "asm-release-timeline"
#: The XCom key of a task's result (``BaseXCom.XCOM_RETURN_KEY``, spelled here to keep imports cheap).
RETURN_KEY = "return_value"


def deployment_urls(result: Any, report: Any) -> dict[str, str | None]:
    """The production and staging URLs a task recorded, newest knowledge first.

    A release report's ``after`` slots (the state the release left) win; else an operator's
    result: the swap's ``production_url``/``staging_url`` or a deployment's ``url`` with its
    ``deployment_slot``.
    """
    urls: dict[str, str | None] = {"production": None, "staging": None}
    if isinstance(result, Mapping):
        for slot in urls:
            if isinstance(result.get(f"{slot}_url"), str):
                urls[slot] = result[f"{slot}_url"]
        slot = str(result.get("deployment_slot") or "").lower()
        if slot in urls and isinstance(result.get("url"), str):
            urls[slot] = result["url"]
    after = report.get("after") if isinstance(report, Mapping) else None
    if isinstance(after, Mapping):
        for slot in urls:
            summary = after.get(slot)
            if isinstance(summary, Mapping) and isinstance(summary.get("url"), str):
                urls[slot] = summary["url"]
    return {slot: (url or None) for slot, url in urls.items()}


def operation_of(result: Any, report: Any) -> dict[str, Any] | None:
    """The ASM request a task submitted (id, status), or None when it submitted none.

    An operator's result carries ``request_id`` and ``status``; a guarded swap's report carries
    the swap's request id (and the swap-back's, when it swapped back) and its outcome.
    """
    if isinstance(result, Mapping) and result.get("request_id"):
        return {"request_id": str(result["request_id"]), "status": str(result.get("status") or "")}
    if isinstance(report, Mapping):
        request_id = report.get("rollback_request_id") or report.get("swap_request_id")
        if request_id:
            kind = "swap back" if report.get("rollback_request_id") else "swap"
            return {"request_id": str(request_id), "status": str(report.get("outcome") or ""), "kind": kind}
    return None


def _base_url() -> str:
    from airflow.sdk.configuration import conf

    return (conf.get("api", "base_url", fallback="") or "").rstrip("/")


def _ti_query(ti_key: TaskInstanceKey) -> str:
    index = getattr(ti_key, "map_index", -1)
    return urlencode(
        {
            "dag_id": ti_key.dag_id,
            "run_id": ti_key.run_id,
            "task_id": ti_key.task_id,
            "map_index": -1 if index is None else index,
        }
    )


#: The operator attribute holding ``{xcom key: value}`` of what this try pushed, for the links.
LINK_VALUES_ATTR = "_asm_link_values"


def keep_for_links(operator: BaseOperator, key: str, value: Any) -> None:
    """Remember that this try pushes ``value`` to XCom ``key``; the links read it back at task end.

    A new dict each time: the task runner runs a shallow copy of the task
    (``prepare_for_execution``), which must not write into its source's.
    """
    values = getattr(operator, LINK_VALUES_ATTR, None)
    setattr(operator, LINK_VALUES_ATTR, {**(values if isinstance(values, dict) else {}), key: value})


def forget_link_values(operator: BaseOperator) -> None:
    """Start a try with nothing kept (an operator object run twice, as tests do, starts clean)."""
    setattr(operator, LINK_VALUES_ATTR, {})


def _kept(operator: BaseOperator, key: str) -> Any:
    """What this try pushed to XCom ``key``; None when it pushed nothing there (no XCom is read)."""
    values = getattr(operator, LINK_VALUES_ATTR, None)
    return values.get(key) if isinstance(values, dict) else None


class _DeploymentUrlLink(BaseOperatorLink):
    slot = "production"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        urls = deployment_urls(_kept(operator, RETURN_KEY), _kept(operator, XCOM_KEY))
        return urls[self.slot] or ""


class AsmProductionUrlLink(_DeploymentUrlLink):
    """The URL of the deployment in the production slot (after the task)."""

    name = "ASM production URL"
    slot = "production"


class AsmStagingUrlLink(_DeploymentUrlLink):
    """The URL of the deployment in the staging slot (after the task)."""

    name = "ASM staging URL"
    slot = "staging"


class AsmOperationLink(BaseOperatorLink):
    """The ASM operation the task submitted: a page with its request id and status."""

    name = "ASM operation"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        if operation_of(_kept(operator, RETURN_KEY), _kept(operator, XCOM_KEY)) is None:
            return ""
        return f"{_base_url()}{PLUGIN_PREFIX}/operation?{_ti_query(ti_key)}"


class AsmReleaseTimelineLink(BaseOperatorLink):
    """The task instance's "Release timeline" tab in the Airflow UI (when it has a report)."""

    name = "Release timeline"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        if not isinstance(_kept(operator, XCOM_KEY), Mapping):
            return ""
        return timeline_ui_path(ti_key.dag_id, ti_key.run_id, ti_key.task_id, ti_key.map_index, _base_url())


def timeline_ui_path(dag_id: str, run_id: str, task_id: str, map_index: int | None, base: str = "") -> str:
    """The Airflow UI address of a task instance's timeline tab (what the demo prints too)."""
    path = f"/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}/tasks/{quote(task_id, safe='')}"
    if map_index is not None and map_index >= 0:
        path += f"/mapped/{map_index}"
    return f"{base}{path}/plugin/{TIMELINE_ROUTE}"


#: Every ASM link, in the order the UI lists them; operators set ``operator_extra_links = ASM_LINKS``.
ASM_LINKS = (AsmProductionUrlLink(), AsmStagingUrlLink(), AsmOperationLink(), AsmReleaseTimelineLink())

"""The Airflow plugin: the release timeline as a task-instance tab, served by a small FastAPI app.

Registered through the provider info (``"plugins"``), which Airflow 3.3 only loads when
``[core] lazy_discover_providers = False``, and through the ``airflow.plugins`` entry point, which
it loads otherwise. Each path hands over a class only when the other does not, so the plugin is
registered exactly once in either configuration (two registrations would log "already
registered" and list a plugin import error).

Importing this module is cheap (no FastAPI, no Airflow API modules): every process that loads
plugins imports it, only the api-server calls the app, which is built on its first request.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

#: Where the app is mounted in the api-server, and the UI route of the task-instance tab.
URL_PREFIX = "/asm-sm"
VIEW_ROUTE = "asm-release-timeline"
VIEW_NAME = "Release timeline"
_TI = "dag_id={DAG_ID}&run_id={RUN_ID}&task_id={TASK_ID}&map_index={MAP_INDEX}"


class LazyApp:
    """An ASGI app that builds :func:`airflow_sm_provider.ui.app.create_app` on its first request."""

    def __init__(self) -> None:
        self._app: Any = None

    def __repr__(self) -> str:
        return "airflow_sm_provider.ui.app.create_app()"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from airflow_sm_provider.ui.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)


class AsmReleasePlugin(AirflowPlugin):
    """Release timeline tab on every task instance; pages under ``/asm-sm``."""

    name = "airflow_sm_provider"
    fastapi_apps = [{"app": LazyApp(), "url_prefix": URL_PREFIX, "name": "ASM release timeline"}]
    external_views = [
        {
            "name": VIEW_NAME,
            "href": f"{URL_PREFIX}/release?{_TI}",
            "destination": "task_instance",
            "url_route": VIEW_ROUTE,
        }
    ]


def _lazy_provider_discovery() -> bool:
    from airflow import settings

    return bool(settings.LAZY_LOAD_PROVIDERS)


#: Target of the ``airflow.plugins`` entry point: the plugin when Airflow will not load provider
#: plugins itself (the default, lazy discovery), else None, which Airflow skips silently.
entry_point_plugin = AsmReleasePlugin if _lazy_provider_discovery() else None

"""The plugin is registered exactly once whatever the provider-discovery setting, and stays cheap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_sm_provider.get_provider_info import EXTRA_LINKS, PLUGIN_CLASS, get_provider_info
from airflow_sm_provider.operators import links
from airflow_sm_provider.ui import plugin

PROBE = """
import json
from airflow import plugins_manager
plugins, errors = plugins_manager._get_plugins()
ours = [p for p in plugins if p.name == "airflow_sm_provider"]
views, _ = plugins_manager._get_ui_plugins()
apps, _ = plugins_manager.get_fastapi_plugins()
print(json.dumps({"ours": len(ours), "errors": errors, "views": [v["url_route"] for v in views],
                  "apps": [a["url_prefix"] for a in apps]}))
"""


@pytest.mark.parametrize("lazy", ["True", "False"])
def test_airflow_loads_the_plugin_once_with_lazy_provider_discovery_on_or_off(
    lazy: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(tmp_path), AIRFLOW__CORE__LAZY_DISCOVER_PROVIDERS=lazy)
    # cwd elsewhere: from the repository root, ``python -c`` also finds the setuptools egg-info there
    # and with it the entry point a second time (Airflow then reports "already registered").
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=str(tmp_path), capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"ours": 1, "errors": {}, "views": [plugin.VIEW_ROUTE], "apps": [plugin.URL_PREFIX]}


def test_provider_info_names_the_plugin_and_every_link() -> None:
    info = get_provider_info()
    assert info["plugins"] == [{"name": plugin.AsmReleasePlugin.name, "plugin-class": PLUGIN_CLASS}]
    assert info["extra-links"] == EXTRA_LINKS
    assert [f"{type(link).__module__}.{type(link).__name__}" for link in links.ASM_LINKS] == EXTRA_LINKS


def test_the_links_point_where_the_plugin_serves() -> None:
    assert links.PLUGIN_PREFIX == plugin.URL_PREFIX
    assert links.TIMELINE_ROUTE == plugin.VIEW_ROUTE
    (view,) = plugin.AsmReleasePlugin.external_views
    assert view["href"].startswith(f"{plugin.URL_PREFIX}/release?")
    assert view["name"] == plugin.VIEW_NAME == links.AsmReleaseTimelineLink.name


def test_importing_the_plugin_builds_no_app() -> None:
    code = (
        "import sys, airflow_sm_provider.ui.plugin as p\n"
        "print(sorted(m for m in sys.modules if m.startswith(('airflow_sm_provider.ui.', 'fastapi'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().replace("'", '"')) == ["airflow_sm_provider.ui.plugin"]

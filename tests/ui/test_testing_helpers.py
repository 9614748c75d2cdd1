"""airflow_sm_provider.testing: the refusals a user meets must say what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_too_late_to_switch_homes_is_refused_with_the_fix(tmp_path: Path) -> None:
    out = _python(
        "import airflow.settings\n"
        "from airflow_sm_provider.testing import use_airflow_home\n"
        "try:\n    use_airflow_home('home')\nexcept RuntimeError as e:\n    print(e)\n",
        tmp_path,
    )
    assert "Airflow was imported before use_airflow_home()" in out.stdout, out.stderr[-2000:]
    assert "--asm-airflow-home" in out.stdout


def test_load_dag_reports_import_errors_and_ambiguity(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("from airflow.sdk import DAG\nraise ValueError('my typo')\n")
    (tmp_path / "two.py").write_text(
        "from airflow.sdk import DAG\n"
        "with DAG('a', schedule=None): pass\n"
        "with DAG('b', schedule=None): pass\n"
    )
    out = _python(
        "from airflow_sm_provider.testing import use_airflow_home, load_dag\n"
        "home = use_airflow_home('home')\n"
        "assert (home.home / 'airflow.db').is_file()\n"
        "for args in (('broken.py',), ('two.py',), ('two.py', 'c')):\n"
        "    try:\n        load_dag(*args)\n"
        "    except ValueError as e:\n        print('ERR', str(e).splitlines()[0])\n"
        "print('OK', load_dag('two.py', 'b').dag_id)\n",
        tmp_path,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith(("ERR", "OK"))]
    assert lines == [
        "ERR broken.py does not import:",
        "ERR two.py defines ['a', 'b']; pass dag_id= to choose one",
        "ERR two.py defines no DAG 'c'; it defines ['a', 'b']",
        "OK b",
    ], out.stderr[-3000:]

"""Test your own DAGs against the ASM emulator: a migrated throwaway Airflow home, a DAG loader.

Three steps every DAG test needs on Airflow 3.3, none of them obvious (docs/testing.md):

1. A fresh ``AIRFLOW_HOME`` with a migrated metadata DB: ``dag.test()`` in an unmigrated home
   fails with ``no such table: dag``. Airflow reads its configuration when it is first imported,
   so the home must be chosen before that; :func:`use_airflow_home` refuses, with the fix in the
   message, when it is too late.
2. A DAG object: ``DagBag(include_examples=...)`` is gone in 3.3; :func:`load_dag` parses one
   file the way the DAG processor does and reports its import errors.
3. Serialization: ``dag.test()`` refuses a DAG that is not in the DB ("the dag is not
   serialized"); :func:`load_dag` writes it there (:func:`serialize_dag` for a DAG built in code).

Under pytest, run with ``--asm-airflow-home`` (or put it in ``addopts``): the package's pytest
plugin (``emulator.pytest_plugin``) prepares the home before test modules import Airflow, and its
``asm_airflow`` fixture hands out :class:`AirflowTestHome`. Nothing here imports Airflow or pytest
at module import time: ``make demo`` and scripts outside pytest use these helpers on a plain install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.models.dagrun import DagRun
    from airflow.sdk import DAG

__all__ = [
    "AirflowTestHome",
    "airflow_env",
    "connection_env",
    "load_dag",
    "run_dag",
    "serialize_dag",
    "use_airflow_home",
]

#: The pytest option that prepares a home (``emulator.pytest_plugin``); named in the refusal below.
OPTION = "--asm-airflow-home"


def airflow_env(home: Path, dags_folder: Path | None = None) -> dict[str, str]:
    """The settings of a quiet, self-contained home (SQLite, no examples, triggers inline); its DAGs
    in ``dags_folder`` (default ``home/dags``). The one list: tests and ``make demo`` use it."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder or home / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    }


@dataclass
class AirflowTestHome:
    """A prepared Airflow home: where it is, and helpers bound to it."""

    home: Path

    @property
    def dags_folder(self) -> Path:
        return self.home / "dags"

    def load_dag(self, dag_file: str | os.PathLike[str], dag_id: str | None = None) -> DAG:
        return load_dag(dag_file, dag_id)

    def run(self, dag: DAG, **kwargs: Any) -> DagRun:
        return run_dag(dag, **kwargs)


def use_airflow_home(home: str | os.PathLike[str] | None = None) -> AirflowTestHome:
    """Point this process at a new Airflow home and migrate its DB (about 3 s); call it once.

    :param home: the directory (created if missing); a new temporary directory if omitted.
    :raises RuntimeError: Airflow was already imported with another home (too late to switch).
    """
    path = Path(home).resolve() if home is not None else Path(tempfile.mkdtemp(prefix="asm-airflow-home-"))
    if "airflow.settings" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(path):
        raise RuntimeError(
            "Airflow was imported before use_airflow_home() and already read its configuration "
            f"(AIRFLOW_HOME={os.environ.get('AIRFLOW_HOME', '~/airflow')!r}). Call it first: run pytest "
            f"with {OPTION} (or add it to addopts), or call use_airflow_home() at the top of "
            "conftest.py, before anything imports airflow."
        )
    (path / "dags").mkdir(parents=True, exist_ok=True)
    os.environ.update(airflow_env(path))
    airflow = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
    done = subprocess.run([airflow, "db", "migrate"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed in {path}:\n{done.stderr[-2000:]}")
    return AirflowTestHome(path)


def serialize_dag(dag: DAG) -> DAG:
    """Write ``dag`` into the metadata DB, which ``dag.test()`` requires; returns it."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    return dag


def load_dag(dag_file: str | os.PathLike[str], dag_id: str | None = None) -> DAG:
    """Parse one DAG file like the DAG processor, serialize the DAG and return it for ``dag.test()``.

    :param dag_file: the ``.py`` file.
    :param dag_id: which DAG of the file; may be omitted when the file defines exactly one.
    :raises ValueError: the file does not import (its traceback is in the message) or does not
        define the DAG.
    """
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dag_file), collect_dags=True)
    if bag.import_errors:
        raise ValueError(f"{dag_file} does not import:\n" + "\n".join(bag.import_errors.values()))
    if dag_id is None:
        if len(bag.dags) != 1:
            raise ValueError(f"{dag_file} defines {sorted(bag.dags)}; pass dag_id= to choose one")
        dag_id = next(iter(bag.dags))
    if dag_id not in bag.dags:
        raise ValueError(f"{dag_file} defines no DAG {dag_id!r}; it defines {sorted(bag.dags)}")
    return serialize_dag(bag.dags[dag_id])


def run_dag(dag: DAG, **kwargs: Any) -> DagRun:
    """``dag.test(**kwargs)`` after serializing; the run's ``state`` says "success" or "failed"."""
    serialize_dag(dag)
    return dag.test(**kwargs)


def connection_env(conn_id: str, endpoint: Mapping[str, Any], **extra: Any) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` for an emulator endpoint (``asm_emulator.endpoint``), to set in os.environ.

    :param extra: more connection extras (e.g. ``max_retries=0``).
    """
    from airflow_sm_provider.emulator.env import connection_json

    return {f"AIRFLOW_CONN_{conn_id.upper()}": connection_json(endpoint, **extra)}

"""The generated client module matches the operation table (run tools/gen_client.py after edits)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from airflow_sm_provider.client._generated import AsyncOperationMethods, OperationMethods
from airflow_sm_provider.client.operations import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]


def test_generated_file_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_client.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_entry_has_a_real_sync_and_async_method() -> None:
    for name, op in OPERATIONS.items():
        sync, aio = getattr(OperationMethods, name), getattr(AsyncOperationMethods, name)
        assert [p.name for p in op.params] == list(inspect.signature(sync).parameters)[1:]
        assert inspect.signature(sync).parameters.keys() == inspect.signature(aio).parameters.keys()
        assert inspect.iscoroutinefunction(aio) and not inspect.iscoroutinefunction(sync)
        assert sync.__doc__ and op.verb in sync.__doc__

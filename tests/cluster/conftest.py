"""One cluster (``cluster.stack.Stack``) per test module: ~20 s to start, ~12 s to stop.

Each test uses its own cloud service and counts the emulator's operations as a delta, so tests do
not depend on each other; a test that stops a component on purpose starts it again before it ends.
Needs the ``cluster`` extra (``make soak`` installs it) and Debian's redis-server and PostgreSQL 15
(``.ci/run`` installs them); without them the tests are skipped with the reason.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="module")
def stack() -> Iterator[object]:
    pytest.importorskip("celery", reason="the 'cluster' extra is not installed (make soak installs it)")
    pytest.importorskip("psycopg2", reason="the 'cluster' extra is not installed (make soak installs it)")
    if shutil.which("redis-server") is None or not Path("/usr/lib/postgresql/15/bin/pg_ctl").exists():
        pytest.skip("needs Debian's redis-server and postgresql 15 (.ci/run installs them)")
    from cluster.stack import Stack

    with Stack(extra_dags=[Path(__file__).parent / "dags" / "cluster_crash_create.py"]) as s:
        yield s

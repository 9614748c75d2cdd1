"""Airflow's task supervisor can miss a task process's exit and sleep on nothing (defect 5).

Airflow 3.3's supervisor (``airflow/sdk/execution_time/supervisor.py``) learns that its task
process ended from two things: end of file on the process's sockets (stdout, stderr, requests,
logs), then one non-blocking ``waitpid`` in ``_check_subprocess_exit``. The kernel closes a dying
process's sockets a moment before the process can be reaped; when the supervisor handles the last
end of file inside that moment, the ``waitpid`` finds the process still there, every socket is
unregistered, and the next ``select()`` in ``_monitor_subprocess`` waits on no file at all for
``[workers] min_heartbeat_interval`` (5 s). Nothing can wake it, so the exit is reported that much
later. In ``test_distributed_airflow.py`` that made a deferred workload's "success" arrive after
its resumed attempt had started, and the scheduler failed the resumed attempt.

This test holds that moment open (the task process closes every descriptor, then waits) and checks
what the supervisor does in it, with Airflow's own fork, sockets and monitor loop; only the API
client is a mock and no task is started in the child. It is a strict ``xfail`` while Airflow has
the race: an Airflow that waits on the process itself makes it pass, and then the mitigation in
``test_distributed_airflow.py`` (``AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL``) can go.
"""

from __future__ import annotations

import os
import select
import time
from typing import Any
from unittest import mock

import pytest

RELEASE_AFTER = 10.0  # the child's own limit, for an Airflow that never sleeps on an empty selector


@pytest.mark.xfail(
    strict=True,
    reason="defect 5 (docs/reliability.md): Airflow 3.3's supervisor sleeps in select() on no sockets "
    "after it missed the task process's exit",
)
def test_supervisor_does_not_sleep_on_no_sockets_while_its_task_process_exits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.sdk.execution_time import supervisor as sup

    # Only shortens the sleep this test provokes; what is checked does not depend on it.
    monkeypatch.setattr(sup, "MIN_HEARTBEAT_INTERVAL", 0.2)
    release_r, release_w = os.pipe()

    def child() -> None:
        # As the kernel does at exit, close every descriptor (the supervisor's sockets reach end
        # of file), but stay alive until the supervisor has shown what it does meanwhile.
        os.closerange(0, release_r)
        os.closerange(release_r + 1, os.sysconf("SC_OPEN_MAX"))
        select.select([release_r], [], [], RELEASE_AFTER)
        os._exit(0)

    class Probe(sup.ActivitySubprocess):
        def _on_child_started(self, **kwargs: Any) -> None:  # no API server, no startup message
            self._last_successful_heartbeat = time.monotonic()

    ti = mock.Mock(id="00000000-0000-0000-0000-000000000005")
    proc = Probe.start(
        what=ti, dag_rel_path="unused.py", bundle_info=None, client=mock.MagicMock(), target=child
    )
    os.close(release_r)
    proc._terminal_state = "deferred"  # as after a DeferTask: the supervisor sends no heartbeats
    empty_waits: list[float] = []
    real_select = proc.selector.select

    def recording_select(timeout: float | None = None) -> Any:
        if not proc.selector.get_map():
            empty_waits.append(timeout or 0.0)
            os.write(release_w, b"x")  # seen: let the child exit
        return real_select(timeout)

    proc.selector.select = recording_select  # type: ignore[method-assign]
    try:
        proc._monitor_subprocess()
    finally:
        proc.selector.close()
        os.close(release_w)
    assert proc._exit_code == 0
    assert not empty_waits, f"the supervisor slept {empty_waits[0]} s on no socket while its process lived"

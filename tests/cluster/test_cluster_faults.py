"""Faults on the real cluster (issue 14): the provider's promises where triggers move and workers die.

Each test ships one release (or one create) into its own cloud service while a deferred wait is in
flight, breaks one component, and checks the run ends as it would have, counting the emulator's own
accepted operations (one create, one swap: no double submit, no double swap). A ``long_operation``
fault rule makes the create take long enough (tens of real seconds) to break things mid-wait.
Figures are printed (``pytest -s``) and recorded in docs/reliability.md.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from clusterkit import Once, OpCounter, fresh, holder, ti

from cluster.releases import conf_for, create_service, release, run_dag, slots
from cluster.stack import TRIGGERERS, WORKERS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def long_create(stack: Any, seconds: float) -> None:
    """The next create_deployment takes ``seconds`` real seconds (holding the deployment's lock)."""
    admin = stack.admin()
    admin.clear_faults()
    admin.add_fault(
        {"action": "long_operation", "operation": "create_deployment", "delay": seconds, "count": 1}
    )


def new_service(stack: Any, prefix: str, create_seconds: float | None) -> tuple[str, OpCounter]:
    """A fresh empty cloud service and the emulator's operation counts from now on; with
    ``create_seconds``, the next create_deployment is made to take that long (long_create)."""
    service = fresh(prefix)
    create_service(stack.emulator.endpoint, service)
    counter = OpCounter(stack)
    if create_seconds is not None:
        long_create(stack, create_seconds)
    return service, counter


def create_op(stack: Any) -> dict[str, Any]:
    return stack.admin().operations("create_deployment")[-1]


def figure(name: str, **values: Any) -> None:
    print(f"\nFIGURE {name}: " + ", ".join(f"{k}={v}" for k, v in values.items()), flush=True)


@pytest.mark.parametrize(
    ("task_id", "bake_seconds"),
    [("wait_deployed", 2), ("guarded_swap", 45)],
    ids=["operation-wait", "bake"],
)
def test_triggerer_killed_while_holding_the_release_wait(stack: Any, task_id: str, bake_seconds: int) -> None:
    """kill -9 the triggerer holding ``task_id``'s trigger: the other takes it over, one swap in all.

    ``wait_deployed``: the wait for the create's operation (the create made long; the example DAG's
    ``deploy_to_staging`` only submits it). ``guarded_swap``: its bake, deferred through the bake.
    """
    service, counter = new_service(stack, "tk", 60 if task_id == "wait_deployed" else None)
    ev: dict[str, Any] = {}

    def kill(w: Any) -> None:
        ev["victim"], ev["killed"] = holder(w, task_id), time.monotonic()
        stack.kill9(ev["victim"])

    def tick(w: Any) -> None:
        stack.check()
        now = holder(w, task_id)
        if "killed" in ev and "taken" not in ev and now and now != ev["victim"]:
            ev["taken"], ev["by"] = time.monotonic(), now
        if "taken" in ev and "resumed" not in ev and ti(w, task_id).get("state") != "deferred":
            ev["resumed"], ev["resumed_wall"] = time.monotonic(), time.time()

    killer = Once(lambda w: holder(w, task_id) is not None, kill)
    try:
        w = release(
            stack.api,
            service,
            "v1",
            "v1.cscfg",
            bake_seconds=bake_seconds,
            tick=lambda w: (killer(w), tick(w)),
        )
    finally:
        stack.admin().clear_faults()
        if "victim" in ev:
            stack.restart(ev["victim"])
    assert w.state == "success", w.states()
    assert task_id in w.deferred, f"{task_id} never deferred: {w.states()}"
    assert ev.get("victim") in TRIGGERERS and ev.get("by") in TRIGGERERS and ev["by"] != ev["victim"], ev
    assert counter.delta()["create_deployment"] == 1 and counter.delta()["swap_deployment"] == 1
    assert slots(stack.emulator.endpoint, service)["production"] == "v1"
    extra = {}
    if task_id == "wait_deployed":
        extra["resumed_after_operation_end_s"] = round(
            ev["resumed_wall"] - float(create_op(stack)["ends"]), 1
        )
    figure(
        f"triggerer kill -9 ({task_id})",
        takeover_s=round(ev["taken"] - ev["killed"], 1),
        **extra,
        release_s=round(w.seconds, 1),
        creates=counter.delta()["create_deployment"],
        swaps=counter.delta()["swap_deployment"],
    )
    stack.wait_healthy(120)


def test_celery_worker_killed_right_after_the_create_request(stack: Any) -> None:
    """kill -9 the worker running a (non-deferred) create once the emulator accepted the request."""
    service, counter = new_service(stack, "wk", 45)
    ev: dict[str, Any] = {}

    def sent(w: Any) -> bool:
        row = ti(w, "create")
        return (
            row.get("state") == "running"
            and row.get("hostname") in WORKERS
            and counter.delta()["create_deployment"] >= 1
        )

    def kill(w: Any) -> None:
        ev["victim"], ev["killed"] = ti(w, "create")["hostname"], time.monotonic()
        stack.kill9(ev["victim"])

    def tick(w: Any) -> None:
        stack.check()
        row = ti(w, "create")
        if (
            "killed" in ev
            and "retry" not in ev
            and int(row.get("try_number") or 0) >= 2
            and row.get("state") == "running"
        ):
            ev["retry"], ev["retry_worker"] = time.monotonic(), row.get("hostname")

    killer = Once(sent, kill)
    conf = conf_for(stack.api, "cluster_crash_create", service_name=service, deployment_name="crash-v1")
    try:
        w = run_dag(
            stack.api,
            "cluster_crash_create",
            fresh("crash"),
            conf,
            tick=lambda w: (killer(w), tick(w)),
            interval=0.2,
        )
    finally:
        stack.admin().clear_faults()
        if "victim" in ev:
            stack.restart(ev["victim"])
    row = ti(w, "create")
    assert w.state == "success", w.states()
    assert "killed" in ev, "the worker was never killed: the create finished first?"
    assert int(row["try_number"]) == 2, row
    assert counter.delta()["create_deployment"] == 1, counter.delta()
    assert slots(stack.emulator.endpoint, service)["staging"] == "crash-v1"
    figure(
        "celery worker kill -9",
        retry_started_after_kill_s=round(ev["retry"] - ev["killed"], 1) if "retry" in ev else "not seen",
        retry_worker=ev.get("retry_worker"),
        run_s=round(w.seconds, 1),
        creates=counter.delta()["create_deployment"],
    )


def test_postgres_restarted_while_triggers_are_deferred(stack: Any) -> None:
    """``pg_ctl stop -m fast`` (every connection cut), 5 s down, start: the release still ends right.

    Airflow's scheduler, dag-processor and triggerers exit when they lose the database; the stack
    restarts them as a supervisor would (``Stack.supervise``), and the figure says which did.
    """
    service, counter = new_service(stack, "pg", 40)
    ev: dict[str, Any] = {}

    def restart(w: Any) -> None:
        ev["downtime"] = stack.pg.restart(down_seconds=5)

    restarter = Once(lambda w: holder(w, "wait_deployed") is not None, restart)
    before = dict(stack.restarts)
    try:
        w = release(stack.api, service, "v1", "v1.cscfg", tick=lambda w: (restarter(w), stack.supervise()))
    finally:
        stack.admin().clear_faults()
    stack.supervise()
    restarted = {k: v - before.get(k, 0) for k, v in stack.restarts.items() if v > before.get(k, 0)}
    assert "downtime" in ev, f"the database was never restarted: {w.state}, {w.deferred}, {w.states()}"
    assert w.state == "success", w.states()
    assert counter.delta()["create_deployment"] == 1 and counter.delta()["swap_deployment"] == 1
    assert slots(stack.emulator.endpoint, service)["production"] == "v1"
    stack.wait_healthy(180)  # every component back (restarted or not)
    figure(
        "postgres restart",
        db_down_s=round(ev["downtime"], 1),
        components_restarted=restarted or "none",
        release_s=round(w.seconds, 1),
        creates=counter.delta()["create_deployment"],
        swaps=counter.delta()["swap_deployment"],
    )


def test_emulator_killed_and_restarted_mid_release(stack: Any) -> None:
    """kill -9 the emulator while the create is waited for, 5 s away, restart on the same port and state."""
    service, counter = new_service(stack, "em", 30)
    ev: dict[str, Any] = {}

    def bounce(w: Any) -> None:
        stack.killed.add("emulator")
        stack.emulator.kill9()
        time.sleep(5)
        ev["restart_s"] = stack.emulator.restart()
        stack.killed.discard("emulator")

    bouncer = Once(lambda w: holder(w, "wait_deployed") is not None, bounce)
    w = release(stack.api, service, "v1", "v1.cscfg", tick=lambda w: (bouncer(w), stack.check()))
    assert "restart_s" in ev, "the emulator was never killed"
    assert w.state == "success", w.states()
    assert counter.delta()["create_deployment"] == 1 and counter.delta()["swap_deployment"] == 1
    assert slots(stack.emulator.endpoint, service)["production"] == "v1"
    figure(
        "emulator kill -9 + restart",
        emulator_restart_s=round(ev["restart_s"], 1),
        release_s=round(w.seconds, 1),
        creates=counter.delta()["create_deployment"],
        swaps=counter.delta()["swap_deployment"],
    )

"""Chaos soak: the example release and teardown DAGs under the emulator's fault profile.

Each run gets a fresh emulator (its own state, so the admin state shows exactly what the run did),
arranged WITHOUT faults (v1 in production, ephemeral resources), then the faults are switched on
and the DAG runs through real Airflow (``dag.test``). The fault rules: the built-in ``chaos``
profile (503/429 with Retry-After, 500, exclusive-access 409, 307, drop, slow) plus failed
operations and ``drop_after`` on writes (executed, answer lost: the client must reconcile).

Every run must end either in the right final state, or fail safely with a reason:

* release succeeded -> production = v2, staging empty; failed -> production still holds a
  deployment (v1 or v2, never empty) and the failure names an ASM error;
* teardown succeeded -> every ephemeral resource gone, the kept ones intact; failed -> kept ones
  intact;
* never a duplicate: one hosted service per name, one deployment per name, at most one accepted
  create per deployment name (emulator admin state);
* no unhandled traceback: every traceback printed by the tasks ends in an AsmError (our clear
  error) or Airflow's own task-failure types -- never a KeyError, lxml, requests or httpx error.

``make test`` runs two seeds; ``make soak`` (``-m slow``) runs many.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import admin_get

from airflow_sm_provider.emulator.faults import CHAOS_PROFILE

SHORT_SEEDS = [11, 12]
LONG_SEEDS = list(range(100, 112))

EXTRA_RULES: list[dict[str, Any]] = [
    {
        "action": "fail_operation",
        "operation": "create_deployment",
        "rate": 0.15,
        "error_code": "InternalError",
    },
    {
        "action": "fail_operation",
        "operation": "delete_deployment",
        "rate": 0.1,
        "error_code": "InternalError",
    },
    {"action": "drop_after", "method": "POST", "rate": 0.04},
    {"action": "drop_after", "method": "DELETE", "rate": 0.04},
]

#: Exception types a task may end with: our clear errors, and Airflow's own outcomes.
ALLOWED_ERRORS = re.compile(
    r"^(?:[\w.]*\.)?(AsmError|AuthenticationError|NotFoundError|ConflictError|ExclusiveAccessError|"
    r"BadRequestError|ThrottledError|ServerError|OperationFailedError|OperationTimeoutError|"
    r"TransportError|InvalidResponseError|InvalidInputError|CertificateError|AirflowException|"
    r"AirflowSkipException|AirflowFailException|AirflowSensorTimeout|AirflowTaskTimeout|"
    r"DownstreamTasksSkipped|TaskDeferred|SwapRefusedError|SwapFailedError|SwapError)\b"
)


@pytest.fixture
def release_env(airflow_home: Path) -> Iterator[None]:
    from test_blue_green_support import ensure_pool

    ensure_pool()
    yield


def _dag(module: str) -> Any:
    from test_blue_green_support import example_dag

    return example_dag(module, module)


def _tracebacks(text: str) -> list[str]:
    """The final ``Type: message`` line of every traceback in ``text``."""
    ends: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "Traceback (most recent call last)" not in line:
            continue
        for nxt in lines[i + 1 :]:
            stripped = nxt.strip()
            if not stripped or nxt.startswith((" ", "\t")) or stripped.startswith(("File ", "^", "~")):
                continue
            ends.append(stripped)
            break
    return ends


def _unhandled(text: str, records: list[Any] = ()) -> list[str]:  # type: ignore[assignment]
    """Traceback ends in ``text`` and logged exceptions in ``records`` that are not allowed."""
    bad = [end for end in _tracebacks(text) if not ALLOWED_ERRORS.match(end)]
    for record in records:
        if record.exc_info and record.exc_info[0] is not None:
            name = record.exc_info[0].__name__
            if not ALLOWED_ERRORS.match(name):
                bad.append(f"{record.name}: {name}: {record.exc_info[1]}")
    return bad


def _structlog_exceptions(text: str) -> list[str]:
    """Exception types in Airflow's structured task failure records (``exc_type`` / ``error``)."""
    return re.findall(r"exc_type['\"]?\s*[:=]\s*['\"]?([\w.]+)", text)


def _duplicates(state: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    services = [
        d.get("ServiceName") or d.get("name") or d.get("service_name")
        for d in state["resources"]["hosted_service"]
    ]
    if len(services) != len(set(services)):
        problems.append(f"duplicate hosted services: {services}")
    deps = [
        (d.get("service") or d.get("service_name") or d.get("ServiceName"), d.get("Name") or d.get("name"))
        for d in state["resources"]["deployment"]
    ]
    if len(deps) != len(set(deps)):
        problems.append(f"duplicate deployments: {deps}")
    return problems


def _accepted_creates(state: dict[str, Any]) -> int:
    return sum(
        1 for op in state["operations"] if op["kind"] == "create_deployment" and op["status"] != "Failed"
    )


def _slots(client: Any, service: str) -> dict[str, str | None]:
    from test_blue_green_support import slots

    return slots(client, service)


def _run_release(factory: Any, seed: int, capfd: pytest.CaptureFixture[str], caplog: Any) -> dict[str, Any]:
    from harness import asm_connection_json, conn_env, task_states
    from test_blue_green_support import PACKAGE, deploy, make_client, new_service

    emu = factory(seed=seed)
    ep = emu.endpoint
    with make_client(ep) as client:
        service = new_service(client)
        deploy(client, service, "staging", "v1")
        client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
        creates_before = _accepted_creates(admin_get(ep))
        emu.add_faults(*CHAOS_PROFILE, *EXTRA_RULES)
        conf = {
            "service_name": service,
            "package_url": PACKAGE.format(v="v2"),
            "cscfg": "v2.cscfg",
            "deployment_name": "v2",
            "bake_seconds": 0,
            "keep_previous": False,
            "poll_interval": 0.1,
        }
        capfd.readouterr()
        caplog.clear()
        from harness import run_dag

        with conn_env("asm_default", asm_connection_json(ep)):
            dr = run_dag(_dag("blue_green_release"), run_conf=conf)
        out = capfd.readouterr()
        faults = emu.faults.list()
        emu.clear_faults()
        state = admin_get(ep)
        return {
            "state": dr.state,
            "tasks": task_states(dr),
            "slots": _slots(client, service),
            "admin": state,
            "creates": _accepted_creates(state) - creates_before,
            "text": out.out + out.err,
            "records": list(caplog.records),
            "fired": sum(int(r["fired"]) for r in faults),
        }


def _check_release(result: dict[str, Any]) -> None:
    failed_tasks = sorted(t for t, s in result["tasks"].items() if s == "failed")
    print(
        f"SOAK release: {result['state']} slots={result['slots']} "
        f"fired={result['fired']} failed={failed_tasks}"
    )
    assert result["fired"] > 0, "no fault fired: this run tested nothing"
    info = (result["state"], result["tasks"], result["slots"])
    assert not _duplicates(result["admin"]), _duplicates(result["admin"])
    assert result["creates"] <= 1, f"create_deployment accepted {result['creates']} times: {info}"
    assert result["state"] in ("success", "failed"), info
    if result["state"] == "success":
        assert result["slots"] == {"production": "v2", "staging": None}, info
    else:
        assert result["slots"]["production"] in ("v1", "v2"), f"production left empty: {info}"
        failed = [t for t, s in result["tasks"].items() if s == "failed"]
        assert failed, info
        assert "Task failed with exception" in result["text"], info
    bad = _unhandled(result["text"], result["records"])
    assert not bad, f"unhandled tracebacks: {bad}"


def _run_teardown(factory: Any, seed: int, capfd: pytest.CaptureFixture[str], caplog: Any) -> dict[str, Any]:
    from harness import asm_connection_json, conn_env, run_dag, task_states
    from test_blue_green_support import deploy, make_client, new_service

    emu = factory(seed=seed)
    ep = emu.endpoint
    suffix = uuid.uuid4().hex[:6]
    with make_client(ep) as client:
        doomed = [new_service(client, "eph", ephemeral="true") for _ in range(2)]
        deploy(client, doomed[0], "staging", "v1")
        kept = new_service(client, "keep", ephemeral="true")
        deploy(client, kept, "production", "k1")
        client.create_storage_account(
            f"eph{suffix}", "t", "t", location="West Europe", extended_properties={"ephemeral": "true"}
        ).wait(timeout=60, poll_interval=0.05)
        emu.add_faults(*CHAOS_PROFILE, *EXTRA_RULES)
        capfd.readouterr()
        caplog.clear()
        with conn_env("asm_default", asm_connection_json(ep)):
            dr = run_dag(_dag("nightly_teardown"), run_conf={"dry_run": False, "poll_interval": 0.1})
        out = capfd.readouterr()
        emu.clear_faults()
        state = admin_get(ep)
        names = {
            d.get("ServiceName") or d.get("name") or d.get("service_name")
            for d in state["resources"]["hosted_service"]
        }
        return {
            "state": dr.state,
            "tasks": task_states(dr),
            "admin": state,
            "doomed": doomed,
            "kept": kept,
            "kept_slots": _slots(client, kept),
            "services": names,
            "storage": [d for d in state["resources"]["storage"]],
            "text": out.out + out.err,
            "records": list(caplog.records),
        }


def _check_teardown(result: dict[str, Any]) -> None:
    print(f"SOAK teardown: {result['state']} tasks={result['tasks']}")
    info = (result["state"], result["tasks"])
    assert not _duplicates(result["admin"]), _duplicates(result["admin"])
    assert result["kept"] in result["services"], f"a kept service was deleted: {info}"
    assert result["kept_slots"] == {"production": "k1", "staging": None}, info
    if result["state"] == "success":
        assert not set(result["doomed"]) & result["services"], info
        assert not result["storage"], info
    else:
        assert "Task failed with exception" in result["text"], info
    bad = _unhandled(result["text"], result["records"])
    assert not bad, f"unhandled tracebacks: {bad}"


# --- make test: a few seeded runs ----------------------------------------------------------------
@pytest.mark.parametrize("seed", SHORT_SEEDS)
def test_release_under_chaos(
    seed: int, release_env: None, asm_emulator_factory: Any, capfd: pytest.CaptureFixture[str], caplog: Any
) -> None:
    _check_release(_run_release(asm_emulator_factory, seed, capfd, caplog))


@pytest.mark.parametrize("seed", SHORT_SEEDS[:1])
def test_teardown_under_chaos(
    seed: int, release_env: None, asm_emulator_factory: Any, capfd: pytest.CaptureFixture[str], caplog: Any
) -> None:
    _check_teardown(_run_teardown(asm_emulator_factory, seed, capfd, caplog))


def test_traceback_filter_flags_foreign_errors() -> None:
    """The log check itself: an lxml or KeyError traceback is flagged, our errors are not."""
    text = (
        'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n    boom()\n'
        "KeyError: 'Name'\n"
        'Traceback (most recent call last):\n  File "y.py", line 2, in f\n'
        "airflow_sm_provider.client.errors.ServerError: ASM HTTP 500 InternalError\n"
    )
    assert _unhandled(text) == ["KeyError: 'Name'"]


@pytest.mark.parametrize("what", ["deployment", "hosted_service", "storage"])
def test_delete_whose_answer_was_lost_succeeds(what: str, asm_emulator_factory: Any) -> None:
    """``drop_after`` on DELETE: the delete happened, the answer was lost. DELETE is idempotent so
    the client re-sends it; the service then answers 404. The caller asked for the resource to be
    gone and it is: the call must succeed (and ``wait()`` too), not raise NotFoundError."""
    from test_blue_green_support import deploy, make_client, new_service

    emu = asm_emulator_factory()
    with make_client(emu.endpoint) as client:
        service = new_service(client)
        if what == "deployment":
            deploy(client, service, "staging", "v1")
        if what == "storage":
            client.create_storage_account("lostdelete1", "d", "l", location="West Europe").wait(
                timeout=60, poll_interval=0.05
            )
        emu.add_faults({"action": "drop_after", "method": "DELETE", "count": 1})
        if what == "deployment":
            handle = client.delete_deployment(service, "v1")
        elif what == "hosted_service":
            handle = client.delete_hosted_service(service)
        else:
            handle = client.delete_storage_account("lostdelete1")
        handle.wait(timeout=60, poll_interval=0.05)
        assert emu.faults.list()[0]["fired"] == 1


def test_delete_of_a_missing_resource_still_raises(asm_emulator_factory: Any) -> None:
    """The guard of the fix above: without an earlier attempt that may have worked, 404 is an error."""
    from airflow_sm_provider.client.errors import NotFoundError

    emu = asm_emulator_factory()
    from test_blue_green_support import make_client, new_service

    with make_client(emu.endpoint) as client:
        service = new_service(client)
        with pytest.raises(NotFoundError):
            client.delete_deployment(service, "never-existed")
        emu.add_faults({"action": "503", "method": "DELETE", "count": 1, "retry_after": 0})
        with pytest.raises(NotFoundError):  # 503 ServerBusy: surely not executed
            client.delete_deployment(service, "never-existed")
        assert emu.faults.list()[0]["fired"] == 1


# --- make soak ------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("seed", LONG_SEEDS)
def test_release_soak(
    seed: int, release_env: None, asm_emulator_factory: Any, capfd: pytest.CaptureFixture[str], caplog: Any
) -> None:
    _check_release(_run_release(asm_emulator_factory, seed, capfd, caplog))


@pytest.mark.slow
@pytest.mark.parametrize("seed", LONG_SEEDS[:6])
def test_teardown_soak(
    seed: int, release_env: None, asm_emulator_factory: Any, capfd: pytest.CaptureFixture[str], caplog: Any
) -> None:
    _check_teardown(_run_teardown(asm_emulator_factory, seed, capfd, caplog))

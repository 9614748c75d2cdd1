"""The example DAGs: they parse without import errors or network, and the swap and teardown DAGs work.

``blue_green_release`` runs end to end in ``test_blue_green.py``; here are the parse checks, the
manual swap (with and without ``rollback``) and the nightly teardown (dry run and real run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from harness import run_dag, task_states, xcom_value
from test_blue_green_support import (
    EXAMPLES,
    deploy,
    ensure_pool,
    example_dag,
    example_module,
    make_client,
    new_service,
    slots,
)

DAG_IDS = {"blue_green_release", "nightly_teardown", "rolling_upgrade", "staging_to_production_swap"}


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    ensure_pool()
    with make_client(asm_endpoint) as c:
        yield c


def test_example_dags_parse_without_errors_and_without_network(tmp_path: Any) -> None:
    """Parse the folder in a fresh interpreter whose sockets refuse to connect anywhere."""
    script = textwrap.dedent(
        f"""
        import json, socket
        def no_network(*args, **kwargs):
            raise AssertionError(f"network call at parse time: {{args!r}}")
        socket.socket.connect = no_network
        socket.socket.connect_ex = no_network
        socket.create_connection = no_network
        socket.getaddrinfo = no_network
        from airflow.dag_processing.dagbag import DagBag
        bag = DagBag({str(EXAMPLES)!r})
        out = {{"errors": {{k: str(v) for k, v in bag.import_errors.items()}}, "dags": {{}}}}
        for dag_id, dag in bag.dags.items():
            out["dags"][dag_id] = {{
                "doc": bool(dag.doc_md), "schedule": str(dag.schedule), "tasks": sorted(dag.task_ids),
                "max_active_runs": dag.max_active_runs,
                "pools": sorted({{t.pool for t in dag.tasks}}),
            }}
        print("RESULT" + json.dumps(out))
        """
    )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'a.db'}",
    }
    env.pop("AIRFLOW_CONN_ASM_DEFAULT", None)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=180, check=False
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line is not None, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = json.loads(line[len("RESULT") :])
    assert out["errors"] == {}
    assert set(out["dags"]) == DAG_IDS
    for dag_id, info in out["dags"].items():
        assert info["doc"], f"{dag_id} has no documentation"
    # Safe to copy: the DAGs that change staging or production only run when triggered with their
    # (required, validated) params; no pool is needed unless WRITER_POOL names one.
    assert out["dags"]["staging_to_production_swap"]["schedule"] == "None"
    release = out["dags"]["blue_green_release"]
    assert release["max_active_runs"] == 1 and release["schedule"] == "None"
    assert out["dags"]["nightly_teardown"]["schedule"] != "None"
    for dag_id, info in out["dags"].items():
        assert info["pools"] == ["default_pool"], dag_id


def _promote(client: Any, service: str, name: str) -> None:
    deploy(client, service, "staging", name)
    client.swap_deployment(service, None, name).wait(timeout=60, poll_interval=0.05)


def test_manual_swap_then_rollback(client: Any) -> None:
    service = new_service(client)
    _promote(client, service, "v1")
    deploy(client, service, "staging", "v2")
    dag = example_dag("staging_to_production_swap", "staging_to_production_swap")
    conf = {"service_name": service, "bake_seconds": 0, "expected_deployment": "v2", "rollback": False}
    dr = run_dag(dag, run_conf=conf)
    assert dr.state == "success", task_states(dr)
    assert slots(client, service) == {"production": "v2", "staging": "v1"}
    # Every param explicitly: dag.test() on one DAG object carries the previous run's conf over.
    conf = {"service_name": service, "bake_seconds": 0, "expected_deployment": "", "rollback": True}
    dr = run_dag(dag, run_conf=conf)
    report = xcom_value(dr, "guarded_swap", "swap_report")
    assert dr.state == "success"
    assert report["mode"] == "rollback" and report["new_production"] == "v1"
    assert slots(client, service) == {"production": "v1", "staging": "v2"}


def test_manual_rollback_needs_an_occupied_production(client: Any) -> None:
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    dag = example_dag("staging_to_production_swap", "staging_to_production_swap")
    conf = {"service_name": service, "bake_seconds": 0, "expected_deployment": "", "rollback": True}
    dr = run_dag(dag, run_conf=conf)
    report = xcom_value(dr, "guarded_swap", "swap_report")
    assert dr.state == "failed"
    assert report["outcome"] == "refused" and "nothing to roll back" in report["message"]
    assert slots(client, service) == {"production": None, "staging": "v1"}


def _storage(client: Any, name: str, **props: str) -> str:
    client.create_storage_account(
        name, "test", name, location="West Europe", extended_properties=props or None
    ).wait(timeout=60, poll_interval=0.05)
    return name


def _exists(fn: Any, *args: Any) -> bool:
    from airflow_sm_provider.client.errors import NotFoundError

    try:
        fn(*args)
    except NotFoundError:
        return False
    return True


def _disk(client: Any, name: str) -> str:
    """A disk in the repository, attached to no VM (what a VM deleted without its disks leaves)."""
    client.add_disk(True, name, f"https://store.blob.core.windows.net/vhds/{name}.vhd", name, "Linux")
    return name


def _reserved_ip(client: Any, name: str, *, used_by: tuple[str, str] | None = None) -> str:
    client.create_reserved_ip_address(name, name, "West Europe").wait(timeout=60, poll_interval=0.05)
    if used_by is not None:
        client.associate_reserved_ip_address(name, *used_by).wait(timeout=60, poll_interval=0.05)
    return name


def test_nightly_teardown_dry_run_then_real_run(
    client: Any, asm_endpoint: dict[str, Any], asm_emulator: Any
) -> None:
    from test_operators_disk import _vm_with_an_os_disk
    from test_operators_helpers import request_counter, requests_seen

    suffix = os.urandom(3).hex()
    doomed = new_service(client, "eph", ephemeral="true")
    doomed_empty = new_service(client, "eph", ephemeral="true")
    no_prefix = new_service(client, "keep", ephemeral="true")
    no_property = new_service(client, "eph")
    not_true = new_service(client, "eph", ephemeral="false")
    _promote(client, doomed, "v1")
    deploy(client, doomed, "staging", "v2")
    deploy(client, no_property, "staging", "v1")
    doomed_sa = _storage(client, f"eph{suffix}a", ephemeral="true")
    kept_sa = _storage(client, f"eph{suffix}b")
    other_sa = _storage(client, f"keep{suffix}", ephemeral="true")
    # Disks and reserved IPs carry no properties: the environment's name prefix alone marks them.
    orphan_disk = _disk(client, f"eph-{suffix}-orphan")
    other_env_disk = _disk(client, f"keep-{suffix}-orphan")
    attached_disk = _vm_with_an_os_disk(asm_endpoint, f"eph-{suffix}vm")  # a kept (unmarked) VM's
    assert attached_disk.startswith("eph-")
    free_ip = _reserved_ip(client, f"eph-{suffix}-free")
    other_env_ip = _reserved_ip(client, f"keep-{suffix}-free")
    used_ip = _reserved_ip(client, f"eph-{suffix}-used", used_by=(no_property, "v1"))
    disk_deletes = request_counter(asm_emulator, "delete_disk")
    ip_deletes = request_counter(asm_emulator, "delete_reserved_ip_address")
    dag = example_dag("nightly_teardown", "nightly_teardown")

    conf = {
        "poll_interval": 0.1,
        "name_prefix": "eph-",
        "ephemeral_property": "ephemeral",
        "ephemeral_value": "true",
        "match": "all",
    }
    dr = run_dag(dag, run_conf={**conf, "dry_run": True})
    assert dr.state == "success", task_states(dr)
    plan = xcom_value(dr, "find_ephemeral")["plan"]
    planned = {item["name"] for item in plan}
    assert {doomed, doomed_empty, f"{doomed}/v1", f"{doomed}/v2", doomed_sa} <= planned
    assert not planned & {no_prefix, no_property, not_true, kept_sa, other_sa}
    assert slots(client, doomed) == {"production": "v1", "staging": "v2"}  # dry run: nothing deleted
    assert _exists(client.get_storage_account_properties, doomed_sa)
    leftovers = xcom_value(dr, "find_leftovers")
    left = {item["name"] for item in leftovers["plan"]}
    assert {orphan_disk, free_ip} <= left
    assert not left & {other_env_disk, attached_disk, other_env_ip, used_ip}
    assert (leftovers["disks"], leftovers["reserved_ips"]) == ([], [])
    assert _exists(client.get_disk, orphan_disk) and _exists(client.get_reserved_ip_address, free_ip)
    assert (requests_seen(asm_emulator, disk_deletes), requests_seen(asm_emulator, ip_deletes)) == (0, 0)

    dr = run_dag(dag, run_conf={**conf, "dry_run": False})
    states = task_states(dr)
    assert dr.state == "success", states
    for gone in (doomed, doomed_empty):
        assert not _exists(client.get_hosted_service_properties, gone)
    assert not _exists(client.get_storage_account_properties, doomed_sa)
    for kept in (no_prefix, no_property, not_true):
        assert _exists(client.get_hosted_service_properties, kept)
    assert slots(client, no_property) == {"production": None, "staging": "v1"}
    assert _exists(client.get_storage_account_properties, kept_sa)
    assert _exists(client.get_storage_account_properties, other_sa)
    assert not _exists(client.get_disk, orphan_disk)
    assert not _exists(client.get_reserved_ip_address, free_ip)
    for disk in (other_env_disk, attached_disk):
        assert _exists(client.get_disk, disk), disk
    assert client.get_disk(attached_disk).attached_to.role_name  # still attached, untouched
    for ip in (other_env_ip, used_ip):
        assert _exists(client.get_reserved_ip_address, ip), ip
    assert client.get_reserved_ip_address(used_ip).in_use is True
    assert requests_seen(asm_emulator, disk_deletes) >= 1 and requests_seen(asm_emulator, ip_deletes) >= 1
    assert {states["delete_disks"], states["delete_reserved_ips"]} == {"success"}, states


def test_examples_read_no_environment_at_parse_time() -> None:
    """Workers re-parse DAG files: configuration comes from params, never from os.environ."""
    import ast

    for path in sorted(EXAMPLES.glob("*.py")):
        tree = ast.parse(path.read_text())
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not names & {"environ", "getenv"}, f"{path.name} reads the environment"


def test_every_sensor_of_the_release_is_fed_by_an_xcomarg() -> None:
    """The release DAG (run end to end in test_blue_green.py) wires its sensors with XComArgs."""
    from airflow.sdk import XComArg

    from airflow_sm_provider.sensors.deployment import AsmDeploymentReadySensor
    from airflow_sm_provider.sensors.operation import AsmOperationSensor

    dag = example_dag("blue_green_release", "blue_green_release")
    wait_deployed = dag.get_task("wait_deployed")
    ready = dag.get_task("wait_staging_ready")
    assert isinstance(wait_deployed, AsmOperationSensor) and isinstance(ready, AsmDeploymentReadySensor)
    request_id = wait_deployed.request_id
    assert isinstance(request_id, XComArg)
    assert [(op.task_id, key) for op, key in request_id.iter_references()] == [
        ("deploy_to_staging", "request_id")
    ]
    for value in (ready.service_name, ready.deployment_name):
        assert isinstance(value, XComArg)
        assert [op.task_id for op, _ in value.iter_references()] == ["prepare"]


@pytest.mark.parametrize(("prefix", "matched"), [("eph-", True), ("", False), ("e", False), ("ep", False)])
def test_teardown_leftovers_need_a_prefix_that_marks_an_environment(prefix: str, matched: bool) -> None:
    """Free disks and reserved IPs carry no marker but their name, and are deleted with their VHDs:
    a one- or two-letter prefix typed at trigger time (``name_prefix="e"``) must not sweep them all
    (read-only review, session 8)."""
    teardown = example_module("nightly_teardown")
    assert (teardown.in_environment("eph-disk-1", {"name_prefix": prefix}) is not None) is matched

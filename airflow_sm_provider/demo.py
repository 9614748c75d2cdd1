"""``make demo``: blue-green releases, then rolling upgrades, against a local ASM emulator.

What it shows (the README's promise): the ``blue_green_release`` example DAG ships v1 into an empty
production slot (a move), replaces it with v2 (a swap, v1 retired), then refuses a broken v3 whose
staging health check fails (production untouched), and finally swaps back on its own when a v3b that
looked fine in staging fails in production. Then the ``rolling_upgrade`` example DAG uploads a
service certificate (only if missing) and upgrades a two-role service with three upgrade domains in
place, domain by domain (r2: every domain healthy), and finally rolls an upgrade back on its own when
its second upgrade domain turns unhealthy (r3). Each release prints its text timeline (the report's
events); the demo prints the final state and exits non-zero if anything is not as expected.

Why this shape: Airflow reads its configuration on first import, so the environment (a temp
``AIRFLOW_HOME``, the DAGs folder, the connection ``AIRFLOW_CONN_ASM_DEFAULT``) is set before
``airflow`` is imported, and every DAG run happens in this one process with ``dag.test()`` (the first
task of a process pays ~3 s of start-up, later ones do not). The emulator runs as a subprocess via
its CLI, like a real endpoint. Whatever happens, the emulator is stopped and the temp directories --
which hold the demo's certificate and key -- are deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from airflow_sm_provider._processes import die_with_parent, emulator_command, stop_group

SERVICE = "bluegreen-demo"
ROLLING_SERVICE = "rolling-demo"
#: (label, .cscfg file, expected DAG run state, expected upgrade outcome, what it demonstrates)
UPGRADES = [
    ("r2", "r2.cscfg", "success", "upgraded", "rolling upgrade: certificate uploaded, 3 domains walked"),
    ("r3", "r2-bad-domain-1.cscfg", "failed", "rolled_back", "second upgrade domain unhealthy: rolled back"),
]
PACKAGE = "https://demostore.blob.core.windows.net/packages/app-{v}.cspkg"
EXAMPLE_DAGS = Path(__file__).resolve().parent.parent / "example_dags"
SPEED = "50"
#: (deployment name, .cscfg file, expected DAG run state, expected swap outcome, what it demonstrates)
RELEASES = [
    ("v1", "v1.cscfg", "success", "swapped", "first release: production is empty, so staging is moved"),
    ("v2", "v2.cscfg", "success", "swapped", "regular release: gate, swap, bake, retire v1"),
    ("v3", "v3-broken.cscfg", "failed", "refused", "broken build: staging health fails, no swap"),
    ("v3b", "v3-fails-in-production.cscfg", "failed", "rolled_back", "fails only in production: swap back"),
]


class Timeline:
    """Steps with their offset from the start, printed as they happen."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.out: Any = sys.stdout  # the terminal, even while Airflow's output goes to the log file

    def step(self, text: str, detail: str = "") -> None:
        line = f"[{time.monotonic() - self.t0:6.1f}s] {text}"
        print(line + (f"\n           {detail}" if detail else ""), file=self.out, flush=True)

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)


def start_emulator(state_dir: Path) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start ``python -m airflow_sm_provider.emulator`` and read its one-line endpoint JSON.

    In its own session and tied to the demo's life (``die_with_parent``): killed with the demo, even
    by SIGKILL. Its log goes to ``state_dir/../emulator.log`` (inside the demo's temp dir)."""
    log = open(state_dir.parent / "emulator.log", "wb")  # noqa: SIM115 -- the child keeps the fd
    try:
        proc = subprocess.Popen(
            emulator_command(state_dir, "--speed", SPEED),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 -- only prctl, no locks taken
        )
    finally:
        log.close()
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else ""
    if not line.strip():
        stop_emulator(proc)
        tail = (state_dir.parent / "emulator.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the emulator did not print its endpoint within 30 s:\n{tail}")
    return proc, json.loads(line)


def stop_emulator(proc: subprocess.Popen[str] | None) -> None:
    if proc is not None:
        stop_group(proc, grace=10)


def configure_airflow(home: Path, endpoint: dict[str, Any]) -> None:
    """Everything Airflow and the example DAGs read from the environment; before importing airflow.

    The test home's settings (``testing.airflow_env``, the one list) over the example DAGs, plus
    what only the demo sets: the connection, the certificate password Variable, non-deferrable
    operators."""
    from airflow_sm_provider.testing import airflow_env, connection_env

    os.environ.update(airflow_env(home, EXAMPLE_DAGS))
    os.environ.update(connection_env("asm_default", endpoint))
    os.environ["AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE"] = "False"
    os.environ["AIRFLOW_VAR_ASM_SERVICE_CERTIFICATE_PASSWORD"] = CERT_PASSWORD
    write_service_certificate(certificate_file(home))


def certificate_file(home: Path) -> Path:
    """Where the demo's throwaway service certificate lives (inside the demo's temp dir)."""
    return home.parent / "certs" / "service.pfx"


#: The demo's throwaway service certificate password (the file is deleted with the temp dir).
CERT_PASSWORD = "demo-" + os.urandom(6).hex()


def write_service_certificate(path: Path) -> None:
    """A throwaway self-signed .pfx for the rolling-upgrade service's HTTPS endpoint."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    from airflow_sm_provider.emulator.certs import sign_certificate

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{ROLLING_SERVICE}.cloudapp.net")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = sign_certificate(key, name, now, now + dt.timedelta(days=1))
    encryption = serialization.BestAvailableEncryption(CERT_PASSWORD.encode())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"demo", key, cert, None, encryption))
    path.chmod(0o600)


def timeline_lines(report: dict[str, Any] | None) -> str:
    """The report's events as text (``release_report.format_timeline``, shared with the UI)."""
    from airflow_sm_provider.release_report import format_timeline

    return format_timeline(report) if report else "(no release report)"


@contextlib.contextmanager
def quietly(log_file: Path, timeline: Timeline) -> Iterator[None]:
    """Send Airflow's chatter (task logs, warnings) to a file; the terminal shows only the timeline.

    Redirected at the file-descriptor level, not by swapping ``sys.stdout``: Airflow's loggers keep
    (and reconfigure) the stream objects they first saw, so only fds 1 and 2 stay valid throughout.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    timeline.out = os.fdopen(os.dup(saved_out), "w", buffering=1)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for handle in (fd, saved_out, saved_err):
            os.close(handle)
        timeline.out.close()
        timeline.out = sys.stdout


#: The UI address (path) of every release's timeline tab, in run order (``make demo-ui`` prints them).
TIMELINE_PATHS: list[str] = []


def run_release(dag: Any, version: str, cscfg: str) -> tuple[str, dict[str, Any] | None, str]:
    """One ``blue_green_release`` run; returns (run state, release report or None, per-task summary)."""
    conf = {
        "service_name": SERVICE,
        "package_url": PACKAGE.format(v=version),
        "cscfg": cscfg,
        "deployment_name": version,
        "bake_seconds": 2,
        "keep_previous": False,
        "poll_interval": 0.3,  # the emulator runs x50: check often
    }
    return run_dag(dag, conf, "guarded_swap")


def run_dag(dag: Any, conf: dict[str, Any], task_id: str) -> tuple[str, dict[str, Any] | None, str]:
    """One ``dag.test()`` run; returns (run state, ``task_id``'s release report or None, task summary)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select as sa_select

    dr = dag.test(run_conf=conf)
    with create_session() as session:
        tis = session.scalars(
            sa_select(TaskInstance).where(TaskInstance.dag_id == dr.dag_id, TaskInstance.run_id == dr.run_id)
        ).all()
        row = session.scalars(
            sa_select(XComModel).where(
                XComModel.dag_id == dr.dag_id,
                XComModel.run_id == dr.run_id,
                XComModel.task_id == task_id,
                XComModel.key == "release_report",
            )
        ).first()
        report = XComModel.deserialize_value(row) if row is not None else None
        order = {t.task_id: i for i, t in enumerate(dag.tasks)}
        tasks = "\n           ".join(
            f"  {ti.task_id:<20} {getattr(ti.state, 'value', ti.state) or '-':<16} {_took(ti)}"
            for ti in sorted(tis, key=lambda t: order.get(t.task_id, 99))
        )
    if report is not None:
        from airflow_sm_provider.operators.links import timeline_ui_path

        where = timeline_ui_path(dr.dag_id, dr.run_id, task_id, None)
        TIMELINE_PATHS.append(where)
        tasks += (
            f"\n           release timeline in the Airflow UI: {where} ('Release timeline' tab; "
            "`make demo-ui` serves it)"
        )
    return str(getattr(dr.state, "value", dr.state)), report, tasks


def _took(ti: Any) -> str:
    """A task instance's run time, e.g. ``1.2s`` (empty when it did not run)."""
    if ti.start_date and ti.end_date:
        return f"{(ti.end_date - ti.start_date).total_seconds():.1f}s"
    return ""


def report_lines(report: dict[str, Any] | None) -> str:
    """The report's outcome in one line; its checks are the timeline's events, printed next."""
    if not report:
        return "guarded swap did not run"
    return f"guarded swap: {report.get('swap_outcome', report['outcome'])} -- {report['message']}"


def final_state(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Read both slots and probe production's health, straight from the emulator."""
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.compat import endpoint_kwargs
    from airflow_sm_provider.client.errors import NotFoundError
    from airflow_sm_provider.client.polling import health_condition
    from airflow_sm_provider.operators.health import HealthCheck, probe_sync

    state: dict[str, Any] = {}
    with ServiceManagementClient(**endpoint_kwargs(endpoint)) as client:
        for slot in ("production", "staging"):
            try:
                state[slot] = client.get_deployment_by_slot(SERVICE, slot)
            except NotFoundError:
                state[slot] = None
        prod = state["production"]
        check = HealthCheck()
        ctx = ssl.create_default_context(cafile=endpoint["ca_cert"])
        sample = probe_sync(check.resolve(prod, SERVICE, "production"), check, ctx) if prod else None
        state["health"] = health_condition(check.expected_status)(sample) if sample else None
    return state


def demo(work: Path, timeline: Timeline) -> list[str]:
    """The demo proper; returns the list of broken expectations (empty = all good)."""
    problems: list[str] = []
    proc, endpoint = start_emulator(work / "emulator")
    try:
        timeline.step(f"emulator up at {endpoint['host']} (speed x{SPEED}, mutual TLS)")
        configure_airflow(work / "airflow", endpoint)
        from airflow.utils.db import initdb

        initdb()
        timeline.step("Airflow metadata DB migrated (SQLite, temp AIRFLOW_HOME); connection asm_default set")
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
        from airflow.models.pool import Pool

        Pool.create_or_update_pool("asm_blue_green", 1, "one ASM writer at a time", include_deferred=False)
        DagBundlesManager().sync_bundles_to_db()
        bag = DagBag(str(EXAMPLE_DAGS))
        sync_bag_to_db(bag, "dags-folder", None)
        if bag.import_errors:
            return [f"example DAGs failed to import: {bag.import_errors}"]
        dag = bag.dags["blue_green_release"]
        timeline.step(f"example DAGs parsed: {', '.join(sorted(bag.dags))}; pool asm_blue_green (1 slot)")

        from airflow_sm_provider.client import ServiceManagementClient
        from airflow_sm_provider.client.compat import endpoint_kwargs

        with ServiceManagementClient(**endpoint_kwargs(endpoint)) as client:
            client.create_hosted_service(SERVICE, SERVICE, "blue-green demo", location="West Europe").wait(
                timeout=60, poll_interval=0.2
            )
        timeline.step(f"cloud service {SERVICE} created (both slots empty)")

        for i, (version, cscfg, expected, outcome, why) in enumerate(RELEASES):
            note = " (its first task also starts Airflow's in-process execution API)" if i == 0 else ""
            timeline.step(f"release {version}: {why}{note}")
            run_state, report, tasks = run_release(dag, version, cscfg)
            timeline.step(
                f"release {version}: DAG run {run_state} (expected {expected})", f"tasks:\n           {tasks}"
            )
            timeline.step(f"release {version}: report", report_lines(report))
            timeline.say(timeline_lines(report))
            got = report.get("swap_outcome") if report else None
            problems += run_problems(
                f"release {version}", (run_state, expected), (got, outcome), "guarded swap"
            )
        state = final_state(endpoint)
        problems += rolling_upgrades(bag.dags["rolling_upgrade"], endpoint, timeline)
    finally:
        stop_emulator(proc)
    prod, stag, health = state["production"], state["staging"], state["health"]
    say = timeline.say
    say(f"\nFinal state of cloud service {SERVICE}")
    say(f"  production: {prod.name if prod else '(empty)'}  ({prod.status if prod else '-'})")
    say(f"  staging:    {stag.name if stag else '(empty)'}")
    verdict = "healthy" if health and health.ok else "UNHEALTHY"
    say(f"  production health: {verdict} ({health and health.message})")
    if prod is None or prod.name != "v2":
        problems.append(f"production holds {prod.name if prod else 'nothing'}, expected v2")
    if health is None or not health.ok:
        problems.append("production is not healthy")
    if stag is not None and stag.name in ("v1",):
        problems.append("v1 was not retired")
    if not problems:
        say("  v3 refused (staging unhealthy, never reached production)")
        say("  v3b swapped back automatically (unhealthy in production; v2 restored)")
    return problems


def run_problems(
    what: str, state: tuple[str, str], outcome: tuple[str | None, str], outcome_name: str
) -> list[str]:
    """What is wrong with one DAG run of the demo: its ``(state, expected)`` and its report's
    ``(outcome, expected)``, against the RELEASES / UPGRADES tables."""
    problems = []
    if state[0] != state[1]:
        problems.append(f"{what}: DAG run {state[0]}, expected {state[1]}")
    if outcome[0] != outcome[1]:
        problems.append(f"{what}: {outcome_name} outcome {outcome[0]}, expected {outcome[1]}")
    return problems


def rolling_upgrades(dag: Any, endpoint: dict[str, Any], timeline: Timeline) -> list[str]:
    """The ``rolling_upgrade`` example DAG twice over a live r1: r2 (healthy), r3 (rolled back)."""
    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.compat import endpoint_kwargs
    from airflow_sm_provider.client.polling import Probe, Schedule, deployment_ready_condition, run_sync

    problems: list[str] = []
    with ServiceManagementClient(**endpoint_kwargs(endpoint)) as client:
        client.create_hosted_service(
            ROLLING_SERVICE, ROLLING_SERVICE, "rolling demo", location="West Europe"
        ).wait(timeout=60, poll_interval=0.2)
        config = (EXAMPLE_DAGS / "config" / "r1.cscfg").read_text()
        client.create_deployment(
            ROLLING_SERVICE, "production", "live", PACKAGE.format(v="r1"), "r1", config, start_deployment=True
        ).wait(timeout=60, poll_interval=0.2)
        ready = run_sync(
            Probe(
                "r1 ready",
                deployment_ready_condition,
                lambda: client.get_deployment_by_name(ROLLING_SERVICE, "live"),
            ),
            deadline=time.time() + 60,
            schedule=Schedule(0.3),
        )
        timeline.step(f"cloud service {ROLLING_SERVICE}: r1 live in production ({ready.message})")
        for label, cscfg, expected, outcome, why in UPGRADES:
            timeline.step(f"upgrade {label}: {why}")
            conf = {
                "service_name": ROLLING_SERVICE,
                "package_url": PACKAGE.format(v=label),
                "cscfg": cscfg,
                "label": label,
                "certificate_path": str(certificate_file(Path(os.environ["AIRFLOW_HOME"]))),
                "domain_bake_seconds": 1,
                "poll_interval": 0.3,
            }
            run_state, report, tasks = run_dag(dag, conf, "rolling_upgrade")
            timeline.step(
                f"upgrade {label}: DAG run {run_state} (expected {expected})", f"tasks:\n           {tasks}"
            )
            timeline.say(timeline_lines(report))
            got = report.get("upgrade_outcome") if report else None
            problems += run_problems(
                f"upgrade {label}", (run_state, expected), (got, outcome), "rolling upgrade"
            )
        live = client.get_deployment_by_slot(ROLLING_SERVICE, "production")
        certificates = client.list_service_certificates(ROLLING_SERVICE)
    timeline.say(f"\nFinal state of cloud service {ROLLING_SERVICE}")
    timeline.say(
        f"  production: {live.name} label {live.label} ({live.status}); certificates: {len(certificates)}"
    )
    if live.label != "r2":
        problems.append(f"{ROLLING_SERVICE} runs {live.label}, expected r2 after the rollback of r3")
    if len(certificates) != 1:
        problems.append(f"{ROLLING_SERVICE} holds {len(certificates)} service certificates, expected 1")
    return problems


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM -> SystemExit, so every ``finally`` (emulator stop, temp dir removal) still runs."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """``--ui`` (``make demo-ui``): afterwards serve the Airflow UI on the demo's runs until Ctrl-C."""
    args = sys.argv[1:] if argv is None else argv
    if "-h" in args or "--help" in args or set(args) - {"--ui"}:
        print("usage: python -m airflow_sm_provider.demo [--ui]\n\n" + (__doc__ or "").split("\n\n")[0])
        return 0 if {"-h", "--help"} & set(args) else 2
    ui = "--ui" in args
    signal.signal(signal.SIGTERM, _terminate)
    timeline = Timeline()
    work = Path(tempfile.mkdtemp(prefix="asm-demo-"))
    os.chmod(work, 0o700)
    try:
        code = _run(work, timeline, ui)
        if ui and code == 0:
            from airflow_sm_provider.demo_ui import serve

            # dag.test() installed Airflow's task-runner SIGTERM handler; make SIGTERM clean up again.
            signal.signal(signal.SIGTERM, _terminate)
            serve(work / "airflow", TIMELINE_PATHS, timeline.say)
        return code
    finally:
        # Always, even on Ctrl-C, SIGTERM or a broken pipe: the dir holds the demo's key material.
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, timeline: Timeline, ui: bool = False) -> int:
    problems: list[str]
    try:
        with quietly(work / "airflow.log", timeline):
            problems = demo(work, timeline)
    except Exception as exc:  # the demo must explain, clean up and exit non-zero
        problems = [f"{type(exc).__name__}: {exc}"]
        traceback.print_exc()
    log = work / "airflow.log"
    if problems and log.exists():
        print("--- last lines of the Airflow log ---", file=sys.stderr)
        print("\n".join(log.read_text(errors="replace").splitlines()[-60:]), file=sys.stderr)
    removed = "when the UI stops" if ui and not problems else "now"
    timeline.step(f"done; emulator stopped; the temp dir (with the demo's key material) is removed {removed}")
    if problems:
        print("\nDEMO FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(
        "\nDEMO OK: v2 in production, v3 refused, v3b swapped back automatically; "
        "rolling upgrade r2 live, r3 rolled back after its second upgrade domain failed."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

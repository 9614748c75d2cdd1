"""The CLI process contract: one JSON line once it accepts connections, endpoint.json, SIGTERM = exit 0,
restart on the same state dir keeps identity. Runs against the stub App (``--app``) so it tests the
process plumbing only; durability with the real service logic is in test_durability.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow_sm_provider.emulator import read_endpoint
from airflow_sm_provider.emulator.certs import mint_client_certificate
from airflow_sm_provider.emulator.sessions import admin_session, legacy_session

HERE = Path(__file__).parent
STUB = ["--app", "conftest:StubApp"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}


def _spawn(factory: Callable[..., Any], **kwargs: Any) -> Any:
    extra = [*STUB, *kwargs.pop("extra_args", [])]
    return factory(subprocess=True, extra_args=extra, env=_env(), **kwargs)


def test_prints_one_json_line_accepts_connections_and_exits_0_on_sigterm(
    asm_emulator_factory: Callable[..., Any],
) -> None:
    proc = _spawn(asm_emulator_factory)
    ep = proc.endpoint
    assert ep == read_endpoint(proc.state_dir)
    host, port = ep["host"].rsplit(":", 1)
    socket.create_connection((host, int(port)), timeout=5).close()  # already accepting
    session = legacy_session(ep)
    assert session.get(f"https://{ep['host']}/{ep['subscription_id']}").status_code == 200
    session.close()

    assert proc.terminate() == 0
    assert proc.proc.stdout.read() == ""  # nothing after the endpoint line


def test_restart_on_same_dir_keeps_certificates_and_subscription(
    asm_emulator_factory: Callable[..., Any],
) -> None:
    first = _spawn(asm_emulator_factory)
    before = dict(first.endpoint)
    assert first.terminate() == 0
    second = _spawn(asm_emulator_factory, state_dir=first.state_dir)
    after = second.endpoint
    for key in ("subscription_id", "thumbprint", "client_pem", "ca_cert"):
        assert after[key] == before[key]
    assert read_endpoint(first.state_dir)["host"] == after["host"]  # rewritten (the port may change)
    session = legacy_session(after)  # the old CA still validates the server
    assert session.get(f"https://{after['host']}/{after['subscription_id']}").status_code == 200
    session.close()


def test_register_cert_adds_subscriptions(asm_emulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    extra = mint_client_certificate(common_name="ci")
    pem = extra.write(tmp_path, "ci")
    sub = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    proc = _spawn(asm_emulator_factory, extra_args=["--register-cert", str(pem), "--subscription", sub])
    session = legacy_session(proc.endpoint)
    session.cert = str(pem)
    assert session.get(f"https://{proc.endpoint['host']}/{sub}").status_code == 200
    assert (
        session.get(f"https://{proc.endpoint['host']}/{proc.endpoint['subscription_id']}").status_code == 403
    )
    session.close()


def test_faults_profile_is_loaded(asm_emulator_factory: Callable[..., Any]) -> None:
    proc = _spawn(asm_emulator_factory, faults="chaos", seed=7)
    session = admin_session(proc.endpoint)
    listed = session.get(proc.endpoint["admin_url"] + "faults").json()
    session.close()
    assert listed["seed"] == 7
    assert {r["action"] for r in listed["rules"]} >= {"503", "429", "500", "409", "307", "drop", "slow"}


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "airflow_sm_provider.emulator", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=_env())


def test_bad_arguments_fail_before_printing(tmp_path: Path) -> None:
    unpaired = _run(["--state-dir", str(tmp_path / "a"), "--register-cert", "x.pem"])
    assert unpaired.returncode == 2 and unpaired.stdout == ""
    assert "--subscription" in unpaired.stderr

    profile = tmp_path / "bad.json"
    profile.write_text(json.dumps([{"action": "explode"}]))
    bad = _run(["--state-dir", str(tmp_path / "b"), "--faults", str(profile), *STUB])
    assert bad.returncode == 2 and bad.stdout == ""
    assert "unknown fault action" in bad.stderr


def test_an_unknown_fault_profile_names_the_built_ins_and_mints_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    bad = _run(["--state-dir", str(state), "--faults", "nosuch", *STUB])
    assert bad.returncode == 2 and bad.stdout == ""
    assert "'nosuch' is neither a built-in profile (chaos) nor a JSON file" in bad.stderr
    assert "No such file" not in bad.stderr
    assert not state.exists() or list(state.iterdir()) == []  # no CA, no keys, no endpoint.json


def test_an_unreadable_certificate_to_register_mints_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    args = [
        "--state-dir",
        str(state),
        "--register-cert",
        str(tmp_path / "missing.pem"),
        "--subscription",
        "s",
    ]
    bad = _run([*args, *STUB])
    assert bad.returncode == 2 and "missing.pem" in bad.stderr
    assert not state.exists() or list(state.iterdir()) == []


def _snapshot(state: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(state.iterdir()) if p.is_file()}


def test_a_second_emulator_on_a_state_dir_in_use_refuses_and_changes_nothing(
    asm_emulator_factory: Callable[..., Any],
) -> None:
    first = _spawn(asm_emulator_factory)
    before = _snapshot(first.state_dir)
    second = _run(["--state-dir", str(first.state_dir), *STUB])
    assert second.returncode == 2 and second.stdout == ""
    assert "Traceback" not in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert str(first.state_dir) in second.stderr and "in use" in second.stderr
    assert f"pid {first.pid}" in second.stderr and first.endpoint["host"] in second.stderr
    assert _snapshot(first.state_dir) == before  # endpoint.json still names the running one
    session = legacy_session(first.endpoint)
    assert session.get(f"https://{first.endpoint['host']}/{first.endpoint['subscription_id']}").ok
    session.close()
    assert first.terminate() == 0
    # Once it has exited, a start on the same directory works again.
    again = _spawn(asm_emulator_factory, state_dir=first.state_dir)
    assert read_endpoint(first.state_dir)["host"] == again.endpoint["host"]


def test_a_port_out_of_range_exits_2_before_anything_is_made(tmp_path: Path) -> None:
    for port in ("99999", "-1", "65536", "http"):
        state = tmp_path / f"state{port}"
        bad = _run(["--state-dir", str(state), "--port", port, *STUB])
        assert bad.returncode == 2 and bad.stdout == "", bad.stderr
        assert "--port" in bad.stderr and "0-65535" in bad.stderr and "Traceback" not in bad.stderr
        assert not state.exists()


def test_a_port_in_use_is_one_clear_line_exit_2_and_mints_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        bad = _run(["--state-dir", str(state), "--port", str(port), *STUB])
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        f"emulator: cannot start: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert not state.exists() or list(state.iterdir()) == []


def test_other_bad_numbers_and_paths_exit_2_before_anything_is_made(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    cases = [
        (["--speed", "nan"], "--speed"),
        (["--speed", "inf"], "--speed"),
        (["--log-level", "LOUD"], "--log-level"),
    ]
    for extra, needle in cases:
        state = tmp_path / "state"
        bad = _run(["--state-dir", str(state), *extra, *STUB])
        assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr, bad.stderr
        assert needle in bad.stderr
        assert not state.exists()
    bad = _run(["--state-dir", str(a_file), *STUB])
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "not a directory" in bad.stderr

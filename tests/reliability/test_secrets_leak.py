"""Secrets: key material and passwords never reach logs, XCom, rendered fields, exceptions or temp files.

The DAG run uses a connection whose certificate is the emulator's registered key+certificate as a
password-protected PKCS#12, base64 in ``certificate_private_key``, with the password in the
connection's ``password``; a second connection carries a wrong password (its task must fail
without echoing it). Needles: every 48-character slice of the PEM private key body, of the base64
PKCS#12, both passwords, and the PEM markers. Scanned: the task output (captured), every log
record, the XCom and rendered-template tables, the whole metadata DB file, the AIRFLOW_HOME tree,
and files the run left in the temp directory. The client's temp key files are recorded as they
are created: each must be 0600 and gone afterwards.
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import db_session
from relkit import der_needles, find_secrets, private_key_needles, read_texts

PASSWORD = "Pa55-" + os.urandom(6).hex()
WRONG_PASSWORD = "Wr0ng-" + os.urandom(6).hex()


def _pkcs12_b64(client_pem: Path) -> tuple[str, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    data = client_pem.read_bytes()
    cert = x509.load_pem_x509_certificate(data)
    start = data.index(b"-----BEGIN", data.index(b"-----END CERTIFICATE-----"))
    key: Any = serialization.load_pem_private_key(data[start:], None)
    der = pkcs12.serialize_key_and_certificates(
        b"asm",
        key,
        cert,
        None,
        serialization.BestAvailableEncryption(PASSWORD.encode()),
    )
    return base64.b64encode(der).decode(), der


@pytest.fixture
def recorded_temp_files(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(path, mode) of every temp file the client's credentials module creates."""
    from airflow_sm_provider.client import credentials

    seen: list[tuple[str, int]] = []
    real = tempfile.mkstemp

    def spy(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)
        seen.append((name, stat.S_IMODE(os.fstat(fd).st_mode)))
        return fd, name

    monkeypatch.setattr(credentials.tempfile, "mkstemp", spy)
    return seen


def test_no_key_material_or_password_anywhere(
    asm_emulator_factory: Any,
    airflow_home: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    recorded_temp_files: list[tuple[str, int]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from airflow.sdk import DAG
    from harness import START, asm_connection_json, conn_env, run_dag, task_states

    from airflow_sm_provider.operators.cloud_service import AsmCreateCloudServiceOperator
    from airflow_sm_provider.operators.deployment import (
        AsmCreateDeploymentOperator,
        AsmDeleteDeploymentOperator,
    )
    from airflow_sm_provider.sensors.deployment import AsmDeploymentReadySensor

    started = time.time()
    emu = asm_emulator_factory()
    ep = dict(emu.endpoint)
    b64, der = _pkcs12_b64(Path(ep["client_pem"]))
    needles = [
        *private_key_needles(Path(ep["client_pem"]).read_bytes()),
        *der_needles(der),
        PASSWORD,
        WRONG_PASSWORD,
    ]
    secret_conn = asm_connection_json(
        ep, certificate_path=None, certificate_private_key=b64, password=PASSWORD
    )
    wrong_conn = asm_connection_json(
        ep, certificate_path=None, certificate_private_key=b64, password=WRONG_PASSWORD
    )
    cscfg = (
        '<ServiceConfiguration serviceName="s" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
        'ServiceConfiguration"><Role name="WebRole"><Instances count="1"/></Role></ServiceConfiguration>'
    )
    with DAG("rel_secrets", schedule=None, start_date=START, params={"svc": "secret-svc"}) as dag:
        svc = AsmCreateCloudServiceOperator(
            task_id="create_service",
            asm_conn_id="asm_secret",
            service_name="{{ params.svc }}",
            location="West Europe",
            poll_interval=0.05,
        )
        dep = AsmCreateDeploymentOperator(
            task_id="create_deployment",
            asm_conn_id="asm_secret",
            service_name="{{ params.svc }}",
            deployment_slot="staging",
            deployment_name="v1",
            package_url="https://example.blob.core.windows.net/p/app.cspkg",
            configuration=cscfg,
            start_deployment=True,
            deferrable=True,
            poll_interval=0.1,
        )
        ready = AsmDeploymentReadySensor(
            task_id="ready",
            asm_conn_id="asm_secret",
            service_name="{{ params.svc }}",
            deployment_name="v1",
            deferrable=True,
            poke_interval=0.1,
            timeout=120,
        )
        wrong = AsmDeleteDeploymentOperator(
            task_id="wrong_password",
            asm_conn_id="asm_secret_wrong",
            service_name="{{ params.svc }}",
            deployment_slot="production",
        )
        svc >> dep >> ready >> wrong
    capfd.readouterr()
    caplog.clear()
    with conn_env("asm_secret", secret_conn), conn_env("asm_secret_wrong", wrong_conn):
        dr = run_dag(dag)
    out = capfd.readouterr()
    states = task_states(dr)
    assert states == {
        "create_service": "success",
        "create_deployment": "success",
        "ready": "success",
        "wrong_password": "failed",
    }, states
    text = out.out + out.err
    assert "password is wrong" in text  # the failure is explained ...

    texts: list[tuple[str, str]] = [("task output", text)]
    texts += [
        (f"log record {r.name}", r.getMessage() + " " + str(r.exc_info[1] if r.exc_info else ""))
        for r in caplog.records
    ]
    texts += _db_texts(dr)
    db = Path(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))
    texts.append((f"metadata DB {db}", db.read_bytes().decode("utf-8", "replace")))
    texts += read_texts(airflow_home / "logs")
    hits = find_secrets(texts, needles)
    assert not hits, hits  # ... without the password or any key material
    # Temp files of this run (other processes share /tmp: only this key's own slices count, and
    # pytest's temp dirs, where emulators keep their keys on purpose, are not the client's).
    # (Spelled in two parts: this file defines the DAG, so Airflow stores its source in the metadata
    # DB, and a literal key header here would be found there by the check above.)
    specific = [n for n in needles if n != "PRIVATE" + " KEY-----"]
    hits = find_secrets(
        _new_temp_files(started, exclude={tmp_path_factory.getbasetemp().parent.resolve()}), specific
    )
    assert not hits, hits

    assert recorded_temp_files, "the client wrote no temp key file: the spy is not effective"
    for name, mode in recorded_temp_files:
        assert mode == 0o600, (name, oct(mode))
        assert not Path(name).exists(), f"temp key file left behind: {name}"


def _db_texts(dr: Any) -> list[tuple[str, str]]:
    """XCom values and rendered template fields of the run, as text."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    out: list[tuple[str, str]] = []
    with db_session() as session:
        for row in session.scalars(select(XComModel).where(XComModel.run_id == dr.run_id)):
            out.append((f"xcom {row.task_id}.{row.key}", repr(row.value)))
        for rtif in session.scalars(
            select(RenderedTaskInstanceFields).where(RenderedTaskInstanceFields.run_id == dr.run_id)
        ):
            out.append((f"rendered fields {rtif.task_id}", repr(rtif.rendered_fields)))
    assert any(where.startswith("rendered fields") for where, _ in out), "no rendered fields stored"
    assert any(where.startswith("xcom") for where, _ in out), "no XCom stored"
    return out


def _new_temp_files(since: float, *, exclude: set[Path]) -> list[tuple[str, str]]:
    """Text of files under the temp dir modified since ``since`` (outside ``exclude``, < 20 MB)."""
    out: list[tuple[str, str]] = []
    root = Path(tempfile.gettempdir())
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath).resolve()
        if any(here == ex or ex in here.parents for ex in exclude):
            dirnames[:] = []
            continue
        for fn in filenames:
            path = Path(dirpath) / fn
            try:
                st = path.stat()
                if not stat.S_ISREG(st.st_mode) or st.st_mtime < since or st.st_size > 20 * 2**20:
                    continue
                out.append((str(path), path.read_bytes().decode("utf-8", "replace")))
            except OSError:
                continue
    return out


@pytest.mark.slow  # the demo: about a minute of DAG runs in a child process
def test_demo_output_has_no_key_material(tmp_path: Path) -> None:
    """Run ``python -m airflow_sm_provider.demo``; grab its emulator's key while it runs; scan."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ASM_"))}
    env["TMPDIR"] = str(tmp_path)
    out_path = tmp_path.parent / f"{tmp_path.name}-demo.out"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow_sm_provider.demo"], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    key: bytes | None = None
    try:
        end = time.monotonic() + 240
        while key is None and proc.poll() is None and time.monotonic() < end:
            for path in tmp_path.rglob("client.key"):
                data = path.read_bytes()
                if b"-----END" in data:
                    key = data
            time.sleep(0.2)
        proc.wait(timeout=280)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    output = out_path.read_text(errors="replace")
    assert proc.returncode == 0, output[-3000:]
    assert key is not None, "never saw the demo's client key (it may have moved)"
    hits = find_secrets([("demo output", output), *read_texts(tmp_path)], private_key_needles(key))
    assert not hits, hits
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not leftovers, f"the demo left files behind: {leftovers[:5]}"

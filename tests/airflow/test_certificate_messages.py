"""A wrong .pfx password says which settings to fix, in the names the user set them by.

The service-certificate operator names its own arguments (``certificate_path`` or ``data``, and
``password`` / ``password_variable``), not an argument the user never gave; a connection names the
extra that holds the file and the connection's password field. Neither ever shows the password.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import DAG
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from harness import START, run_dag, task_states
from test_operators_helpers import FAILURES, record_failure, request_counter, requests_seen, unique
from testpki import make_cert, rsa_key

from airflow_sm_provider.client.errors import CertificateError, InvalidInputError
from airflow_sm_provider.operators.certificates import AsmAddServiceCertificateOperator

PASSWORD = "right-pw-4711"
WRONG = "wrong-pw-0815"


def _pfx(tmp_path: Path) -> Path:
    key = rsa_key()
    blob = pkcs12.serialize_key_and_certificates(
        b"svc", key, make_cert(key, "svc"), None, serialization.BestAvailableEncryption(PASSWORD.encode())
    )
    path = tmp_path / "service.pfx"
    path.write_bytes(blob)
    return path


@pytest.mark.parametrize("given", ["password", "password_variable", "data"])
def test_wrong_pfx_password_names_the_operators_arguments(
    asm_conn_id: str, asm_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    pfx = _pfx(tmp_path)
    kwargs: dict[str, Any] = {"certificate_path": str(pfx), "password": WRONG}
    if given == "password_variable":
        monkeypatch.setenv("AIRFLOW_VAR_SVC_PFX_PASSWORD", WRONG)
        kwargs = {"certificate_path": str(pfx), "password_variable": "svc_pfx_password"}
    elif given == "data":
        kwargs = {"data": base64.b64encode(pfx.read_bytes()).decode(), "password": WRONG}
    adds = request_counter(asm_emulator, "add_service_certificate")
    with DAG(f"cert_pw_{given}", schedule=None, start_date=START) as dag:
        AsmAddServiceCertificateOperator(
            task_id="add",
            service_name=unique("cp"),
            asm_conn_id=asm_conn_id,
            on_failure_callback=record_failure,
            **kwargs,
        )
    dr = run_dag(dag)
    assert task_states(dr) == {"add": "failed"}
    err = FAILURES["add"]
    assert isinstance(err, InvalidInputError), repr(err)
    source = "data" if given == "data" else "certificate_path"
    assert err.field == source
    text = str(err)
    assert text.startswith(f"{source}: ")
    if given == "password_variable":
        assert "password_variable" in text and "'svc_pfx_password'" in text
    else:
        assert "password=" in text and "password_variable" not in text
    if source == "certificate_path":
        assert str(pfx) in text
    assert WRONG not in text and PASSWORD not in text
    assert requests_seen(asm_emulator, adds) == 0


def test_missing_pfx_password_says_to_pass_one(asm_conn_id: str, asm_emulator: Any, tmp_path: Path) -> None:
    with DAG("cert_pw_none", schedule=None, start_date=START) as dag:
        AsmAddServiceCertificateOperator(
            task_id="add",
            service_name=unique("cp"),
            certificate_path=str(_pfx(tmp_path)),
            asm_conn_id=asm_conn_id,
            on_failure_callback=record_failure,
        )
    dr = run_dag(dag)
    assert task_states(dr) == {"add": "failed"}
    err = FAILURES["add"]
    assert isinstance(err, InvalidInputError) and err.field == "certificate_path"
    assert "password=" in str(err) and "password_variable=" in str(err)


def test_connection_wrong_pfx_password_names_the_extra_and_the_password_field(
    make_hook: Any, asm_endpoint: dict[str, Any], tmp_path: Path
) -> None:
    data = Path(asm_endpoint["client_pem"]).read_bytes()
    cert = x509_cert(data)
    key = serialization.load_pem_private_key(_key_block(data), None)
    blob = pkcs12.serialize_key_and_certificates(
        b"asm",
        key,
        cert,
        None,
        serialization.BestAvailableEncryption(PASSWORD.encode()),  # type: ignore[arg-type]
    )
    pfx = tmp_path / "mgmt.pfx"
    pfx.write_bytes(blob)
    hook = make_hook(certificate_path=str(pfx), certificate_private_key=None, password=WRONG)
    with pytest.raises(CertificateError) as info:
        hook.get_conn()
    text = str(info.value)
    assert info.value.field == "certificate_path"
    assert "extra 'certificate_path'" in text and "password is wrong" in text
    assert "connection field 'password'" in text  # as the no-password message says
    assert WRONG not in text


def x509_cert(data: bytes) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(data)


def _key_block(data: bytes) -> bytes:
    start = data.index(b"-----BEGIN")
    while b"PRIVATE KEY" not in data[start : data.index(b"\n", start)]:
        start = data.index(b"-----BEGIN", start + 1)
    end = data.index(b"-----", data.index(b"-----END", start) + 8) + 5
    return data[start:end] + b"\n"

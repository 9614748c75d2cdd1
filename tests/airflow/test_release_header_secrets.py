"""A release's health-probe header values never sit in Airflow's metadata DB in the clear.

Airflow 3.3 stores a deferring task's trigger kwargs, and the task state store holds a release's
pending steps, as plain JSON; the probe headers (often a token) travel in both. They are sealed
with the connection's management key (``airflow_sm_provider._sealed``). The deferred guarded swap
here probes a local HTTP server that records what it receives: the token must arrive there (the
triggerer opened it), and no column of any table but ``variable`` may contain it.
"""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from harness import START, run_dag, task_states, xcom_value
from test_blue_green_support import deploy, ensure_pool, make_client, new_service, slots

from airflow_sm_provider._sealed import SealedHeadersError, open_health, seal_steps
from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator


@pytest.fixture
def client(asm_endpoint: dict[str, Any], asm_conn_id: str) -> Iterator[Any]:
    ensure_pool()
    with make_client(asm_endpoint) as c:
        yield c


@contextmanager
def _serving(status: int, body_of: Any) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A local health endpoint answering ``status`` with ``body_of(headers)``; records each request's
    headers."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            body = body_of(self.headers)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def probe_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A local health endpoint answering ``200 OK`` that records each request's headers."""
    with _serving(200, lambda headers: b"OK") as served:
        yield served


@pytest.fixture
def echo_server() -> Iterator[str]:
    """A health endpoint answering ``503`` with a body that echoes the probe's X-Token header (as an
    application's "invalid token ..." answer does)."""
    with _serving(503, lambda h: f"unauthorized: token {h.get('X-Token')} is not valid".encode()) as served:
        yield served[0]


def _swap_dag(
    dag_id: str, service: str, new: str, url: str, variable: str, header: str = "X-Token", **kwargs: Any
) -> Any:
    """A DAG of one deferred guarded swap of ``new`` probing ``url`` with a ``header`` read from the
    Airflow Variable ``variable``."""
    from airflow.sdk import DAG

    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        AsmGuardedSwapOperator(
            task_id="guarded_swap",
            service_name=service,
            expected_new_deployment=new,
            health_url=url,
            health_headers={header: f"{{{{ var.value.{variable} }}}}"},
            deferrable=True,
            poll_interval=0.1,
            health_interval=0.1,
            retries=0,
            retry_delay=timedelta(0),
            **kwargs,
        )
    return dag


def _db_cells_holding(secret: str) -> list[str]:
    """``table.column`` of every text cell in the metadata DB (``variable`` aside) holding ``secret``."""
    from airflow import settings
    from sqlalchemy import inspect, text

    assert settings.engine is not None
    found = []
    with settings.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table == "variable":  # where the user put it; Airflow encrypts it with the Fernet key
                continue
            for column in inspect(conn).get_columns(table):
                name = column["name"]
                rows = conn.execute(text(f'SELECT "{name}" FROM "{table}"')).fetchall()
                if any(
                    secret in (c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c))
                    for (c,) in rows
                ):
                    found.append(f"{table}.{name}")
    return found


# Airflow masks by name: a header or Variable whose name says "token" is hidden from the rendered
# fields whatever we do. Azure Functions' and API Management's headers say "key" (review, session
# 8): without the provider's own masking at render time, the rendered-fields table held the value.
@pytest.mark.parametrize(
    ("header", "variable"),
    [("X-Token", "s7_health_token"), ("X-Functions-Key", "s8_probe_credential")],
    ids=["named-token", "name-airflow-does-not-mask"],
)
def test_deferred_release_headers_reach_the_probe_and_never_the_db(
    client: Any, probe_server: tuple[str, list[dict[str, str]]], header: str, variable: str
) -> None:
    from airflow.models.variable import Variable

    url, seen = probe_server
    token = f"tok-{uuid.uuid4().hex}"
    Variable.set(variable, token)
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    client.swap_deployment(service, None, "v1").wait(timeout=60, poll_interval=0.05)
    deploy(client, service, "staging", "v2")
    dag = _swap_dag(
        f"release_header_secrets_{header.lower()}",
        service,
        "v2",
        url,
        variable,
        header,
        bake_seconds=0.5,
        bake_interval=0.2,
    )
    dr = run_dag(dag)
    report = xcom_value(dr, "guarded_swap", "release_report")
    assert dr.state == "success", (task_states(dr), report and report.get("message"))
    assert slots(client, service) == {"production": "v2", "staging": "v1"}
    assert seen and all(h.get(header) == token for h in seen), "the probes did not carry the header"
    assert _db_cells_holding(token) == []


class _Creds:
    def __init__(self, key: Any, thumbprint: str) -> None:
        self.private_key, self.thumbprint = key, thumbprint

    def close(self) -> None:
        pass


def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_sealed_headers_open_only_with_the_same_certificate() -> None:
    creds = _Creds(_key(), "AB" * 20)
    steps = [{"kind": "health", "name": "gate", "health": {"url": "u", "headers": {"X-Token": "s3cret"}}}]
    sealed = seal_steps(steps, creds)
    assert steps[0]["health"]["headers"] == {"X-Token": "s3cret"}  # the input is not changed
    assert "s3cret" not in repr(sealed) and sealed[0]["health"]["headers"] == {}
    assert open_health(sealed[0]["health"], creds) == {"url": "u", "headers": {"X-Token": "s3cret"}}
    with pytest.raises(SealedHeadersError, match="here holds CD"):
        open_health(sealed[0]["health"], _Creds(creds.private_key, "CD" * 20))
    with pytest.raises(SealedHeadersError, match="damaged"):
        open_health(sealed[0]["health"], _Creds(_key(), creds.thumbprint))  # another key, same name
    unsealed = {"url": "u", "headers": {"X-A": "b"}}  # a step saved before sealing existed
    assert open_health(unsealed, creds) is unsealed


def test_steps_without_headers_need_no_certificate() -> None:
    steps = [
        {"kind": "operation", "name": "swap", "request_id": "r"},
        {"kind": "health", "health": {"headers": {}}},
    ]
    assert seal_steps(steps, None) == steps
    with pytest.raises(SealedHeadersError, match="no management certificate"):
        seal_steps([{"kind": "health", "health": {"headers": {"X": "y"}}}], None)


def test_resealing_puts_the_rendered_headers_under_the_current_certificate() -> None:
    from airflow_sm_provider._sealed import SEALED_KEY, reseal_steps

    old, new = _Creds(_key(), "AB" * 20), _Creds(_key(), "CD" * 20)
    saved = seal_steps([{"kind": "bake", "health": {"url": "u", "headers": {"X-Token": "old"}}}], old)
    legacy = [{"kind": "health", "health": {"url": "u", "headers": {"X-Token": "plain"}}}]  # saved unsealed
    for steps in (saved, legacy):
        again = reseal_steps(steps, {"X-Token": "rendered"}, new)
        assert again[0]["health"][SEALED_KEY]["thumbprint"] == new.thumbprint
        assert "rendered" not in repr(again) and "plain" not in repr(again)
        assert open_health(again[0]["health"], new)["headers"] == {"X-Token": "rendered"}


def test_a_triggerer_with_a_stale_shared_client_opens_with_the_current_certificate() -> None:
    import asyncio

    from airflow_sm_provider.triggers.release import _opened

    stale, current = _Creds(_key(), "AB" * 20), _Creds(_key(), "CD" * 20)

    class Settings:
        def load_credentials(self) -> Any:
            return current

    class Client:
        credentials = stale

    sealed = seal_steps([{"kind": "health", "health": {"url": "u", "headers": {"X-Token": "s"}}}], current)
    opened = asyncio.run(_opened(sealed, Client(), Settings()))
    assert opened[0]["health"]["headers"] == {"X-Token": "s"}
    with pytest.raises(SealedHeadersError):  # neither certificate sealed them: not opened, not guessed
        asyncio.run(_opened(sealed, Client(), type("S", (), {"load_credentials": lambda self: stale})()))


class _Judged(Exception):
    """Raised by the stand-in phase: the event reached the phase that judges it."""


def _resumed(state: dict[str, Any], event: dict[str, Any]) -> tuple[BaseException, list[Any]]:
    """``resume_release`` of a guarded swap with ``state`` saved and ``event`` from the trigger, its
    I/O replaced: what it raised, and each wait it deferred (phase, steps)."""
    op = AsmGuardedSwapOperator(task_id="t", service_name="svc", health_headers={"X-Token": "now"})
    waits: list[Any] = []

    def fake_open(context: Any) -> None:
        op.state = state
        op.client = type("C", (), {"credentials": _Creds(_key(), "EF" * 20)})()

    def fake_wait(phase: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
        waits.append((phase, steps))
        return {"status": "success", "steps": []}

    def judge(ev: dict[str, Any]) -> None:
        raise _Judged(ev)

    op._open = fake_open  # type: ignore[method-assign]
    op.save = lambda: None  # type: ignore[method-assign]
    op._wait_steps = fake_wait  # type: ignore[method-assign]
    op.phase_flipped = judge  # type: ignore[method-assign]
    try:
        op.resume_release({}, event)
    except BaseException as exc:
        return exc, waits
    raise AssertionError("resume_release returned without judging or failing")


def test_an_unopened_seal_is_waited_for_again_never_judged_as_unhealthy() -> None:
    pending = [{"kind": "bake", "name": "bake", "health": {"url": "u", "headers": {}, "sealed_headers": {}}}]
    event = {
        "status": "failed",
        "message": "SealedHeadersError: ...",
        "steps": [],
        "error_type": "SealedHeadersError",
    }
    raised, waits = _resumed({"phase": "flipped", "pending": pending}, event)
    # waited again on the same phase, the steps sealed anew with this worker's certificate ...
    assert [w[0] for w in waits] == ["flipped"]
    assert waits[0][1][0]["health"]["sealed_headers"]["thumbprint"] == "EF" * 20
    # ... and the phase judged the new wait's event, never the unopened one
    assert isinstance(raised, _Judged) and raised.args[0]["status"] == "success"
    raised, waits = _resumed({"phase": "flipped", "pending": pending, "resealed": True}, event)
    assert not isinstance(raised, _Judged) and "same management certificate" in str(raised) and not waits


def test_a_header_value_echoed_in_a_probe_answer_reaches_no_xcom_or_db(client: Any, echo_server: str) -> None:
    """A failed probe's detail (the answer's excerpt) lands in the release report (XCom) and the
    trigger event (the task's next_kwargs): the header values are blanked out of it."""
    from airflow.models.variable import Variable

    token = f"tok-{uuid.uuid4().hex}"
    Variable.set("s8_echoed_health_token", token)
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    dr = run_dag(
        _swap_dag(
            "release_header_echo", service, "v1", echo_server, "s8_echoed_health_token", health_retries=2
        )
    )
    report = xcom_value(dr, "guarded_swap", "release_report")
    assert report is not None and report.get("swap_outcome") == "refused", report
    gate = " ".join(c["detail"] for c in report["checks"] if "health" in c["name"])
    assert "HTTP 503" in gate and "***" in gate, gate
    assert _db_cells_holding(token) == []


def test_a_header_value_with_a_line_break_is_refused_before_any_request(
    client: Any, probe_server: tuple[str, list[dict[str, str]]]
) -> None:
    """A Variable read from a file often ends with a newline: no HTTP client sends that header, so
    every probe failed and the release judged the application by it (and httpx's error quoted the
    value). Refused when rendered, naming the argument and the header, never the value."""
    from airflow.models.variable import Variable
    from test_operators_helpers import FAILURES, record_failure

    from airflow_sm_provider.client.errors import InvalidInputError

    url, seen = probe_server
    token = f"tok-{uuid.uuid4().hex}"
    Variable.set("s8_newline_health_token", token + "\n")
    service = new_service(client)
    deploy(client, service, "staging", "v1")
    dag = _swap_dag(
        "release_header_newline",
        service,
        "v1",
        url,
        "s8_newline_health_token",
        on_failure_callback=record_failure,
    )
    dr = run_dag(dag)
    assert task_states(dr) == {"guarded_swap": "failed"}
    error = FAILURES.get("guarded_swap")
    assert isinstance(error, InvalidInputError) and error.field == "health_headers", repr(error)
    assert "'X-Token'" in str(error) and "line break" in str(error) and token not in str(error)
    assert seen == [] and xcom_value(dr, "guarded_swap", "release_report") is None
    assert slots(client, service) == {"production": None, "staging": "v1"}

"""The request plan's rules, on both drivers: redirects stay on the management host, ``ca_bundle``
is the whole trust, the retry budget counts every wait, bad timeouts are refused up front -- and the
plan itself, driven without a network (``plan.request_plan`` is sans-I/O)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from test_transport import GET, KINDS, SUB, Reply, Sleeps, send
from testpki import cert_pem, key_pem, make_cert, rsa_key

from airflow_sm_provider.client import plan as pmod
from airflow_sm_provider.client import transport as tmod
from airflow_sm_provider.client.budget import RequestBudget
from airflow_sm_provider.client.credentials import load_credentials
from airflow_sm_provider.client.errors import InvalidInputError, ThrottledError, TransportError
from airflow_sm_provider.client.plan import Answer, ApiRequest, Attempt, Endpoint, Lost, Pause, request_plan
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.transport import AsyncTransport, Transport

SECRET = "Sup3r-S3cret-Passw0rd"
VM_BODY = (
    "<Deployment><RoleList><Role><ConfigurationSets><ConfigurationSet>"
    f"<ConfigurationSetType>LinuxProvisioningConfiguration</ConfigurationSetType><UserName>ops</UserName>"
    f"<UserPassword>{SECRET}</UserPassword></ConfigurationSet></ConfigurationSets></Role></RoleList>"
    "</Deployment>"
).encode()
CREATE_VM = ApiRequest("POST", "/services/hostedservices/svc/deployments", VM_BODY, idempotent=False)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """The drivers' pauses, recorded instead of slept."""
    s = Sleeps()
    monkeypatch.setattr(tmod, "_sleep", s)
    monkeypatch.setattr(tmod, "_asleep", s.asleep)
    return s


@pytest.fixture
def other_server(tls_server: Any, pki: Any) -> Any:
    """A second TLS server on another port: another host as far as the redirect rule goes."""
    server = type(tls_server)(pki)
    yield server
    server.close()


# --- redirects ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_307_to_another_host_never_sends_the_body_there(
    kind: str, tls_server: Any, other_server: Any, pki: Any
) -> None:
    tls_server.script(Reply(307, headers={"Location": f"https://{other_server.host}/{SUB}/deployments"}))
    (exc,) = send(kind, tls_server, pki, CREATE_VM)
    assert isinstance(exc, TransportError) and not exc.retryable
    assert "another host" in str(exc) and "configured management host" in str(exc)
    assert SECRET not in str(exc)
    assert other_server.seen == []  # not the body, not the certificate, not even a connection
    assert not other_server.peers
    assert len(tls_server.seen) == 1  # and not re-sent to the first host either


@pytest.mark.parametrize("kind", KINDS)
def test_get_redirected_to_another_host_is_not_accepted(
    kind: str, tls_server: Any, other_server: Any, pki: Any
) -> None:
    other_server.script(Reply(200, b"<HostedServices/>"))
    tls_server.script(Reply(307, headers={"Location": f"https://{other_server.host}/{SUB}/services"}))
    (exc,) = send(kind, tls_server, pki, GET, retry=RetryPolicy.none())
    assert isinstance(exc, TransportError) and other_server.host in str(exc)
    assert other_server.seen == []


@pytest.mark.parametrize(
    "location",
    [
        "http://{host}/{sub}/x",  # same host and port, but not https
        "https://user:pw@{host}/{sub}/x",  # userinfo
        "https://localhost:{port}/{sub}/x",  # same server, another host name
    ],
)
def test_redirect_only_to_the_exact_origin(tls_server: Any, pki: Any, location: str) -> None:
    port = tls_server.host.rsplit(":", 1)[1]
    tls_server.script(
        Reply(307, headers={"Location": location.format(host=tls_server.host, sub=SUB, port=port)})
    )
    (exc,) = send("sync", tls_server, pki, CREATE_VM)
    assert isinstance(exc, TransportError) and "redirect" in str(exc)
    assert len(tls_server.seen) == 1


def test_relative_redirect_on_the_same_host_is_followed(tls_server: Any, pki: Any) -> None:
    tls_server.script(Reply(307, headers={"Location": f"/{SUB}/moved"}), Reply(202))
    (resp,) = send("sync", tls_server, pki, CREATE_VM)
    assert resp.status == 202
    assert [s.path for s in tls_server.seen] == [
        f"/{SUB}/services/hostedservices/svc/deployments",
        f"/{SUB}/moved",
    ]
    assert tls_server.seen[1].body == VM_BODY  # 307 keeps method and body, on the same host only


# --- trust -----------------------------------------------------------------------------------------
@pytest.fixture
def env_ca_server(tls_server: Any, pki: Any, tmp_path: Path) -> Any:
    """A server whose certificate is signed by a CA that only SSL_CERT_FILE names."""
    ca_key, leaf_key = rsa_key(2048, 5), rsa_key(2048, 6)
    env_ca = make_cert(ca_key, "env-only-ca", ca=True)
    leaf = make_cert(leaf_key, "127.0.0.1", issuer=(env_ca, ca_key), san_ip="127.0.0.1")
    files = {"env-ca.pem": cert_pem(env_ca), "leaf.pem": cert_pem(leaf) + key_pem(leaf_key)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    server = type(tls_server)(dataclasses.replace(pki, server_pem=tmp_path / "leaf.pem"))
    server.env_ca = tmp_path / "env-ca.pem"
    yield server
    server.close()


@pytest.mark.parametrize("kind", KINDS)
def test_ca_bundle_is_the_whole_trust_whatever_the_environment(
    kind: str, env_ca_server: Any, pki: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(env_ca_server.env_ca))
    monkeypatch.setenv("SSL_CERT_DIR", str(env_ca_server.env_ca.parent))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(env_ca_server.env_ca))
    # Without ca_bundle the system store is used, and here the environment defines it: accepted.
    (resp,) = send(kind, env_ca_server, pki, GET, ca_bundle=None)
    assert resp.status == 200
    # With ca_bundle pointing at another CA, the environment's CA is not trusted.
    (exc,) = send(kind, env_ca_server, pki, GET, ca_bundle=pki.ca_pem, retry=RetryPolicy.none())
    assert isinstance(exc, TransportError) and "ca_bundle" in str(exc)
    assert len(env_ca_server.seen) == 1


def test_ssl_context_with_ca_bundle_holds_only_that_ca(pki: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    ctx = load_credentials(pki.client_pem).ssl_context(ca_bundle=pki.ca_pem, verify=True)
    assert [c["subject"] for c in ctx.get_ca_certs()] == [((("commonName", "test-ca"),),)]


# --- finding: bad timeouts are refused at construction ----------------------------------------------
@pytest.mark.parametrize("timeout", [math.nan, math.inf, -math.inf, 0, -1, "5"])
@pytest.mark.parametrize("cls", [Transport, AsyncTransport])
def test_nan_and_infinite_timeouts_refused_before_any_request(
    cls: type, timeout: Any, tls_server: Any, pki: Any
) -> None:
    with pytest.raises(InvalidInputError) as ei:
        cls(
            host=tls_server.host,
            subscription_id=SUB,
            credentials=load_credentials(pki.client_pem),
            timeout=timeout,
        )
    assert ei.value.field == "timeout" and "number of seconds" in ei.value.message
    assert tls_server.seen == []


@pytest.mark.parametrize("name", ["base_delay", "max_delay", "max_retry_after", "max_total"])
def test_nan_retry_delays_refused(name: str) -> None:
    with pytest.raises(InvalidInputError) as ei:
        RetryPolicy(**{name: math.nan})
    assert ei.value.field == f"retry.{name}"


# --- finding: the first retry's delay counts against the total retry budget -------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_first_retry_delay_counts_against_max_total(
    kind: str, tls_server: Any, pki: Any, recorded: Sleeps
) -> None:
    policy = RetryPolicy(max_attempts=4, max_total=5.0, jitter=False)
    tls_server.script(Reply(503, b"", {"Retry-After": "60"}))
    (exc,) = send(kind, tls_server, pki, GET, retry=policy)
    assert exc.status_code == 503
    assert recorded.calls == []  # a 60 s wait would overrun the 5 s budget: raised at once
    assert len(tls_server.seen) == 1


# --- the plan without I/O ----------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _endpoint(**kw: Any) -> Endpoint:
    policy = kw.pop("retry", RetryPolicy(max_attempts=3, base_delay=1.0, jitter=False))
    return Endpoint("127.0.0.1:1", SUB, 10.0, "2014-10-01", policy, **kw)


def _drive(gen: Any, outcomes: list[Any], clock: FakeClock) -> tuple[list[Any], Any]:
    """Run a plan on scripted outcomes; pauses advance the fake clock. (steps, result or exception)."""
    steps: list[Any] = []
    try:
        step = next(gen)
        while True:
            steps.append(step)
            if isinstance(step, Pause):
                clock.now += step.seconds
                step = gen.send(None)
            else:
                step = gen.send(outcomes.pop(0))
    except StopIteration as stop:
        return steps, stop.value
    except Exception as exc:
        return steps, exc


def test_plan_retries_a_lost_get_with_back_off_and_one_deadline_per_attempt() -> None:
    clock = FakeClock()
    outcomes = [Lost("reset by peer", sent=True), Answer(200, {"x-ms-request-id": "r"}, b"<ok/>")]
    steps, result = _drive(request_plan(_endpoint(), GET, clock=clock), outcomes, clock)
    first, pause, second = steps
    assert isinstance(first, Attempt) and first.deadline == 1010.0
    assert pause == Pause(1.0, "retry")
    assert isinstance(second, Attempt) and second.deadline == 1011.0
    assert result.status == 200 and result.request_id == "r"


def test_plan_never_resends_a_create_that_may_have_been_sent() -> None:
    clock = FakeClock()
    steps, result = _drive(
        request_plan(_endpoint(), CREATE_VM, clock=clock), [Lost("reset", sent=True)], clock
    )
    assert len(steps) == 1 and isinstance(result, TransportError) and result.ambiguous
    # ... but re-sends it when the request surely did not leave (connection refused).
    clock = FakeClock()
    outcomes = [Lost("refused", sent=False), Answer(202, {}, b"")]
    steps, result = _drive(request_plan(_endpoint(), CREATE_VM, clock=clock), outcomes, clock)
    assert [type(s) for s in steps] == [Attempt, Pause, Attempt] and result.status == 202


def test_plan_takes_a_budget_token_per_attempt_and_a_429_holds_the_budget() -> None:
    clock = FakeClock()
    budget = RequestBudget(2.0, clock=clock)  # 2 per second, burst 2
    endpoint = _endpoint(budget=budget)
    throttled = Answer(429, {"retry-after": "3"}, b"<Error><Code>TooManyRequests</Code></Error>")
    steps, result = _drive(request_plan(endpoint, GET, clock=clock), [throttled, Answer(200, {}, b"")], clock)
    assert [type(s) for s in steps] == [Attempt, Pause, Attempt]
    assert steps[1] == Pause(3.0, "retry") and result.status == 200
    # The hold outlasts this request: others sharing the budget wait for their turn too.
    assert budget.reserve() > 0


def test_plan_raises_throttled_after_the_attempts() -> None:
    clock = FakeClock()
    throttled = Answer(429, {}, b"<Error><Code>TooManyRequests</Code></Error>")
    steps, result = _drive(request_plan(_endpoint(), GET, clock=clock), [throttled] * 3, clock)
    assert isinstance(result, ThrottledError) and sum(isinstance(s, Attempt) for s in steps) == 3


@pytest.mark.parametrize(
    ("exc", "text", "sent"),
    [
        ("requests.exceptions.ConnectTimeout", "", False),
        ("requests.exceptions.SSLError", "", False),
        ("requests.exceptions.ConnectionError", "NewConnectionError: [Errno 111] Connection refused", False),
        ("requests.exceptions.ConnectionError", "Connection aborted. RemoteDisconnected", True),
        ("requests.exceptions.ReadTimeout", "", True),
        ("httpx.ConnectError", "", False),
        ("httpx.PoolTimeout", "", False),
        ("httpx.ReadTimeout", "", True),
        ("httpx.RemoteProtocolError", "", True),
        ("urllib3.exceptions.ProtocolError", "", True),
        ("builtins.ConnectionResetError", "", True),
    ],
)
def test_one_failure_table_for_both_libraries(exc: str, text: str, sent: bool) -> None:
    import importlib

    module, _, name = exc.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    outcome = pmod.lost(cls("boom"), text)
    assert outcome.sent is sent and isinstance(outcome.cause, cls)


def test_unknown_exceptions_are_not_swallowed_by_the_table() -> None:
    with pytest.raises(KeyError):
        pmod.lost(KeyError("not an I/O failure"), "")


@pytest.mark.parametrize("version", ["2014-10-01\r\nX-Evil: 1", "2014 10 01", "é"])
def test_x_ms_version_with_control_characters_refused_before_sending(
    version: str, tls_server: Any, pki: Any
) -> None:
    creds = load_credentials(pki.client_pem)
    with pytest.raises(InvalidInputError) as ei:
        Transport(host=tls_server.host, subscription_id=SUB, credentials=creds, x_ms_version=version)
    assert ei.value.field == "x_ms_version"
    (exc,) = send("sync", tls_server, pki, ApiRequest("GET", "/x", x_ms_version=version))
    assert isinstance(exc, InvalidInputError) and exc.field == "x_ms_version"
    assert tls_server.seen == []

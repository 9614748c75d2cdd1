"""Each fault action, rule matching/counting, and seeded reproducibility (network layer + stub App)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator import Emulator
from airflow_sm_provider.emulator.faults import CHAOS_PROFILE, FaultInjector, load_profile
from airflow_sm_provider.emulator.http import Request
from airflow_sm_provider.emulator.sessions import admin_session

Session = Callable[..., requests.Session]


def _get(emu: Emulator, session: requests.Session, suffix: str = "", **kw: object) -> requests.Response:
    ep = emu.endpoint
    return session.get(f"https://{ep['host']}/{ep['subscription_id']}{suffix}", **kw)  # type: ignore[arg-type]


def _post(emu: Emulator, session: requests.Session, suffix: str) -> requests.Response:
    ep = emu.endpoint
    return session.post(f"https://{ep['host']}/{ep['subscription_id']}{suffix}", data=b"<x/>")


def _error(resp: requests.Response, status: int, code: str, message: str) -> None:
    assert resp.status_code == status
    assert resp.text == (
        f'<Error xmlns="{p.NS}" xmlns:i="{p.NS_I}"><Code>{code}</Code><Message>{message}</Message></Error>'
    )
    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers[p.HEADER_REQUEST_ID])
    assert resp.headers["Content-Type"] == p.RESPONSE_CONTENT_TYPE


def test_503_server_busy_with_retry_after_set_through_admin_api(
    stub_emulator: Emulator, session_for: Session
) -> None:
    ep = stub_emulator.endpoint
    admin = admin_session(ep)
    rule = {"action": "503", "count": 1, "retry_after": 7}
    assert admin.post(ep["admin_url"] + "faults", data=json.dumps(rule)).status_code == 201
    session = session_for(ep)
    reached = len(stub_emulator.app.requests)
    resp = _get(stub_emulator, session)
    _error(resp, 503, p.ERR_SERVER_BUSY, p.MSG_SERVER_BUSY)
    assert resp.headers["Retry-After"] == "7"
    assert len(stub_emulator.app.requests) == reached  # never reached the App
    assert _get(stub_emulator, session).status_code == 200  # count=1: the next one passes
    assert admin.get(ep["admin_url"] + "faults").json()["rules"][0]["fired"] == 1


@pytest.mark.parametrize(
    ("action", "status", "code", "message"),
    [
        ("429", 429, p.ERR_TOO_MANY_REQUESTS, p.MSG_THROTTLED),
        ("500", 500, p.ERR_INTERNAL, p.MSG_INTERNAL),
        ("409", 409, p.ERR_CONFLICT, p.MSG_EXCLUSIVE_ACCESS),
    ],
)
def test_error_actions(
    stub_emulator: Emulator, session_for: Session, action: str, status: int, code: str, message: str
) -> None:
    stub_emulator.add_faults({"action": action, "count": 1, "retry_after": 3})
    resp = _get(stub_emulator, session_for(stub_emulator.endpoint))
    _error(resp, status, code, message)
    if action == "429":
        assert resp.headers["Retry-After"] == "3"
    if action == "409":
        assert p.is_exclusive_access_conflict(status, code, message)


def test_307_redirects_to_same_url_once(stub_emulator: Emulator, session_for: Session) -> None:
    stub_emulator.add_faults({"action": "307"})  # unlimited, yet a repeat always passes: no loop
    session = session_for(stub_emulator.endpoint)
    first = _get(stub_emulator, session, "/services/hostedservices?x=1", allow_redirects=False)
    assert first.status_code == 307 and "<Code>TemporaryRedirect</Code>" in first.text
    assert first.headers["Location"] == first.url
    follow = session.get(first.headers["Location"], allow_redirects=False)
    assert follow.status_code == 200
    assert _get(stub_emulator, session, allow_redirects=True).status_code == 200  # requests follows it


def test_drop_closes_before_the_app_sees_the_request(stub_emulator: Emulator, session_for: Session) -> None:
    stub_emulator.add_faults({"action": "drop", "count": 1})
    session = session_for(stub_emulator.endpoint)
    reached = len(stub_emulator.app.requests)
    with pytest.raises(requests.ConnectionError):
        _post(stub_emulator, session, "/services/hostedservices")
    assert len(stub_emulator.app.requests) == reached
    assert _get(stub_emulator, session).status_code == 200


def test_drop_after_executes_then_closes(stub_emulator: Emulator, session_for: Session) -> None:
    stub_emulator.add_faults({"action": "drop_after", "method": "POST", "count": 1})
    session = session_for(stub_emulator.endpoint)
    with pytest.raises(requests.ConnectionError):
        _post(stub_emulator, session, "/services/hostedservices")
    assert stub_emulator.app.requests[-1].method == "POST"  # the App did process it
    assert _get(stub_emulator, session).status_code == 200


def test_slow_delays_then_answers_normally(stub_emulator: Emulator, session_for: Session) -> None:
    stub_emulator.add_faults({"action": "slow", "delay": 0.3, "count": 1})
    session = session_for(stub_emulator.endpoint)
    started = time.monotonic()
    assert _get(stub_emulator, session).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fail_operation_matches_operation_kind(stub_emulator: Emulator, session_for: Session) -> None:
    stub_emulator.add_faults(
        {"action": "fail_operation", "operation": "create_deployment", "error_code": "Boom", "message": "m"}
    )
    session = session_for(stub_emulator.endpoint)
    assert "<Fail></Fail>" in _get(stub_emulator, session).text  # another kind: untouched
    resp = _post(stub_emulator, session, "/services/hostedservices/s/deploymentslots/staging")
    assert resp.status_code == 202 and "<Fail>Boom</Fail>" in resp.text
    assert stub_emulator.app.requests[-1].fail_operation == "Boom"
    assert stub_emulator.app.requests[-1].fail_operation_message == "m"


def test_long_operation_sets_the_operation_duration(stub_emulator: Emulator, session_for: Session) -> None:
    stub_emulator.add_faults(
        {"action": "long_operation", "operation": "create_deployment", "delay": 42, "count": 1}
    )
    session = session_for(stub_emulator.endpoint)
    _post(stub_emulator, session, "/services/hostedservices/s/deploymentslots/staging")
    assert stub_emulator.app.requests[-1].operation_seconds == 42.0
    _post(stub_emulator, session, "/services/hostedservices/s/deploymentslots/staging")
    assert stub_emulator.app.requests[-1].operation_seconds is None  # count: 1 used up


def test_after_count_method_and_path(stub_emulator: Emulator, session_for: Session) -> None:
    stub_emulator.add_faults(
        {"action": "500", "method": "GET", "path": r"/services/x$", "after": 1, "count": 2}
    )
    session = session_for(stub_emulator.endpoint)
    statuses = [_get(stub_emulator, session, "/services/x").status_code for _ in range(5)]
    assert statuses == [200, 500, 500, 200, 200]
    assert _get(stub_emulator, session, "/services/y").status_code == 200
    assert _post(stub_emulator, session, "/services/x").status_code == 202


def _pattern(seed: int, rules: list[dict[str, object]], n: int = 200) -> list[bool]:
    injector = FaultInjector(seed=seed, rules=rules)
    request = Request("GET", "/sub/services/hostedservices", {}, b"", None, "127.0.0.1:1")
    return [injector.decide(request, None) is not None for _ in range(n)]


def test_seeded_rates_are_reproducible() -> None:
    rule = {"action": "503", "rate": 0.3}
    first = _pattern(42, [rule])
    assert first == _pattern(42, [rule])
    assert first != _pattern(43, [rule])
    assert 30 < sum(first) < 90  # a 30% rate, not all-or-nothing


def test_seeded_rate_is_reproducible_through_the_server(
    tmp_path: Path, session_for: Session, stub_app_class: type
) -> None:
    runs = []
    rules = [{"action": "429", "rate": 0.5}]
    for run in range(2):
        with Emulator(tmp_path / str(run), seed=9, app_factory=stub_app_class, faults=rules) as emu:
            session = session_for(emu.endpoint)
            runs.append([_get(emu, session).status_code for _ in range(30)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 429}


def test_profiles(tmp_path: Path) -> None:
    assert load_profile("chaos") == CHAOS_PROFILE
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"rules": [{"action": "slow", "delay": 2}]}))
    assert load_profile(path) == [{"action": "slow", "delay": 2}]
    path.write_text(json.dumps([{"action": "503", "colour": "red"}]))
    with pytest.raises(ValueError, match="colour"):
        load_profile(path)
    path.write_text(json.dumps([{"action": "503", "rate": 2}]))
    with pytest.raises(ValueError, match="rate"):
        load_profile(path)


def test_chaos_profile_only_produces_transient_asm_failures(tmp_path: Path, stub_app_class: type) -> None:
    outcomes: dict[str, int] = {}
    with Emulator(tmp_path, seed=3, app_factory=stub_app_class, faults="chaos") as emu:
        ep = emu.endpoint
        session = requests.Session()
        session.trust_env, session.verify, session.cert = False, ep["ca_cert"], ep["client_pem"]
        for _ in range(150):
            try:
                resp = _get(emu, session, allow_redirects=False)
                key = str(resp.status_code)
                if resp.status_code != 200:
                    assert re.search(
                        r"<Code>(ServerBusy|TooManyRequests|InternalError|ConflictError|"
                        r"TemporaryRedirect)</Code>",
                        resp.text,
                    )
            except requests.ConnectionError:
                key = "dropped"
            outcomes[key] = outcomes.get(key, 0) + 1
        session.close()
        assert emu.server is not None
        fired = {r["action"]: r["fired"] for r in emu.faults.list()}
    assert outcomes["200"] > 100  # mild rates
    assert set(outcomes) - {"200"}, outcomes  # but something did go wrong
    assert sum(fired.values()) == sum(n for k, n in outcomes.items() if k != "200") + fired.get("slow", 0)

"""The small judgements the guarded swap and the example DAGs make, checked without a network.

End-to-end behaviour is in ``test_blue_green.py`` (readiness in ``test_readiness.py``); here are the
health check's settings and probe, the report's slot summary, a ``.cscfg`` path that escapes the
config directory, and teardown markers.
"""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from test_blue_green_support import example_module

from airflow_sm_provider.operators.blue_green import AsmGuardedSwapOperator, slot_summary
from airflow_sm_provider.operators.health import HealthCheck, probe_sync


@dataclass
class Inst:
    instance_name: str
    instance_status: str


@dataclass
class Dep:
    name: str = "v1"
    status: str = "Running"
    locked: bool = False
    label: str = "v1"
    url: str = "https://h/cloudapp/x/"
    role_instance_list: list[Inst] = field(default_factory=lambda: [Inst("r_0", "ReadyRole")])


def test_slot_summary_counts_instances_and_holds_no_configuration() -> None:
    dep = Dep(role_instance_list=[Inst("a", "ReadyRole"), Inst("b", "ReadyRole"), Inst("c", "BusyRole")])
    summary = slot_summary(dep)
    assert summary is not None and summary["instances"] == {"ReadyRole": 2, "BusyRole": 1}
    assert set(summary) == {"name", "status", "instances", "locked", "label", "url"}
    assert slot_summary(None) is None


def _check(**kw: Any) -> HealthCheck:
    args: dict[str, Any] = {
        "url": None,
        "path": "health",
        "headers": {},
        "expected_status": 200,
        "body_contains": None,
        "retries": 3,
        "timeout": 5,
        "interval": 1,
    }
    args.update(kw)
    return HealthCheck.build(**args)


@pytest.mark.parametrize("path", ["health", "/health"])
def test_health_path_keeps_the_deployment_path(path: str) -> None:
    url = _check(path=path).resolve(Dep(url="https://h:1/cloudapp/abc/"), "svc", "Staging")
    assert url == "https://h:1/cloudapp/abc/health"


def test_health_url_template_points_anywhere() -> None:
    check = _check(url="https://{deployment_name}.{slot}.example.com/ready?svc={service_name}")
    assert (
        check.resolve(Dep(name="v7"), "svc", "Production")
        == "https://v7.production.example.com/ready?svc=svc"
    )
    assert _check(expected_status=[204, "200"]).expected_status == (200, 204)
    assert HealthCheck.from_dict(check.as_dict()) == check


@pytest.mark.parametrize(
    ("kw", "field_name"),
    [
        ({"url": "https://x/{nope}"}, "health_url"),
        ({"url": "ftp://x/"}, "health_url"),
        ({"url": "https://x/{"}, "health_url"),
        ({"url": "https://x/", "path": "other"}, "health_url"),
        ({"headers": {"X-Token": 5}}, "health_headers"),
        ({"expected_status": "ok"}, "expected_status"),
        ({"expected_status": [700]}, "expected_status"),
        ({"retries": 0}, "health_retries"),
    ],
)
def test_bad_health_settings_name_the_argument(kw: dict[str, Any], field_name: str) -> None:
    with pytest.raises(ValueError, match=field_name):
        _check(**kw)


def test_bad_health_settings_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="health_url"):
        AsmGuardedSwapOperator(task_id="t", service_name="svc", health_url="https://x/{typo}")


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append(dict(self.headers))
        body = b'{"status": "UP"}' if self.path == "/ready" else b"degraded"
        self.send_response(204 if self.path == "/empty" else 200)
        self.end_headers()
        self.wfile.write(b"" if self.path == "/empty" else body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def app_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_probe_sends_headers_and_checks_status_and_body(app_server: str) -> None:
    from airflow_sm_provider.client.polling import health_condition

    check = _check(
        url=app_server + "/ready", headers={"Authorization": "Bearer s3cret"}, body_contains='"UP"'
    )
    sample = probe_sync(check.url, check, ssl.create_default_context())
    assert health_condition(check.expected_status, check.body_contains)(sample).ok
    assert _Handler.seen[-1]["Authorization"] == "Bearer s3cret"
    degraded = probe_sync(app_server + "/other", check, ssl.create_default_context())
    verdict = health_condition(check.expected_status, check.body_contains)(degraded)
    assert not verdict.done and "lacks" in verdict.message and "s3cret" not in verdict.message
    empty = probe_sync(app_server + "/empty", check, ssl.create_default_context())
    assert not health_condition((200,), None)(empty).done
    assert health_condition((200, 204), None)(empty).ok


def test_a_refused_probe_is_a_sample_not_an_exception() -> None:
    sample = probe_sync("http://127.0.0.1:9/health", _check(timeout=1), ssl.create_default_context())
    assert sample.status is None and "ConnectError" in sample.detail


def test_cscfg_param_names_only_a_file_in_the_config_dir() -> None:
    module = example_module("blue_green_release")
    assert "ServiceConfiguration" in module.config_file("v1.cscfg").read_text()
    for bad in ("../blue_green_release.py", "/etc/passwd", "missing.cscfg", "<ServiceConfiguration/>", ""):
        with pytest.raises(ValueError, match=r"is not a \.cscfg file in"):
            module.config_file(bad)
    # The same rule guards the param itself, before the run starts.
    pattern = module.dag.params.get_param("cscfg").schema["pattern"]
    assert pattern == module.CSCFG_NAME.pattern


def _teardown_module() -> Any:
    return example_module("nightly_teardown")


@pytest.mark.parametrize(
    ("name", "props", "match", "storage", "ephemeral"),
    [
        ("eph-a", {"ephemeral": "true"}, "all", False, True),
        ("eph-a", {"Ephemeral": "TRUE"}, "all", False, True),
        ("eph-a", {}, "all", False, False),
        ("prod-a", {"ephemeral": "true"}, "all", False, False),
        ("prod-a", {"ephemeral": "true"}, "any", False, True),
        ("eph-a", {"ephemeral": "false"}, "all", False, False),
        ("ephstore1", {"ephemeral": "true"}, "all", True, True),
        ("prodstore", {"ephemeral": "true"}, "all", True, False),
    ],
)
def test_teardown_markers(
    name: str, props: dict[str, str], match: str, storage: bool, ephemeral: bool
) -> None:
    module = _teardown_module()
    params = {
        "name_prefix": "eph-",
        "ephemeral_property": "ephemeral",
        "ephemeral_value": "true",
        "match": match,
    }
    assert (module.is_ephemeral(name, props, params, storage=storage) is not None) is ephemeral


def test_teardown_refuses_to_run_without_any_marker() -> None:
    module = _teardown_module()
    params = {"name_prefix": "", "ephemeral_property": "", "ephemeral_value": "", "match": "any"}
    with pytest.raises(ValueError, match="refusing"):
        module.is_ephemeral("anything", {}, params)

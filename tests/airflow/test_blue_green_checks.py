"""The small judgements the guarded swap and the example DAGs make, checked without a network.

End-to-end behaviour is in ``test_blue_green.py``; here are the edge cases that are awkward to
provoke through the emulator (failed instances, a suspended deployment, a foreign run's intent,
a ``.cscfg`` path that escapes the config directory, teardown markers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from test_blue_green_support import example_module

from airflow_sm_provider.operators.health import (
    STATE_KEY,
    assess_deployment,
    health_url,
    load_intent,
    save_intent,
    slot_summary,
)


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


@pytest.mark.parametrize(
    ("dep", "verdict"),
    [
        (Dep(), "ready"),
        (Dep(locked=True), "settling"),
        (Dep(status="RunningTransitioning"), "settling"),
        (Dep(role_instance_list=[Inst("r_0", "ReadyRole"), Inst("r_1", "BusyRole")]), "settling"),
        (Dep(status="Suspended"), "hopeless"),
        (Dep(role_instance_list=[Inst("r_0", "FailedStartingRole")]), "hopeless"),
        (Dep(role_instance_list=[]), "hopeless"),
    ],
)
def test_assess_deployment(dep: Dep, verdict: str) -> None:
    assert assess_deployment(dep)[0] == verdict


def test_locked_wins_over_everything_else() -> None:
    # An operation in flight may be what makes the deployment look broken: wait, don't judge.
    state, detail = assess_deployment(Dep(status="Suspended", locked=True))
    assert state == "settling" and "locked" in detail


def test_slot_summary_counts_instances_and_holds_no_configuration() -> None:
    dep = Dep(role_instance_list=[Inst("a", "ReadyRole"), Inst("b", "ReadyRole"), Inst("c", "BusyRole")])
    summary = slot_summary(dep)
    assert summary is not None and summary["instances"] == {"ReadyRole": 2, "BusyRole": 1}
    assert set(summary) == {"name", "status", "instances", "locked", "label", "url"}
    assert slot_summary(None) is None


@pytest.mark.parametrize("path", ["health", "/health"])
def test_health_url_keeps_the_deployment_path(path: str) -> None:
    assert health_url("https://h:1/cloudapp/abc/", path) == "https://h:1/cloudapp/abc/health"


class Store:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value


class Log:
    def warning(self, *args: Any) -> None:
        pass


def test_intent_is_only_honoured_by_the_same_run() -> None:
    store = Store()
    save_intent(store, "run_1", "v1", "v2", Log())
    assert store.data[STATE_KEY]["new"] == "v2"
    assert load_intent(store, "run_1", Log())["old"] == "v1"
    assert load_intent(store, "run_2", Log()) == {}
    assert load_intent(None, "run_1", Log()) == {}


def test_intent_survives_a_broken_store() -> None:
    class Broken:
        def get(self, key: str) -> Any:
            raise RuntimeError("down")

        def set(self, key: str, value: Any) -> None:
            raise RuntimeError("down")

    save_intent(Broken(), "r", None, "v1", Log())  # logs, does not raise
    assert load_intent(Broken(), "r", Log()) == {}


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

"""Fast checks (in ``make test``) of the parts of ``make cluster`` that other changes can break.

The slow tests here need the whole stack; these catch, in seconds, an example DAG whose schedule
line the stack can no longer neutralise, and a scenario override naming a param a DAG lost.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cluster.releases import conf_for
from cluster.stack import EXAMPLE_DAGS, unscheduled


@pytest.mark.parametrize("path", sorted(EXAMPLE_DAGS.glob("*.py")), ids=lambda p: p.name)
def test_every_example_dag_gets_schedule_none(path: Path) -> None:
    source = path.read_text()
    new = unscheduled(source, path.name)
    assert "schedule=None," in new
    compile(new, path.name, "exec")  # still Python
    assert new.count("schedule=") == source.count("schedule=")


def test_a_dag_without_a_schedule_line_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("no single 'schedule=...,' line")):
        unscheduled("with DAG('x') as dag:\n    pass\n", "x.py")


class FakeApi:
    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def dag_params(self, dag_id: str) -> dict[str, Any]:
        return dict(self.params)


def test_conf_keeps_the_dag_defaults_and_refuses_unknown_overrides() -> None:
    api: Any = FakeApi({"service_name": "demo", "bake_seconds": 60, "keep_previous": False})
    assert conf_for(api, "d", service_name="s1") == {
        "service_name": "s1",
        "bake_seconds": 60,
        "keep_previous": False,
    }
    with pytest.raises(KeyError, match="has no params \\['cscfg'\\]"):
        conf_for(api, "d", cscfg="v1.cscfg")

"""Scripts that import the error classes from ``azure.common`` (salt-cloud does), ported as
docs/migrating.md says, against the emulator.

``from azure.servicemanagement import *`` never exported ``AzureHttpError`` and its 404 / 409
subclasses: real scripts import them from ``azure.common``. Our errors are other classes, and
``except`` matches by real subclassing only, so a script whose ``azure.common`` line is left as it
was silently stops catching them. The doc must tell the user to change that line too, and the
line it gives must make every ``except`` clause match again: this test takes the line from the
doc, ports a script with it and runs it.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any

import azure.common
import pytest

from airflow_sm_provider.client import ServiceManagementService

DOC = Path(__file__).resolve().parents[2] / "docs" / "migrating.md"

# What a salt-cloud style script did (salt/cloud/clouds/msazure.py): the service management import,
# the error classes from azure.common, and an except clause per error.
SCRIPT = """
from azure.servicemanagement import *
from azure.common import AzureConflictHttpError, AzureException, AzureHttpError, AzureMissingResourceHttpError


def run(sms, name, faults):
    caught = []
    sms.create_hosted_service(name, name, "d", "West US").wait(poll_interval=0.1)
    try:
        sms.create_hosted_service(name, name, "d", "West US")
    except AzureConflictHttpError as exc:
        caught.append(("conflict", exc.status_code))
    except AzureHttpError:
        caught.append(("http", None))
    except Exception as exc:
        caught.append(("unmatched", type(exc).__name__))
    try:
        sms.get_hosted_service_properties(name + "missing")
    except AzureMissingResourceHttpError as exc:
        caught.append(("missing", exc.status_code))
    except Exception as exc:
        caught.append(("unmatched", type(exc).__name__))
    try:
        sms.get_deployment_by_slot(name, "staging")
    except AzureHttpError as exc:
        caught.append(("http", exc.status_code))
    except Exception as exc:
        caught.append(("unmatched", type(exc).__name__))
    faults({"action": "fail_operation", "operation": "delete_hosted_service", "count": 1})
    request = sms.delete_hosted_service(name)
    try:
        sms.wait_for_operation_status(request.request_id, timeout=30, sleep_interval=0.1,
                                      progress_callback=None)
    except AzureAsyncOperationHttpError as exc:
        caught.append(("async", exc.status_code))
    except Exception as exc:
        caught.append(("unmatched", type(exc).__name__))
    try:
        sms.get_hosted_service_properties(name + "missing")
    except AzureException:
        caught.append(("base", None))
    except Exception as exc:
        caught.append(("unmatched", type(exc).__name__))
    sms.delete_hosted_service(name).wait(poll_interval=0.1)
    return caught
"""
EXPECTED = [("conflict", 409), ("missing", 404), ("http", 404), ("async", "Failed"), ("base", None)]
SERVICE_MANAGEMENT_LINE = "from azure.servicemanagement import *"


def _doc_lines() -> tuple[str, str]:
    """The doc's two replacements: (old line -> new line) for azure.servicemanagement and azure.common."""
    text = DOC.read_text()
    common = re.search(
        r"^# was: (from azure\.common import [^\n]+)\n(from airflow_sm_provider\.client import [^\n]+)$",
        text,
        re.M,
    )
    assert common, "docs/migrating.md gives no replacement for the `from azure.common import` line"
    old, new = common.groups()
    assert old.split(" import ")[1] == new.split(" import ")[1], "the names stay; only the module changes"
    assert (
        "from airflow_sm_provider.client import *          # was: from azure.servicemanagement import *"
        in text
    )
    return old, new


def _port(script: str, common_line: str | None) -> str:
    """The script with its import lines changed as the doc says (``common_line``: the azure.common one)."""
    ported = script.replace(SERVICE_MANAGEMENT_LINE, "from airflow_sm_provider.client import *")
    if common_line is not None:
        old, new = _doc_lines()
        names = old.split(" import ")[1]
        line = next(x for x in script.splitlines() if x.startswith("from azure.common import"))
        assert set(line.split(" import ")[1].split(", ")) <= set(names.split(", ")), line
        ported = ported.replace(
            line, line.replace("from azure.common import", new.split(" import ")[0] + " import")
        )
    return ported


def _run(script: str, asm_emulator: Any) -> list[tuple[str, Any]]:
    namespace: dict[str, Any] = {"__name__": f"ported_{uuid.uuid4().hex[:6]}"}
    exec(compile(script, "<ported script>", "exec"), namespace)
    name = f"pe{uuid.uuid4().hex[:10]}"
    with ServiceManagementService.from_endpoint(asm_emulator.endpoint) as sms:
        try:
            return list(namespace["run"](sms, name, asm_emulator.add_faults))
        finally:
            asm_emulator.clear_faults()


def test_the_doc_names_the_azure_common_line_and_its_replacement() -> None:
    old, new = _doc_lines()
    for name in (
        "AzureHttpError",
        "AzureConflictHttpError",
        "AzureMissingResourceHttpError",
        "AzureException",
    ):
        assert name in old and name in new


def test_the_ported_idiom_catches_every_error(asm_emulator: Any) -> None:
    """With both lines ported as the doc says, each except clause matches what it matched before."""
    assert _run(_port(SCRIPT, common_line="as the doc says"), asm_emulator) == EXPECTED


def test_left_unported_the_clauses_do_not_match_and_a_warning_says_why(
    asm_emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Why the doc insists: azure.common's classes are not ours (no subclassing), so the clauses
    stop matching; the client says so when it is made by code that imported them."""
    script = _port(SCRIPT, common_line=None)
    with caplog.at_level(logging.WARNING, logger="airflow_sm_provider.client.compat"):
        namespace: dict[str, Any] = {"__name__": f"unported_{uuid.uuid4().hex[:6]}"}
        exec(compile(script, "<unported script>", "exec"), namespace)
        assert namespace["AzureConflictHttpError"] is azure.common.AzureConflictHttpError
        exec(
            compile(
                "sms = ServiceManagementService.from_endpoint(endpoint); sms.close()", "<unported>", "exec"
            ),
            {**namespace, "endpoint": asm_emulator.endpoint},
        )
    hints = [r.getMessage() for r in caplog.records if "azure.common" in r.getMessage()]
    assert len(hints) == 1, hints
    assert "AzureConflictHttpError" in hints[0] and "from airflow_sm_provider.client import" in hints[0]
    caught = _run(script, asm_emulator)
    assert [kind for kind, _ in caught[:3]] == ["unmatched"] * 3


def test_no_warning_for_code_that_does_not_import_them(
    asm_emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="airflow_sm_provider.client.compat"):
        ServiceManagementService.from_endpoint(asm_emulator.endpoint).close()
    assert not [r for r in caplog.records if "azure.common" in r.getMessage()]

"""Shared bits of the operator tests: unique names, a .cscfg, failure capture, request counting."""

from __future__ import annotations

import uuid
from typing import Any

CSCFG = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<ServiceConfiguration serviceName="{name}" '
    'xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">\n'
    '  <Role name="WebRole1"><Instances count="{count}"/><ConfigurationSettings/></Role>\n'
    "</ServiceConfiguration>\n"
)
PACKAGE_URL = "https://pkgstore.blob.core.windows.net/packages/app.cspkg"

#: task_id -> the exception that failed it (filled by ``record_failure``).
FAILURES: dict[str, BaseException | None] = {}


def unique(prefix: str) -> str:
    """A fresh resource name (the session emulator is shared by every test)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def cscfg(name: str = "svc", count: int = 1) -> str:
    return CSCFG.format(name=name, count=count)


def record_failure(context: Any) -> None:
    """``on_failure_callback``: keep the exception so a test can assert on its text."""
    FAILURES[context["ti"].task_id] = context.get("exception")


#: Short polls and a failure recorder: the operator tests' common task arguments.
FAST: dict[str, Any] = {"poll_interval": 0.05, "timeout": 120, "on_failure_callback": record_failure}


def request_counter(emulator: Any, operation: str) -> int:
    """Add a never-firing rule on ``operation``; its ``matched`` counts the requests sent."""
    rule = emulator.add_faults({"action": "slow", "delay": 0, "operation": operation, "after": 10**9})[0]
    return int(rule["id"])


def requests_seen(emulator: Any, rule_id: int) -> int:
    for rule in emulator.faults.list():
        if rule["id"] == rule_id:
            return int(rule["matched"])
    raise AssertionError(f"fault rule {rule_id} vanished")


def crash_before_id_stored(operator: type) -> type:
    """``operator`` whose worker dies after the request reached ASM, before its request id was stored
    (first try only): the retry finds the "submitting" mark and adopts what the request did."""

    class CrashBeforeIdStored(operator):  # type: ignore[misc, valid-type]
        def submit(self, client: Any) -> Any:
            handle = super().submit(client)
            if self._try_number == 1:
                raise RuntimeError("simulated worker crash before the request id was stored")
            return handle

        def execute(self, context: Any) -> Any:
            self._try_number = context["ti"].try_number
            return super().execute(context)

    CrashBeforeIdStored.__name__ = CrashBeforeIdStored.__qualname__ = (
        f"CrashBeforeIdStored{operator.__name__}"
    )
    return CrashBeforeIdStored


def interrupted_update(
    emulator: Any, dag_id: str, create: Any, update: type, operation: str, **update_kwargs: Any
) -> tuple[dict[str, Any], int]:
    """Run ``create`` then ``update`` (an ``AsmUpdateOperator``) whose first try dies after its request
    reached ASM, before the request id was stored; return the retry's XCom value and how many
    ``operation`` requests were sent. The DAG must succeed."""
    from datetime import timedelta

    from airflow.sdk import DAG
    from harness import START, run_dag, task_states, xcom_value

    with DAG(dag_id, schedule=None, start_date=START) as dag:
        first = create()
        crashed = crash_before_id_stored(update)(
            task_id="update", retries=1, retry_delay=timedelta(0), **update_kwargs
        )
        first >> crashed
    counter = request_counter(emulator, operation)

    dr = run_dag(dag)

    assert set(task_states(dr).values()) == {"success"}, FAILURES
    return xcom_value(dr, "update"), requests_seen(emulator, counter)

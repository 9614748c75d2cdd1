"""One reconciliation for both clients (review finding 5): ``submit.submission`` decides, the sync and
the async client only perform its steps, so they send the same requests and return the same handle
for every outcome of an ambiguous write (applied, absent, unknown, a 404 read, an error that is not
ambiguous).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from legacy_wire import CFG_XML, RID, SUB

from airflow_sm_provider.client import AsyncServiceManagementClient, ServiceManagementClient
from airflow_sm_provider.client.errors import AsmError, NotFoundError, ServerError, TransportError
from airflow_sm_provider.client.operations import OPERATIONS
from airflow_sm_provider.client.submit import Read, Send, submission
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse

NS = 'xmlns="http://schemas.microsoft.com/windowsazure"'
PKG = "https://acct.blob.core.windows.net/pkgs/app.cspkg"
ARGS = ("svc", "staging", "v2", PKG, "label", CFG_XML)


def _deployment(name: str) -> ApiResponse:
    return ApiResponse(200, {}, f"<Deployment {NS}><Name>{name}</Name></Deployment>".encode(), None)


def _lost() -> TransportError:
    return TransportError("connection dropped after the body was sent", ambiguous=True)


ACCEPTED = ApiResponse(202, {"x-ms-request-id": RID}, b"", RID)
#: case -> the answers in order (an exception is raised instead of answered)
SCRIPTS: dict[str, list[Any]] = {
    "sent": [ACCEPTED],
    "applied": [_lost(), _deployment("v2")],
    "absent (404)": [_lost(), NotFoundError("No deployments were found.", status_code=404), ACCEPTED],
    "unknown": [_lost(), _deployment("someone-else")],
    "5xx then applied": [ServerError("boom", status_code=500), _deployment("v2")],
    "not ambiguous": [TransportError("refused", ambiguous=False)],
}


@dataclass
class Scripted:
    answers: list[Any]
    sent: list[tuple[str, str]] = field(default_factory=list)
    host: str = "management.core.windows.net"

    def reply(self, request: ApiRequest) -> ApiResponse:
        self.sent.append((request.method, request.path))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class AsyncScripted(Scripted):
    async def send(self, request: ApiRequest) -> ApiResponse:  # type: ignore[override]
        return self.reply(request)


class SyncScripted(Scripted):
    def send(self, request: ApiRequest) -> ApiResponse:
        return self.reply(request)


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        handle = call()
    except AsmError as exc:
        return "raised", (type(exc).__name__, str(exc))
    return "handle", (handle.request_id, handle.kind, handle.target, handle.status_code)


@pytest.mark.parametrize("case", sorted(SCRIPTS))
def test_sync_and_async_clients_take_the_same_steps(case: str) -> None:
    sync_t = SyncScripted(list(SCRIPTS[case]))
    sync = _outcome(lambda: ServiceManagementClient(SUB, transport=sync_t).create_deployment(*ARGS))
    async_t = AsyncScripted(list(SCRIPTS[case]))

    def run_async() -> Any:
        client = AsyncServiceManagementClient(SUB, transport=async_t)
        return asyncio.run(client.create_deployment(*ARGS))

    assert _outcome(run_async) == sync
    assert async_t.sent == sync_t.sent and not sync_t.answers and not async_t.answers
    expected = {
        "sent": ("handle", 1),
        "applied": ("handle", 2),
        "absent (404)": ("handle", 3),
        "unknown": ("raised", 2),
        "5xx then applied": ("handle", 2),
        "not ambiguous": ("raised", 1),
    }[case]
    assert (sync[0], len(sync_t.sent)) == expected
    if case == "applied":
        assert sync[1][0] is None  # reconciled: no request id to poll


def test_the_plan_is_sans_io() -> None:
    """Driven by hand: send, a lost answer, the read the entry declares, then the decision."""
    op = OPERATIONS["create_deployment"]
    request, values = op.bind((*ARGS, False, False, None))
    plan = submission(op, request, values)
    assert next(plan) == Send(request)
    assert plan.throw(_lost()) == Read("get_deployment_by_slot", ("svc", "staging"))
    with pytest.raises(StopIteration) as done:
        plan.send(type("Dep", (), {"name": "V2"})())
    assert done.value.value is None  # applied: no response to make a handle of

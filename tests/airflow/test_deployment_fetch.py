"""One fetch of a deployment target (``triggers/_deployment_target.py``), sync and async.

The sensor's poke, the deployment triggers and the release steps (``ReleaseIO``) all read a slot or a
named deployment through it: an empty slot (or a deployment not there yet) is None, a missing cloud
service is an error. Each reader is checked against the same fake ASM answers.
"""

from __future__ import annotations

import asyncio
import ssl
from types import SimpleNamespace as NS
from typing import Any

import pytest

from airflow_sm_provider import protocol
from airflow_sm_provider.client.errors import NotFoundError

V2 = NS(name="v2", status="Running", deployment_slot="Staging", locked=False, role_instance_list=[])


class _Asm:
    """Get Deployment by slot or name: staging holds v2, production is empty; ``gone``: no service."""

    def __init__(self, *, gone: bool = False) -> None:
        self.gone = gone
        self.calls: list[tuple[str, str]] = []

    def _answer(self, how: str, key: str) -> Any:
        self.calls.append((how, key))
        if self.gone:
            raise NotFoundError(
                "The hosted service does not exist.", status_code=404, code=protocol.ERR_NOT_FOUND
            )
        if key.lower() in ("staging", "v2"):
            return V2
        raise NotFoundError("No deployments were found.", status_code=404, code=protocol.ERR_NOT_FOUND)

    def get_deployment_by_slot(self, service: str, slot: str) -> Any:
        return self._answer("slot", slot)

    def get_deployment_by_name(self, service: str, name: str) -> Any:
        return self._answer("name", name)


class _AsyncAsm(_Asm):
    async def get_deployment_by_slot(self, service: str, slot: str) -> Any:  # type: ignore[override]
        return self._answer("slot", slot)

    async def get_deployment_by_name(self, service: str, name: str) -> Any:  # type: ignore[override]
        return self._answer("name", name)


def _sync(client: _Asm, slot: str | None, name: str | None) -> Any:
    from airflow_sm_provider.triggers._deployment_target import get_deployment

    return get_deployment(client, "svc", slot, name)


def _async(client: _Asm, slot: str | None, name: str | None) -> Any:
    from airflow_sm_provider.triggers._deployment_target import fetch_deployment

    aclient = _AsyncAsm(gone=client.gone)
    try:
        return asyncio.run(fetch_deployment(aclient, "svc", slot, name))  # type: ignore[arg-type]
    finally:
        client.calls = aclient.calls


def _release_io(client: _Asm, slot: str | None, name: str | None) -> Any:
    from airflow_sm_provider.triggers.release import ReleaseIO

    return ReleaseIO("svc", ssl.create_default_context(), client=client).deployment(slot, name)


def _sensor(client: _Asm, slot: str | None, name: str | None) -> Any:
    from airflow_sm_provider.sensors.deployment import AsmDeploymentReadySensor

    sensor = AsmDeploymentReadySensor(
        task_id="s", service_name="svc", deployment_slot=slot, deployment_name=name
    )
    seen = sensor.check(client).last_seen  # type: ignore[arg-type]
    return V2 if seen.get("deployment_name") == "v2" else None


READERS = [_sync, _async, _release_io, _sensor]


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__.strip("_"))
@pytest.mark.parametrize(
    ("slot", "name", "expected", "call"),
    [
        ("staging", None, V2, ("slot", "staging")),
        ("production", None, None, ("slot", "production")),  # an empty slot is a state
        (None, "v2", V2, ("name", "v2")),
        (None, "v9", None, ("name", "v9")),  # not there yet
    ],
)
def test_every_reader_reads_a_target_the_same_way(
    read: Any, slot: str | None, name: str | None, expected: Any, call: tuple[str, str]
) -> None:
    client = _Asm()
    assert read(client, slot, name) is expected
    assert client.calls == [call]


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__.strip("_"))
def test_a_missing_cloud_service_is_an_error_for_every_reader(read: Any) -> None:
    with pytest.raises(NotFoundError, match="hosted service does not exist"):
        read(_Asm(gone=True), "staging", None)

"""The old client's instance attributes, read and set as old scripts did, against the emulator.

0.20.8's ``_ServiceManagementClient.__init__`` set ``requestid``, ``subscription_id``,
``cert_file``, ``host``, ``request_session``, ``x_ms_version`` and ``content_type`` (and the
private ``_httpclient`` / ``_filter``). Assigning ``sms.x_ms_version`` there changed the header of
every later request whose operation has no version of its own; here it must too (sync and
async), validated as the constructor validates it. docs/migrating.md lists what differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.servicemanagement
import pytest

from airflow_sm_provider.client import AsyncServiceManagementClient, ServiceManagementClient
from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.emulator.sessions import legacy_session

DEFAULT = "2014-10-01"
OTHER = "2015-04-01"


@pytest.fixture
def sms(asm_emulator: Any) -> Iterator[ServiceManagementClient]:
    with ServiceManagementClient.from_endpoint(asm_emulator.endpoint) as client:
        yield client


def _versions(emulator: Any) -> dict[str, int]:
    return dict(emulator.stats["by_version"])


def _delta(emulator: Any, before: dict[str, int]) -> dict[str, int]:
    now = _versions(emulator)
    return {k: n - before.get(k, 0) for k, n in now.items() if n != before.get(k, 0)}


def test_old_sdk_header_follows_the_attribute(asm_emulator: Any) -> None:
    """The truth: the old SDK sends what was assigned (so the test below asks for the same)."""
    ep = asm_emulator.endpoint
    old = azure.servicemanagement.ServiceManagementService(
        ep["subscription_id"], host=ep["host"], request_session=legacy_session(ep)
    )
    assert old.x_ms_version == DEFAULT
    old.x_ms_version = OTHER
    before = _versions(asm_emulator)
    old.list_locations()
    assert _delta(asm_emulator, before) == {OTHER: 1}


def test_assigned_x_ms_version_is_sent_on_later_requests(
    sms: ServiceManagementClient, asm_emulator: Any
) -> None:
    assert sms.x_ms_version == DEFAULT
    before = _versions(asm_emulator)
    sms.list_locations()
    assert _delta(asm_emulator, before) == {DEFAULT: 1}

    sms.x_ms_version = OTHER
    assert sms.x_ms_version == OTHER
    before = _versions(asm_emulator)
    sms.list_locations()  # a table operation
    sms.perform_get(f"/{sms.subscription_id}/locations")  # the raw escape hatch
    assert _delta(asm_emulator, before) == {OTHER: 2}

    # An explicit per-call version still wins, as in the old SDK (``x_ms_version or self.x_ms_version``).
    before = _versions(asm_emulator)
    sms.perform_get(f"/{sms.subscription_id}/locations", x_ms_version="2015-02-01")
    assert _delta(asm_emulator, before) == {"2015-02-01": 1}


def test_assigned_x_ms_version_is_sent_by_the_async_client(asm_emulator: Any) -> None:
    async def run() -> dict[str, int]:
        async with AsyncServiceManagementClient.from_endpoint(asm_emulator.endpoint) as client:
            assert client.x_ms_version == DEFAULT
            client.x_ms_version = OTHER
            before = _versions(asm_emulator)
            await client.list_locations()
            return _delta(asm_emulator, before)

    assert asyncio.run(run()) == {OTHER: 1}


@pytest.mark.parametrize("bad", ["latest", "2015-04-01\r\nX-Evil: 1", "", None, 20150401])
def test_a_bad_x_ms_version_is_refused_naming_it(sms: ServiceManagementClient, bad: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        sms.x_ms_version = bad
    assert info.value.field == "x_ms_version"
    assert sms.x_ms_version == DEFAULT  # unchanged


def test_the_constructor_version_is_readable(asm_emulator: Any) -> None:
    with ServiceManagementClient.from_endpoint(asm_emulator.endpoint, x_ms_version=OTHER) as client:
        assert client.x_ms_version == OTHER


def test_every_public_old_instance_attribute_is_readable(asm_emulator: Any, tmp_path: Path) -> None:
    """Each public attribute the old ``__init__`` set reads here, with the old meaning."""
    ep = asm_emulator.endpoint
    old = azure.servicemanagement.ServiceManagementService(
        ep["subscription_id"], ep["client_pem"], ep["host"]
    )
    public = sorted(name for name in vars(old) if not name.startswith("_"))
    assert public == sorted(
        [
            "requestid",
            "subscription_id",
            "cert_file",
            "host",
            "request_session",
            "x_ms_version",
            "content_type",
        ]
    )
    with ServiceManagementClient(
        ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"]
    ) as new:
        missing = [name for name in public if not hasattr(new, name)]
        assert not missing
        assert new.subscription_id == old.subscription_id
        assert new.cert_file == old.cert_file == ep["client_pem"]
        assert new.host == old.host
        assert new.requestid is None and old.requestid is None
        assert new.x_ms_version == old.x_ms_version
        assert new.content_type == "application/xml"  # what bodies are sent as
        assert new.request_session is None  # ours sends through its own pool; none was given
    session = legacy_session(ep)
    with ServiceManagementClient(ep["subscription_id"], host=ep["host"], request_session=session) as new:
        assert new.request_session is session
        assert new.cert_file is None  # as the old SDK: the certificate came from the session


def test_settings_that_cannot_change_refuse_assignment(sms: ServiceManagementClient) -> None:
    """Not silently ignored: the client was built for them (host, subscription, certificate)."""
    for name, value in [
        ("host", "elsewhere.example"),
        ("subscription_id", "00000000-0000-0000-0000-000000000000"),
        ("cert_file", "other.pem"),
        ("request_session", object()),
        ("content_type", "application/json"),
    ]:
        with pytest.raises(AttributeError, match=name):
            setattr(sms, name, value)

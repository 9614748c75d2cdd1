"""``x_ms_version`` where the old SDK decided it: ``with_filter`` clones and ``perform_*``.

0.20.8's ``with_filter`` built its clone with the constructor, ``type(self)(subscription_id,
cert_file, host, request_session, timeout)``: a version ASSIGNED on the parent
(``sms.x_ms_version = ...``) was not copied, the clone sent the default. Its ``perform_*`` sent
``x_ms_version or self.x_ms_version``: an empty or None per-call version meant the client's own.
Each rule is first observed on the old SDK against the emulator (over mutual TLS), then asked of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.servicemanagement
import pytest
from legacy_wire import SUB, CaptureTransport

from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.emulator.sessions import legacy_session

DEFAULT = "2014-10-01"
OTHER = "2015-04-01"


def _old(emulator: Any) -> Any:
    ep = emulator.endpoint
    return azure.servicemanagement.ServiceManagementService(
        ep["subscription_id"], host=ep["host"], request_session=legacy_session(ep)
    )


def _new(emulator: Any, **kwargs: Any) -> ServiceManagementClient:
    return ServiceManagementClient.from_endpoint(emulator.endpoint, **kwargs)


def _sent(emulator: Any, call: Callable[[], Any]) -> dict[str, int]:
    """The x-ms-version headers the emulator saw during ``call()``, with their counts."""
    before = dict(emulator.stats["by_version"])
    call()
    now = dict(emulator.stats["by_version"])
    return {k: n - before.get(k, 0) for k, n in now.items() if n != before.get(k, 0)}


def _passthrough(request: Any, nxt: Any) -> Any:
    return nxt(request)


def _clone_after_assignment(emulator: Any, sms: Any) -> tuple[Any, ...]:
    sms.x_ms_version = OTHER
    clone = sms.with_filter(_passthrough)
    clone_sent = _sent(emulator, clone.list_locations)
    parent_sent = _sent(emulator, sms.list_locations)
    clone.x_ms_version = "2015-02-01"  # the clone's own assignment stays its own
    return clone.x_ms_version, clone_sent, sms.x_ms_version, parent_sent


def test_a_clone_does_not_inherit_an_assigned_version_as_in_the_old_sdk(asm_emulator: Any) -> None:
    old = _clone_after_assignment(asm_emulator, _old(asm_emulator))
    assert old == ("2015-02-01", {DEFAULT: 1}, OTHER, {OTHER: 1})  # the truth, from 0.20.8
    with _new(asm_emulator) as sms:
        assert _clone_after_assignment(asm_emulator, sms) == old


def test_a_clone_keeps_the_constructor_version(asm_emulator: Any) -> None:
    """``x_ms_version=`` is a constructor argument (ours): the clone is built from the same
    arguments, as the old clone was from its parent's, so it keeps it."""
    with _new(asm_emulator, x_ms_version=OTHER) as sms:
        clone = sms.with_filter(_passthrough)
        assert clone.x_ms_version == OTHER
        assert _sent(asm_emulator, clone.list_locations) == {OTHER: 1}


def _empty_per_call_version(emulator: Any, sms: Any) -> tuple[dict[str, int], ...]:
    path = f"/{sms.subscription_id}/locations"
    default = _sent(emulator, lambda: (sms.perform_get(path, ""), sms.perform_get(path, None)))
    sms.x_ms_version = OTHER
    assigned = _sent(emulator, lambda: (sms.perform_get(path, ""), sms.perform_get(path, x_ms_version=None)))
    return default, assigned


def test_an_empty_per_call_version_means_the_clients_as_in_the_old_sdk(asm_emulator: Any) -> None:
    old = _empty_per_call_version(asm_emulator, _old(asm_emulator))
    assert old == ({DEFAULT: 2}, {OTHER: 2})  # the truth, from 0.20.8
    with _new(asm_emulator) as sms:
        assert _empty_per_call_version(asm_emulator, sms) == old


def _perform(sms: ServiceManagementClient, method: str, version: Any) -> Any:
    path = f"/{SUB}/services/hostedservices/svc"
    if method in ("put", "post"):
        return getattr(sms, f"perform_{method}")(path, "<x/>", version)
    return getattr(sms, f"perform_{method}")(path, version)


@pytest.mark.parametrize("method", ["get", "put", "post", "delete"])
def test_every_perform_takes_an_empty_version_as_the_clients(method: str) -> None:
    t = CaptureTransport(body=b"")
    sms = ServiceManagementClient(SUB, transport=t, x_ms_version=OTHER)
    _perform(sms, method, "")
    _perform(sms, method, None)
    sms.x_ms_version = "2015-02-01"
    _perform(sms, method, "")
    # None on the request: the transport's (constructor's) version; the assigned one is stamped.
    assert [r.x_ms_version for r in t.sent] == [None, None, "2015-02-01"]


@pytest.mark.parametrize("method", ["get", "put", "post", "delete"])
@pytest.mark.parametrize("bad", ["2015-04-01\r\nX-Evil: 1", "\n", "2015-04-01\x00", "latest"])
def test_every_perform_still_refuses_a_bad_version_naming_it(method: str, bad: str) -> None:
    t = CaptureTransport(body=b"")
    sms = ServiceManagementClient(SUB, transport=t)
    with pytest.raises(InvalidInputError) as info:
        _perform(sms, method, bad)
    assert info.value.field == "x_ms_version"
    assert "2014-10-01" in str(info.value)  # says what to pass instead
    assert t.sent == []  # refused before any request

"""List Subscription Operations filtered by an object finds the operation that created it, for every
create POSTed to a collection (the object is the new resource's GET path, not the collection's)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client.compat import endpoint_kwargs

VHD = "https://store.blob.core.windows.net/vhds/{}.vhd"


def _window() -> tuple[str, str]:
    now = dt.datetime.now(dt.timezone.utc)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (now - dt.timedelta(hours=1)).strftime(fmt), (now + dt.timedelta(hours=1)).strftime(fmt)


def _image(sms: ServiceManagementClient, name: str) -> tuple[str, str]:
    sms.add_os_image(name, VHD.format(name), name, "Linux").wait(timeout=60, poll_interval=0.05)
    return f"/services/images/{name}", "AddOsImage"


def _disk(sms: ServiceManagementClient, name: str) -> tuple[str, str]:
    sms.add_disk(False, name, VHD.format(name), name, "Linux")
    return f"/services/disks/{name}", "AddDisk"


@pytest.mark.parametrize("create", [_image, _disk], ids=["os image", "disk"])
def test_the_creating_operation_is_found_by_its_object(
    asm_emulator: Any, create: Callable[[ServiceManagementClient, str], tuple[str, str]]
) -> None:
    ep = asm_emulator.endpoint
    name = f"obj{uuid.uuid4().hex[:10]}"
    with ServiceManagementClient(**endpoint_kwargs(ep)) as sms:
        path, kind = create(sms, name)
        start, end = _window()
        found = sms.list_subscription_operations(start, end, f"/{sms.subscription_id}{path}")
    names = [op.operation_name for op in found.subscription_operations]
    assert kind in names, names
    assert all(op.operation_object_id.endswith(path) for op in found.subscription_operations)

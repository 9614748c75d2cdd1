"""The old SDK (a real ASM client) as the emulator's tests drive it: a client over mTLS, and its wait.

Shared by the old-SDK tutorial, surface and release tests; their ``emulator`` (one per test module)
and ``sms`` fixtures are in this folder's conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from azure.servicemanagement import OSDiskConfiguration, ServiceManagementService, VMImage

from airflow_sm_provider.emulator.sessions import legacy_session

#: The old-SDK modules' emulator clock: 1000x, so a 30 s ASM operation ends in 30 ms.
LEGACY_SPEED = 1000.0


@contextmanager
def legacy_client(endpoint: dict[str, Any]) -> Iterator[ServiceManagementService]:
    """An old-SDK client for the emulator at ``endpoint`` (its session carries the mTLS pair)."""
    session = legacy_session(endpoint)
    try:
        yield ServiceManagementService(
            endpoint["subscription_id"], host=endpoint["host"], request_session=session
        )
    finally:
        session.close()


def generalized_linux_image(
    name: str, label: str, description: str, media_link: str, host_caching: str | None = None
) -> VMImage:
    """A VM image as the old SDK's ``create_vm_image`` takes it: a generalized Linux OS disk at
    ``media_link``."""
    image = VMImage(name, label, description)
    image.os_disk_configuration = OSDiskConfiguration()
    image.os_disk_configuration.os_state = "Generalized"
    image.os_disk_configuration.os = "Linux"
    image.os_disk_configuration.host_caching = host_caching
    image.os_disk_configuration.media_link = media_link
    return image


def legacy_wait(sms: ServiceManagementService, result: Any, status: str = "Succeeded") -> Any:
    """The old SDK's own wait on ``result``'s request id, quietly and fast; asserts ``status``."""
    assert result is not None and len(result.request_id) == 32
    op = sms.wait_for_operation_status(
        result.request_id,
        timeout=60,
        sleep_interval=0.02,
        progress_callback=None,
        success_callback=None,
        failure_callback=None,
    )
    assert op.status == status, vars(op)
    return op

"""Microsoft's Node.js ASM SDK, unchanged, against the emulator over real mutual TLS.

Why: the emulator stands in for a retired service, so "it answers like ASM" is only as good as the
clients that were written against the real one. The old Python SDK is one; Microsoft's Node.js SDK
(``azure-asm-compute`` 0.18.0, ``azure-asm-storage``, ``azure-asm-mgmt``, used by the old
cross-platform CLI) is an independent one: it sends ``x-ms-version: 2017-01-01``, its own XML
serializer and parser, and its own long-running-operation loop over Get Operation Status. The
scripts here drive it (``release.js``: a blue-green release; ``vm.js``: a Linux VM with the SDK's
own role serialisation); the packages are pinned in ``package-lock.json`` and installed by
``make test`` (``npm ci``) into ``node_modules``.

Only the emulator's CA is added to Node's trust (``NODE_EXTRA_CA_CERTS``), as a user would.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from foreign_clients import quiet_stats, run_program

HERE = Path(__file__).parent
INSTALLED = HERE / "node_modules" / "azure-asm-compute" / "package.json"


def _node_sdk_ready() -> str | None:
    """Why the SDK cannot run here, or None. In CI a missing SDK is a failure, not a skip."""
    if shutil.which("node") is None:
        return "Node.js is not installed (install nodejs and npm, then `make test` runs `npm ci`)"
    if not INSTALLED.exists():
        return f"the Node.js ASM SDK is not installed: run `npm ci --prefix {HERE}` (make test does)"
    return None


@pytest.fixture(scope="module")
def node_sdk() -> None:
    reason = _node_sdk_ready()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def _run(script: str, emulator: Any) -> dict[str, Any]:
    """Run ``script`` on ``emulator``'s endpoint.json, trusting only its CA as extra; its JSON line."""
    return run_program(
        ["node", str(HERE / script)], emulator, {"NODE_EXTRA_CA_CERTS": emulator.endpoint["ca_cert"]}
    )


def _stats(emulator: Any) -> dict[str, Any]:
    return quiet_stats(emulator)  # every 2017-01-01 request was accepted


def test_blue_green_release_with_microsofts_node_sdk(node_sdk: None, asm_emulator_factory: Any) -> None:
    emulator = asm_emulator_factory()

    out = _run("release.js", emulator)

    assert "West US" in out["locations"] and out["affinity_groups"] == 0
    assert out["name_available"] is True
    assert out["storage_status"] == "Created" and out["has_primary_key"] is True
    assert out["services"] == ["nodesvc"]
    # The SDK parses the emulator's error XML into its own typed fields.
    assert out["occupied_slot"] == {"statusCode": 409, "code": "ConflictError"}
    assert out["production_before"] == "nodesvc-v1"
    assert out["production_status"] == "Running"
    assert out["production_label"] == "v1"  # base64 on the wire, decoded by the SDK
    assert out["role_instances"] == ["ReadyRole", "ReadyRole"]  # the .cscfg's instance count
    assert out["configuration_version"] == "v1"
    assert out["swap_status"] == "Succeeded"
    assert (out["production_after"], out["staging_after"]) == ("nodesvc-v2", "nodesvc-v1")
    assert out["deleted_slot"] == {"statusCode": 404, "code": "ResourceNotFound"}
    assert out["services_after"] == []

    by_operation = _stats(emulator)["by_operation"]
    assert by_operation["swap_deployment"] == 1
    assert by_operation["create_deployment"] == 3  # v1, v2 and the refused v3
    assert by_operation["get_operation_status"] >= 6  # the SDK's own wait, once per async call at least


def test_linux_vm_with_microsofts_node_sdk(node_sdk: None, asm_emulator_factory: Any) -> None:
    emulator = asm_emulator_factory()

    out = _run("vm.js", emulator)

    assert out["image_os"] == "Linux"
    # The emulator read the SDK's own XML for the role: size, OS disk, data disk, endpoint.
    assert out["vm"] == {
        "roleName": "vm1",
        "roleSize": "Small",
        "os": "Linux",
        "dataDisks": [10],
        "endpoints": ["ssh:22"],
    }
    assert out["after_shutdown"] == ["StoppedDeallocated"]
    assert out["after_start"] == ["Started"]
    assert out["disks_before_delete"] == 2  # the OS and the data disk were registered
    assert out["disks_after_delete"] == 0  # delete_vhd=true took both
    by_operation = _stats(emulator)["by_operation"]
    assert by_operation["create_virtual_machine_deployment"] == 1

"""Microsoft's Go ASM SDK, unchanged, against the emulator over real mutual TLS.

Why: a third independent client written against the real service. ``services/classic/management``
of ``azure-sdk-for-go`` (Debian's ``golang-github-azure-azure-sdk-for-go-dev`` 68.0.0, the last
release that still shipped it) is what Packer's and Terraform's classic Azure plugins were built
on. It has its own XML (Go's ``encoding/xml`` structs: elements it does not know are ignored,
elements it expects and misses are zero values), its own wait (``WaitForOperation`` over Get
Operation Status, ``vmutils.WaitFor...`` over Get Deployment), sends ``x-ms-version: 2014-10-01``,
and retries any 4xx answer with an ASM error body five times, as it did against the real service.

``asmgo/`` is the program that drives it; it is built here with ``go build`` in GOPATH mode from
Debian's source (no network). Only the emulator's CA is trusted, through ``SSL_CERT_FILE``, as a
user would point Go at a private CA.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from foreign_clients import quiet_stats, run_program

HERE = Path(__file__).parent
GOPATH = Path("/usr/share/gocode")  # where Debian's golang-*-dev packages put their source
SDK = GOPATH / "src/github.com/Azure/azure-sdk-for-go"
SDK_VERSION = "v68.0.0"
PACKAGES = "golang-go golang-github-azure-azure-sdk-for-go-dev=68.0.0-2"


def _go_sdk_missing() -> str | None:
    """Why the Go SDK cannot be built here, or None."""
    if shutil.which("go") is None:
        return f"Go is not installed (apt-get install {PACKAGES}; .ci/run does)"
    version = SDK / "version" / "version.go"
    if not version.exists():
        return f"the Go ASM SDK source is not installed (apt-get install {PACKAGES})"
    if f'"{SDK_VERSION}"' not in version.read_text():
        return f"azure-sdk-for-go is not {SDK_VERSION}: {version}"
    return None


@pytest.fixture(scope="module")
def asmgo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built driver program; skipped locally without Go, a failure in CI."""
    reason = _go_sdk_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("asmgo")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(out),
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(out / "cache"),
        "GOFLAGS": "",
    }
    binary = out / "asmgo"
    built = subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=HERE / "asmgo",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return binary


def _run(binary: Path, scenario: str, emulator: Any) -> dict[str, Any]:
    return run_program([str(binary)], emulator, {"SSL_CERT_FILE": emulator.endpoint["ca_cert"]}, (scenario,))


def _stats(emulator: Any) -> dict[str, Any]:
    stats = quiet_stats(emulator)  # every request, at 2014-10-01, was understood
    assert set(stats["by_version"]) == {"2014-10-01"}  # what the SDK really sends
    return stats


def test_blue_green_release_with_microsofts_go_sdk(asmgo: Path, asm_emulator_factory: Any) -> None:
    emulator = asm_emulator_factory()

    out = _run(asmgo, "release", emulator)

    assert "West US" in out["locations"]
    # The SDK reads ComputeCapabilities>VirtualMachinesRoleSizes>RoleSize: the real service's spelling.
    assert out["west_us_vm_sizes"] > 0 and out["role_sizes"] > 0
    assert out["affinity_group"] == {"name": "goag", "label": "goag", "location": "West US"}  # label b64
    assert out["storage_name_available"] is True and out["service_name_available"] is True
    assert out["storage_status"] == "Created" and out["storage_endpoints"] == 4
    assert out["has_primary_key"] is True
    assert out["services"] == ["gosvc"]
    assert out["occupied_slot"] == {
        "code": "ConflictError",
        "message": "The specified deployment slot Staging is occupied.",
    }
    assert out["production_before"] == "gosvc-v1"
    assert out["production_status"] == "Running"
    assert out["production_label"] == "v1"
    assert out["configuration_version"] == "v1"  # the configuration comes back base64, as sent
    assert out["role_instances"] == ["ReadyRole", "ReadyRole"]
    assert out["after_swap"] == ["gosvc-v2", "gosvc-v1"]  # the SDK read both slots, then swapped
    assert out["configuration_after_change"] == "v4"
    assert out["staging_suspended"] == "Suspended"
    assert out["deleted_slot_not_found"] is True  # management.IsResourceNotFoundError
    assert out["deleted_slot"]["code"] == "ResourceNotFound"
    assert out["empty_slot_name"] == '"" err=<nil>'  # its helper reads the 404 as "no deployment"
    assert out["group_after_delete"]["code"] == "ResourceNotFound"
    assert out["services_after"] == 0

    by_operation = _stats(emulator)["by_operation"]
    assert by_operation["swap_deployment"] == 1
    # v1, v2, then v3 refused: the SDK sends a 409 again five times, as it did to the real service.
    assert by_operation["create_deployment"] == 2 + 6
    assert by_operation["get_operation_status"] >= 10  # its own wait, once per asynchronous call


def test_linux_vm_and_vm_image_capture_with_microsofts_go_sdk(asmgo: Path, asm_emulator_factory: Any) -> None:
    emulator = asm_emulator_factory()

    out = _run(asmgo, "vm", emulator)

    assert out["found_linux_image"] is True and out["os_images"] > 0
    # The emulator read vmutils' role XML: size, OS disk from a platform image, data disk, endpoint.
    assert out["role"] == {
        "name": "vm1",
        "size": "Small",
        "os": "Linux",
        "data_disks": [10],
        "endpoints": ["SSH"],
    }
    assert out["after_shutdown"] == ["Stopped"]  # PowerState; deallocated is the instance status
    # Capture VM Image with the SDK's EMPTY OperationType: read from the root element, not a start.
    assert out["user_vm_images"] == ["govm-image:Specialized"]
    assert out["after_start"] == ["Started"]
    assert out["disks_attached"] == 2  # the OS and the data disk were registered to vm1
    assert out["disks_at_end"] == 0

    by_operation = _stats(emulator)["by_operation"]
    assert by_operation["capture_vm_image"] == 1
    assert by_operation["start_role"] == 1  # only the StartRole the scenario sent
    assert by_operation["create_virtual_machine_deployment"] == 1


def test_roles_disks_certificates_and_images_with_microsofts_go_sdk(
    asmgo: Path, asm_emulator_factory: Any
) -> None:
    emulator = asm_emulator_factory()

    out = _run(asmgo, "roles", emulator)

    assert out["service_location"] == "West US"
    assert out["data_disk"] == {"lun": 1, "size": 20, "label": "data1"}
    assert out["data_disk_caching"] == "ReadWrite"  # Update Data Disk took the SDK's body
    assert out["data_disk_after_delete"]["code"] == "ResourceNotFound"
    assert out["roles"] == 2 and out["updated_size"] == "Medium" and out["roles_after_delete"] == 1
    # Add OS Image with every OSImage field the SDK marshals, the empty ones included.
    assert out["user_os_images"] == ["go-golden", "go-captured"]
    assert out["role_after_capture"]["code"] == "ResourceNotFound"  # PostCaptureAction Delete

    by_operation = _stats(emulator)["by_operation"]
    assert by_operation["add_service_certificate"] == 1
    assert by_operation["capture_role"] == 1
    assert by_operation["update_role"] == 1 and by_operation["update_data_disk"] == 1

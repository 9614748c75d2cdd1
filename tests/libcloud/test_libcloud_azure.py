"""Apache libcloud's classic Azure driver, unchanged, against the emulator over real mutual TLS.

Why: the emulator stands in for a retired service, so "it answers like ASM" is only as good as the
clients that were written against the real one. libcloud 3.9.1's ``AzureNodeDriver``
(``libcloud/compute/drivers/azure.py``) is one written by other people: its own XML serializer
(no ``xmlns:i``, empty ``<LoadBalancedEndpointSetName />`` elements, no RoleName in Update Role),
its own minidom parser, ``requests`` with the management certificate as ``key_file``, and paths
of its own (``?embed-detail=True``, ``/deploymentslots/Production``, ``?comp=media`` deletes).

Only configuration is given to libcloud: ``host``/``port``, the emulator's CA through
``libcloud.security.CA_CERTS_PATH`` and the PEM of endpoint.json as ``key_file``. Nothing of
libcloud is patched. Two emulator gaps it found are fixed (their own tests are in tests/emulator):
a node from a VM image (``VMImageName``, no OS disk) made Get Hosted Service answer 500, and a
storage account still holding the VMs' VHDs could be deleted. What libcloud gets wrong itself:

* x-ms-version: the module says ``X_MS_VERSION = "2013-08-01"`` but that constant is dead code;
  ``AzureServiceManagementConnection`` sends ``2014-05-01`` on every request (stats ``by_version``).
* libcloud's wait for an asynchronous operation never waits: its parser overwrites the parsed
  ``Operation.status`` with the HTTP status (200), so ``status == "InProgress"`` is never true
  and a Failed operation is never noticed. Against the real service the next write on the same
  deployment gets 409 ConflictError (exclusive access), so these tests wait for the emulator's
  operations themselves (the admin API) between libcloud calls, as a libcloud user must.
* ``list_volumes(node)`` returns ``None`` for every disk of another node (``_to_volume``).
* libcloud's error parser reads ``Code``/``Message`` without the namespace the real service puts
  on ``<Error>`` [REC], so any status outside its "valid" list (400/404/409/307/206) crashes with
  ``AttributeError`` instead of a ``LibcloudError``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_sm_provider.emulator.pytest_plugin import admin_session, legacy_session

LIBCLOUD_VERSION_SENT = "2014-05-01"  # what AzureServiceManagementConnection really sends
OTHER_CLIENT_VERSION = "2014-10-01"  # the set-up libcloud cannot do, sent as the old SDK would
LINUX_IMAGE = "b39f27a8b8c64d52b05eac6a62ebad85__Ubuntu-14_04_2-LTS-amd64-server-20150506-en-us-30GB"
NS = "http://schemas.microsoft.com/windowsazure"
PASSWORD = "Libcl0ud-Passw0rd"  # a throwaway VM password, for the emulator only


def _libcloud_missing() -> str | None:
    try:
        import libcloud.compute.drivers.azure  # noqa: F401
    except ImportError as exc:
        return f"apache-libcloud is not importable ({exc}): install the test extra (`make venv`)"
    return None


@pytest.fixture
def emulator(asm_emulator_factory: Callable[..., Any]) -> Any:
    reason = _libcloud_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return asm_emulator_factory()


@pytest.fixture
def driver(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``AzureNodeDriver`` configured for the emulator the way its docs configure it for Azure."""
    import libcloud.security
    from libcloud.compute.drivers.azure import AzureNodeDriver

    ep = emulator.endpoint
    monkeypatch.setattr(libcloud.security, "CA_CERTS_PATH", ep["ca_cert"])  # documented setting
    host, _, port = ep["host"].rpartition(":")
    yield AzureNodeDriver(
        subscription_id=ep["subscription_id"], key_file=ep["client_pem"], host=host, port=int(port)
    )


def _state(emulator: Any) -> dict[str, Any]:
    ep = emulator.endpoint
    with admin_session(ep) as session:
        state: dict[str, Any] = session.get(ep["admin_url"] + "state", timeout=10).json()
    return state


def _settle(emulator: Any) -> None:
    """Wait until no operation is in progress: what libcloud's own wait should have done."""
    deadline = time.monotonic() + 30
    while any(op["status"] == "InProgress" for op in _state(emulator)["operations"]):
        assert time.monotonic() < deadline, "operations still in progress after 30 s"
        time.sleep(0.05)


def _until_running(driver: Any, service: str, count: int) -> list[Any]:
    """libcloud's own view: poll ``list_nodes`` until ``count`` nodes are RUNNING (VMs boot ~2 min)."""
    from libcloud.compute.types import NodeState

    deadline = time.monotonic() + 30
    while True:
        nodes = driver.list_nodes(ex_cloud_service_name=service)
        if len(nodes) == count and all(n.state == NodeState.RUNNING for n in nodes):
            return sorted(nodes, key=lambda n: n.id)
        assert time.monotonic() < deadline, [(n.id, n.state) for n in nodes]
        time.sleep(0.05)


def _stats(emulator: Any, refused: int = 0) -> dict[str, Any]:
    """The emulator's counters; every request of libcloud's had its version, and none was refused
    but the ``refused`` deliberate ones (400s the test provoked)."""
    ep = emulator.endpoint
    with admin_session(ep) as session:
        stats: dict[str, Any] = session.get(ep["admin_url"] + "stats", timeout=10).json()
    libcloud_sent = [version for version in stats["by_version"] if version != OTHER_CLIENT_VERSION]
    assert libcloud_sent == [LIBCLOUD_VERSION_SENT]  # on every request: not 2013-08-01, never none
    assert stats["by_status"].get("400", 0) == refused
    assert not [code for code in stats["by_status"] if code.startswith("5")]
    return stats


def _made_by_another_client(emulator: Any, path: str, body: str) -> None:
    """Create what libcloud cannot (a VM image, an affinity group...) with plain requests."""
    ep = emulator.endpoint
    with legacy_session(ep) as session:
        made = session.post(
            f"https://{ep['host']}/{ep['subscription_id']}/{path}",
            data=body,
            headers={"x-ms-version": OTHER_CLIENT_VERSION, "Content-Type": "application/xml"},
            timeout=10,
        )
    assert made.status_code in (201, 202), made.text
    _settle(emulator)


def _endpoints(node: Any) -> list[tuple[str, str, str, str]]:
    return sorted((e.name, e.protocol, e.public_port, e.local_port) for e in node.extra["instance_endpoints"])


def test_catalogue_locations_sizes_and_images(driver: Any, emulator: Any) -> None:
    locations = {loc.id: loc for loc in driver.list_locations()}
    assert {"West US", "North Europe", "Japan East"} <= set(locations)
    west = locations["West US"]
    assert (west.name, west.country) == ("West US", "US")
    assert "PersistentVMRole" in west.available_services
    assert {"Small", "Standard_D1"} <= set(west.virtual_machine_role_sizes)

    sizes = {size.id: size for size in driver.list_sizes()}  # hard-coded in libcloud, no request
    assert sizes["Small"].ram == 1792 and sizes["Standard_D14"].extra["cores"] == 16

    # A user VM image, made with another client, shows up beside the public OS images.
    vm_image = (
        f'<VMImage xmlns="{NS}"><Name>lc-vmimage</Name>'
        "<Label>libcloud VM image</Label><OSDiskConfiguration><HostCaching>ReadWrite</HostCaching>"
        "<OSState>Generalized</OSState><OS>Linux</OS>"
        "<MediaLink>https://lcimages.blob.core.windows.net/vhds/lc-vmimage.vhd</MediaLink>"
        "</OSDiskConfiguration></VMImage>"
    )
    _made_by_another_client(emulator, "services/vmimages", vm_image)

    images = {image.id: image for image in driver.list_images()}
    ubuntu = images[LINUX_IMAGE]
    assert ubuntu.name == "Ubuntu Server 14.04.2-LTS"  # OS image Label is plain text [REC]
    assert (ubuntu.extra["os"], ubuntu.extra["category"], ubuntu.extra["vm_image"]) == (
        "Linux",
        "Public",
        False,
    )
    assert "West US" in ubuntu.extra["location"]
    assert any(i.extra["os"] == "Windows" for i in images.values())
    mine = images["lc-vmimage"]
    assert (mine.name, mine.extra["vm_image"], mine.extra["os"]) == ("libcloud VM image", True, "Linux")
    assert mine.extra["media_link"] == "https://lcimages.blob.core.windows.net/vhds/lc-vmimage.vhd"
    assert "lc-vmimage" in {i.id for i in driver.list_images(location="West US")}

    by_operation = _stats(emulator)["by_operation"]
    assert (by_operation["list_locations"], by_operation["list_os_images"]) == (1, 2)
    assert by_operation["list_vm_images"] == 2
    assert "list_role_sizes" not in by_operation


def test_linux_vms_life_cycle(driver: Any, emulator: Any) -> None:
    from libcloud.compute.base import NodeAuthPassword
    from libcloud.compute.types import NodeState

    assert driver.ex_create_cloud_service("lcsvc", "West US", description="made by libcloud") is True
    services = driver.ex_list_cloud_services()
    assert [s.service_name for s in services] == ["lcsvc"]
    props = services[0].hosted_service_properties
    assert (props.location, props.label, props.status) == ("West US", "lcsvc", "Created")  # label b64
    assert props.description == "made by libcloud"
    assert driver.ex_create_storage_service("lcstore", "West US") is True
    _settle(emulator)

    size = next(s for s in driver.list_sizes() if s.id == "Small")
    image = next(i for i in driver.list_images() if i.id == LINUX_IMAGE)
    assert driver.list_nodes(ex_cloud_service_name="lcsvc") == []
    node_args = {
        "size": size,
        "image": image,
        "ex_cloud_service_name": "lcsvc",
        "ex_storage_service_name": "lcstore",
    }
    made = driver.create_node(name="vm1", auth=NodeAuthPassword(PASSWORD), **node_args)
    assert (made.id, made.state, made.extra["ex_cloud_service_name"]) == ("vm1", NodeState.PENDING, "lcsvc")
    _settle(emulator)
    # The second node goes through Add Role, with a random public SSH port (libcloud's choice).
    driver.create_node(name="vm2", auth=NodeAuthPassword(PASSWORD), **node_args)
    _settle(emulator)

    vm1, vm2 = _until_running(driver, "lcsvc", 2)
    assert (vm1.id, vm2.id) == ("vm1", "vm2")
    assert vm1.extra["power_state"] == "Started" and vm1.extra["instance_size"] == "Small"
    assert _endpoints(vm1) == [("SSH", "tcp", "22", "22")] and vm1.extra["ssh_port"] == "22"
    assert 41952 <= int(vm2.extra["ssh_port"]) <= 65535
    vip = vm1.extra["instance_endpoints"][0].vip
    assert vm1.public_ips == [vip] == vm2.public_ips  # one cloud service, one VIP
    assert vm1.private_ips != vm2.private_ips and vm1.private_ips[0].startswith("10.")

    assert driver.reboot_node(vm1) is True
    _settle(emulator)

    driver.ex_add_instance_endpoints(
        vm1, [{"name": "http", "protocol": "tcp", "port": "80", "local_port": "8080"}]
    )
    _settle(emulator)
    vm1 = _until_running(driver, "lcsvc", 2)[0]
    assert _endpoints(vm1) == [("SSH", "tcp", "22", "22"), ("http", "tcp", "80", "8080")]
    driver.ex_set_instance_endpoints(
        vm1, [{"name": "web", "protocol": "tcp", "port": "443", "local_port": "443"}]
    )
    _settle(emulator)
    vm1 = _until_running(driver, "lcsvc", 2)[0]
    assert _endpoints(vm1) == [("web", "tcp", "443", "443")]  # replaced, not added

    volumes = {v.extra["role_name"]: v for v in driver.list_volumes()}
    assert set(volumes) == {"vm1", "vm2"}
    disk = volumes["vm1"]
    assert disk.size == 30 and disk.extra["os"] == "Linux" and disk.extra["source_image_name"] == LINUX_IMAGE
    assert (disk.extra["hosted_service_name"], disk.extra["deployment_name"]) == ("lcsvc", "lcsvc")
    assert disk.extra["media_link"].startswith("http://lcstore.blob.core.windows.net/vhds/lcsvc-vm1-")
    # libcloud bug: a node-scoped listing keeps None for every other node's disk.
    assert [v.id if v else None for v in driver.list_volumes(node=vm1)] in ([disk.id, None], [None, disk.id])

    from libcloud.common.types import LibcloudError

    with pytest.raises(
        LibcloudError, match="BadRequest</Code><Message>Storage account lcstore has 1 container"
    ):
        driver.ex_destroy_storage_service("lcstore")  # the VMs' disks are still in it
    assert driver.destroy_node(vm2) is True  # two roles: Delete Role ?comp=media
    _settle(emulator)
    assert [n.id for n in driver.list_nodes(ex_cloud_service_name="lcsvc")] == ["vm1"]
    assert [v.extra["role_name"] for v in driver.list_volumes()] == ["vm1"]  # its disk went too
    assert driver.destroy_node(vm1) is True  # the last role: Delete Deployment ?comp=media
    _settle(emulator)
    assert driver.list_nodes(ex_cloud_service_name="lcsvc") == []
    assert driver.list_volumes() == []

    assert driver.ex_destroy_storage_service("lcstore") is True
    assert driver.ex_destroy_cloud_service("lcsvc") is True
    assert len(driver.ex_list_cloud_services()) == 0

    by_operation = _stats(emulator, refused=1)["by_operation"]  # the storage delete above
    assert by_operation["create_virtual_machine_deployment"] == 1 and by_operation["add_role"] == 1
    assert by_operation["reboot_role_instance"] == 1 and by_operation["update_role"] == 2
    assert by_operation["delete_role"] == 1 and by_operation["delete_deployment"] == 1
    for kind in ("create_hosted_service", "delete_hosted_service", "create_storage_account"):
        assert by_operation[kind] == 1, kind
    assert by_operation["delete_storage_account"] == 2  # refused while in use, then done
    assert by_operation["get_operation_status"] == 2  # one poll per create_node, then it stops


def test_node_from_a_vm_image_and_the_default_storage_account(driver: Any, emulator: Any) -> None:
    """Without ``ex_storage_service_name`` libcloud checks the name derived from the service's and
    creates that account; from a VM image it sends ``VMImageName`` and no OS disk."""
    from libcloud.compute.base import NodeAuthPassword

    vm_image = (
        f'<VMImage xmlns="{NS}"><Name>lc-vmimage</Name><Label>lc</Label><OSDiskConfiguration>'
        "<OSState>Generalized</OSState><OS>Linux</OS>"
        "<MediaLink>https://lcimages.blob.core.windows.net/vhds/lc.vhd</MediaLink></OSDiskConfiguration></VMImage>"
    )
    _made_by_another_client(emulator, "services/vmimages", vm_image)
    image = next(i for i in driver.list_images() if i.extra["vm_image"])
    size = next(s for s in driver.list_sizes() if s.id == "Small")
    assert driver.ex_create_cloud_service("lc-vmi", "West US") is True

    driver.create_node(
        name="vmi1", size=size, image=image, ex_cloud_service_name="lc-vmi", auth=NodeAuthPassword(PASSWORD)
    )
    _settle(emulator)

    (node,) = _until_running(driver, "lc-vmi", 1)
    assert node.id == "vmi1" and node.extra["ssh_port"] == "22"
    accounts = [s["name"] for s in _state(emulator)["resources"]["storage"]]
    assert accounts == ["lcvmi"]  # "lc-vmi" without what a storage name cannot hold
    (disk,) = driver.list_volumes()
    assert disk.extra["role_name"] == "vmi1" and disk.extra["os"] == "Linux"
    assert disk.extra["media_link"].startswith("https://lcimages.blob.core.windows.net/vhds/lc-vmi-vmi1-")
    by_operation = _stats(emulator)["by_operation"]
    assert by_operation["check_storage_account_name_availability"] == 1
    assert by_operation["create_storage_account"] == 1


def test_windows_node_in_an_affinity_group_service(driver: Any, emulator: Any) -> None:
    """libcloud's other branches: a Windows image (WindowsProvisioningConfiguration, Remote Desktop
    on 3389) and a cloud service placed in an affinity group (made with another client, libcloud
    cannot), whose default storage account libcloud then creates in that group."""
    from libcloud.compute.base import NodeAuthPassword

    group = (
        f'<CreateAffinityGroup xmlns="{NS}"><Name>lcgroup</Name><Label>bGNncm91cA==</Label>'
        "<Location>West US</Location></CreateAffinityGroup>"
    )
    _made_by_another_client(emulator, "affinitygroups", group)
    service = (
        f'<CreateHostedService xmlns="{NS}"><ServiceName>lcwin</ServiceName><Label>bGN3aW4=</Label>'
        "<AffinityGroup>lcgroup</AffinityGroup></CreateHostedService>"
    )
    _made_by_another_client(emulator, "services/hostedservices", service)
    windows = next(i for i in driver.list_images() if i.extra["os"] == "Windows")
    size = next(s for s in driver.list_sizes() if s.id == "Medium")
    props = driver.ex_list_cloud_services()[0].hosted_service_properties
    assert (props.affinity_group, props.location) == ("lcgroup", "")

    driver.create_node(
        name="win1", size=size, image=windows, ex_cloud_service_name="lcwin", auth=NodeAuthPassword(PASSWORD)
    )
    _settle(emulator)

    (node,) = _until_running(driver, "lcwin", 1)
    assert node.extra["remote_desktop_port"] == "3389" and node.extra["ssh_port"] == ""
    assert _endpoints(node) == [("Remote Desktop", "tcp", "3389", "3389")]
    assert node.extra["instance_size"] == "Medium"
    (disk,) = driver.list_volumes()
    assert disk.extra["os"] == "Windows" and disk.size > 0
    accounts = [(a["name"], a.get("affinity_group")) for a in _state(emulator)["resources"]["storage"]]
    assert accounts == [("lcwin", "lcgroup")]
    _stats(emulator)


def test_what_libcloud_itself_gets_wrong(driver: Any, emulator: Any) -> None:
    """libcloud bugs that the real service would have shown too; the emulator answers like ASM."""
    from libcloud.common.types import LibcloudError
    from libcloud.compute.base import NodeAuthPassword

    size = next(s for s in driver.list_sizes() if s.id == "Small")
    image = next(i for i in driver.list_images() if i.id == LINUX_IMAGE)
    driver.ex_create_cloud_service("lcbugs", "West US")
    driver.ex_create_storage_service("lcbugs", "West US")
    _settle(emulator)
    auth = NodeAuthPassword(PASSWORD)

    # 1. Its wait returns at once, so a second node right after the first meets the deployment lock.
    driver.create_node(name="a", size=size, image=image, ex_cloud_service_name="lcbugs", auth=auth)
    with pytest.raises(LibcloudError, match=r"ConflictError.*exclusive access"):
        driver.create_node(name="b", size=size, image=image, ex_cloud_service_name="lcbugs", auth=auth)
    _settle(emulator)

    # 2. A Failed operation is not noticed: create_node returns a node that never comes.
    emulator.add_faults({"action": "fail_operation", "operation": "add_role", "count": 1})
    node = driver.create_node(name="c", size=size, image=image, ex_cloud_service_name="lcbugs", auth=auth)
    assert node.id == "c"
    _settle(emulator)
    assert [op["status"] for op in _state(emulator)["operations"] if op["kind"] == "add_role"] == ["Failed"]
    assert [n.id for n in driver.list_nodes(ex_cloud_service_name="lcbugs")] == ["a"]

    # 3. An error outside its list of "valid" statuses crashes its parser (namespaced <Error>).
    emulator.add_faults({"action": "503", "operation": "list_locations", "count": 1})
    with pytest.raises(AttributeError, match="split"):
        driver.list_locations()
    assert [loc.id for loc in driver.list_locations()][:1] == ["East US"]  # the next one works

"""Code from the wild, ported by its import line (continued from ``test_ported_idioms.py``).

Sources: ansible/ansible-modules-core ``cloud/azure/azure.py`` (the Ansible 1.9/2.x ``azure``
module), kaiyuanshe/open-hackathon ``open-hackathon-server/src/hackathon/azureformation/
service.py`` and ``templateUnit.py`` (a ``ServiceManagementService`` subclass) and
Azure/azure-sdk-for-python ``tests/test_servicemanagementservice.py`` (the SDK's own tests), each
run with the old SDK's names and with ours on one emulator (``ported.both``).
"""

from __future__ import annotations

import json
import time
import types
from typing import Any
from urllib.parse import urlparse

import ported as p
import pytest
from ported import Port

from airflow_sm_provider.emulator.sessions import legacy_session


# --- ansible/ansible-modules-core cloud/azure/azure.py --------------------------------------------
def test_ansible_azure_module_create_and_terminate(ports: list[Port]) -> None:
    """create_virtual_machine() then terminate_virtual_machine(), as the module ran them (the old
    ``WindowsAzureMissingResourceError`` name imported as ``AzureMissingResourceHttpError``)."""
    pfx, fingerprint = p.ssh_certificate_pfx()

    def idiom(port: Port) -> Any:
        azure, sdk = port.sms, port.sdk
        missing = sdk.AzureMissingResourceHttpError  # "from azure import WindowsAzureMissingResourceError"
        name = p.unique("ans")
        available = azure.check_hosted_service_name_availability(name)
        if available.result:
            promise = azure.create_hosted_service(service_name=name, label=name, location="West US")
            if promise is not None:  # the old SDK returned a result with a request id
                p.wait_for_async(port, promise.request_id)
        try:
            azure.get_role(name, name, name)
            existed = True
        except missing:
            existed = False
        linux_config = sdk.LinuxConfigurationSet(name, "ansible", "Sup3r-secret", not "Sup3r-secret")
        p.wait_for_async(port, azure.add_service_certificate(name, pfx, "pfx", "").request_id)
        ssh_config = sdk.SSH()
        ssh_config.public_keys.public_keys.append(
            sdk.PublicKey(path="/home/ansible/.ssh/authorized_keys", fingerprint=fingerprint)
        )
        linux_config.ssh = ssh_config
        network_config = sdk.ConfigurationSet()
        network_config.configuration_set_type = "NetworkConfiguration"
        endpoints = "22,80"  # the module's ``endpoints`` parameter
        for number in endpoints.split(","):
            network_config.input_endpoints.input_endpoints.append(
                sdk.ConfigurationSetInputEndpoint(
                    name=f"TCP-{number}", protocol="TCP", port=number, local_port=number
                )
            )
        media_link = f"http://mystorage.blob.core.windows.net/vhds/{name}-{name}.vhd"
        result = azure.create_virtual_machine_deployment(
            service_name=name, deployment_name=name, deployment_slot="production", label=name, role_name=name,
            system_config=linux_config, network_config=network_config,
            os_virtual_hard_disk=sdk.OSVirtualHardDisk(p.LINUX_IMAGE, media_link), role_size="Small",
            role_type="PersistentVMRole", virtual_network_name=None,
        )  # fmt: skip
        p.wait_for_async(port, result.request_id)
        deployment = azure.get_deployment_by_name(service_name=name, deployment_name=name)
        hostname = urlparse(deployment.url).hostname
        dumped = json.loads(json.dumps(deployment, default=lambda o: o.__dict__))  # exit_json(deployment=...)
        thumbprints = [c.thumbprint for c in azure.list_service_certificates(name)]
        # terminate_virtual_machine()
        disk_names = []
        for role in deployment.role_list:
            disk_names.append(
                azure.get_role(name, deployment.name, role.role_name).os_virtual_hard_disk.disk_name
            )
        p.wait_for_async(port, azure.delete_deployment(name, deployment.name).request_id)
        attached = []
        while disk_names:
            for disk_name in list(disk_names):
                disk = azure.get_disk(disk_name)
                attached.append(disk.attached_to)
                if disk.attached_to is None:
                    azure.delete_disk(disk.name, True)
                    disk_names.remove(disk_name)
        p.wait_for_async(port, azure.delete_service_certificate(name, "sha1", fingerprint).request_id)
        azure.delete_hosted_service(service_name=name)
        return (
            available.result,
            existed,
            thumbprints,
            hostname,
            attached,
            {k: dumped[k] for k in ("deployment_slot", "status", "locked", "rollback_allowed")},
            _instance_endpoints(dumped),
        )

    available, existed, thumbprints, hostname, attached, dumped, endpoints = p.both(ports, idiom)
    assert (available, existed, thumbprints, attached) == (True, False, [fingerprint], [None])
    assert hostname == "127.0.0.1"  # the emulator's deployment URL; the public one is <svc>.cloudapp.net
    assert dumped == {
        "deployment_slot": "Production",
        "status": "Running",
        "locked": False,
        "rollback_allowed": False,
    }
    assert endpoints == [["TCP-22", "tcp", "22", "22"], ["TCP-80", "tcp", "80", "80"]]


def _instance_endpoints(dumped: dict[str, Any]) -> list[list[str]]:
    """The instance endpoints in an ``o.__dict__`` JSON dump of a Deployment. The old SDK's lists
    were wrapper objects (``{"role_instances": [...]}``), ours are lists: the same items inside."""
    instances = dumped["role_instance_list"]
    if isinstance(instances, dict):
        instances = instances["role_instances"]
    out = []
    for instance in instances:
        endpoints = instance["instance_endpoints"]
        if isinstance(endpoints, dict):
            endpoints = endpoints["instance_endpoints"]
        out += [[e["name"], e["protocol"], e["public_port"], e["local_port"]] for e in endpoints]
    return sorted(out)


def test_ansible_azure_module_ssh_keys_wrapper(ports: list[Port]) -> None:
    """The module replaced the SSH set's key list with a fresh ``PublicKeys()`` wrapper; the key
    must reach the Create Deployment body."""

    def idiom(port: Port) -> Any:
        sdk, bodies = port.sdk, []
        azure = p.recording(port, bodies)
        name = p.unique("anskey")
        azure.create_hosted_service(service_name=name, label=name, location="West US")
        linux_config = sdk.LinuxConfigurationSet(name, "ansible", "Sup3r-secret", False)
        ssh_config = sdk.SSH()
        ssh_config.public_keys = sdk.PublicKeys()
        ssh_config.public_keys.public_keys.append(
            sdk.PublicKey(path="/home/ansible/.ssh/authorized_keys", fingerprint="AB12")
        )
        linux_config.ssh = ssh_config
        disk = sdk.OSVirtualHardDisk(p.LINUX_IMAGE, f"http://mystorage.blob.core.windows.net/vhds/{name}.vhd")
        result = azure.create_virtual_machine_deployment(
            service_name=name, deployment_name=name, deployment_slot="production", label=name, role_name=name,
            system_config=linux_config, os_virtual_hard_disk=disk, role_size="Small",
        )  # fmt: skip
        p.wait_for_async(port, result.request_id)
        p.wait_for_async(port, azure.delete_deployment(name, name).request_id)
        azure.delete_hosted_service(service_name=name)
        return [b.count("<Fingerprint>AB12</Fingerprint>") for b in bodies if "<PublicKey>" in b]

    assert p.both(ports, idiom) == [1]


def test_ansible_network_config_as_endpoint_list_failed_on_0_20_8_too() -> None:
    """The module built its network set from ``ConfigurationSetInputEndpoints()`` (a list wrapper);
    0.20.8 cannot serialise that (an AttributeError before any request), so such code needs
    ``ConfigurationSet()`` with any client -- docs/migrating.md says so."""
    network_config = p.OLD.ConfigurationSetInputEndpoints()
    network_config.configuration_set_type = "NetworkConfiguration"
    network_config.input_endpoints.append(p.OLD.ConfigurationSetInputEndpoint("TCP-22", "TCP", "22", "22"))
    from azure.servicemanagement._serialization import _XmlSerializer

    with pytest.raises(AttributeError):
        _XmlSerializer.network_configuration_to_xml(network_config)


# --- kaiyuanshe/open-hackathon .../azureformation/service.py, templateUnit.py ----------------------
def hackathon_service_class(port: Port) -> type:
    """Its ``Service(ServiceManagementService)``: own __init__ (attributes set before super()),
    helpers that call ``super().get_role(...)`` and read the results."""
    ep = port.emulator.endpoint
    # The constructor's transport for this emulator: the one line of the port that is not an import.
    extra = {"ca_bundle": ep["ca_cert"]} if port.sdk is p.NEW else {"request_session": legacy_session(ep)}
    cert = ep["client_pem"] if port.sdk is p.NEW else None

    class Service(port.sms.__class__):
        NETWORK_CONFIGURATION = "NetworkConfiguration"

        def __init__(self, azure_key_id: str) -> None:
            self.azure_key_id = azure_key_id
            super().__init__(ep["subscription_id"], cert, ep["host"], **extra)

        def get_virtual_machine(self, cloud_service_name: str, deployment_name: str, role_name: str) -> Any:
            return super().get_role(cloud_service_name, deployment_name, role_name)

        def deployment_exists(self, cloud_service_name: str, deployment_slot: str) -> bool:
            try:
                props = self.get_deployment_by_slot(cloud_service_name, deployment_slot)
            except Exception:
                return False
            return props is not None

        def public_endpoint(self, service: str, deployment: str, vm: str, endpoint_name: str) -> Any:
            for role in self.get_deployment_by_name(service, deployment).role_instance_list:
                if role.role_name == vm and role.instance_endpoints is not None:
                    for instance_endpoint in role.instance_endpoints:
                        if instance_endpoint.name == endpoint_name:
                            return instance_endpoint.public_port
            return None

        def public_and_private_ip(self, service: str, deployment: str, vm: str) -> tuple[Any, Any]:
            for role in self.get_deployment_by_name(service, deployment).role_instance_list:
                if role.role_name == vm:
                    return role.instance_endpoints.instance_endpoints[0].vip, role.ip_address
            return None, None

        def network_config_of(self, service: str, deployment: str, vm: str) -> Any:
            for configuration_set in self.get_virtual_machine(
                service, deployment, vm
            ).configuration_sets.configuration_sets:
                if configuration_set.configuration_set_type == self.NETWORK_CONFIGURATION:
                    return configuration_set
            return None

        def assigned_endpoints(self, service: str) -> list[int]:
            properties = self.get_hosted_service_properties(service, True)
            endpoints = []
            for deployment in properties.deployments.deployments:
                for role in deployment.role_list.roles:
                    for configuration_set in role.configuration_sets.configuration_sets:
                        network = configuration_set.configuration_set_type == self.NETWORK_CONFIGURATION
                        if network and configuration_set.input_endpoints is not None:
                            for input_endpoint in configuration_set.input_endpoints.input_endpoints:
                                endpoints.append(input_endpoint.port)
            return sorted(map(int, endpoints))

        def wait_for_async(self, request_id: str) -> bool:
            result = self.get_operation_status(request_id)
            while result.status == "InProgress":
                time.sleep(0.02)
                result = self.get_operation_status(request_id)
            if result.status != "Succeeded":
                return bool(vars(result)) and not result.error
            return True

        def instance_status(self, service: str, deployment: str, vm: str) -> Any:
            props = self.get_deployment_by_name(service, deployment)
            if props is not None and isinstance(props, port.sdk.Deployment):
                for role_instance in props.role_instance_list:
                    if role_instance.instance_name == vm:
                        return role_instance.instance_status
            return None

    return Service


def test_open_hackathon_service_subclass(ports: list[Port]) -> None:
    def idiom(port: Port) -> Any:
        sdk = port.sdk
        service = hackathon_service_class(port)("key-1")
        name = p.unique("hack")
        service.create_hosted_service(name, name, location="West US")
        network_config = sdk.ConfigurationSet()
        network_config.configuration_set_type = "NetworkConfiguration"
        for endpoint in (("ssh", "tcp", "10022", "22"), ("http", "tcp", "10080", "80")):
            network_config.input_endpoints.input_endpoints.append(
                sdk.ConfigurationSetInputEndpoint(*endpoint)
            )
        system_config = sdk.LinuxConfigurationSet(
            host_name=name,
            user_name="hacker",
            user_password="Sup3r-secret",
            disable_ssh_password_authentication=False,
        )
        disk = sdk.OSVirtualHardDisk(
            p.LINUX_IMAGE, f"https://mystorage.blob.core.windows.net/vhds/{name}.vhd"
        )
        result = service.create_virtual_machine_deployment(
            name, name, "production", name, name, system_config, disk,
            network_config=network_config, role_size="Small", vm_image_name=None,
        )  # fmt: skip
        ok = [service.wait_for_async(result.request_id)]
        while service.instance_status(name, name, name) != "ReadyRole":
            time.sleep(0.02)
        update = sdk.ConfigurationSet()
        update.configuration_set_type = "NetworkConfiguration"
        update.input_endpoints.input_endpoints.append(
            sdk.ConfigurationSetInputEndpoint("ssh", "tcp", "10023", "22")
        )
        ok.append(
            service.wait_for_async(service.update_role(name, name, name, network_config=update).request_id)
        )
        ok.append(
            service.wait_for_async(service.shutdown_role(name, name, name, "StoppedDeallocated").request_id)
        )
        ok.append(service.wait_for_async(service.start_role(name, name, name).request_id))
        vip, private_ip = service.public_and_private_ip(name, name, name)
        subscription = service.get_subscription()
        observed = (
            service.azure_key_id,
            ok,
            service.deployment_exists(name, "production"),
            service.deployment_exists(name, "staging"),
            service.public_endpoint(name, name, name, "ssh"),
            service.assigned_endpoints(name),
            [e.port for e in service.network_config_of(name, name, name).input_endpoints],
            bool(vip) and bool(private_ip),
            isinstance(subscription.max_core_count - subscription.current_core_count, int),  # free cores
            type(service.get_role) is types.MethodType,  # Ansible's Wrapper tested for a bound method
        )
        service.wait_for_async(service.delete_deployment(name, name).request_id)
        service.delete_hosted_service(name)
        return observed

    observed = p.both(ports, idiom)
    assert observed == ("key-1", [True] * 4, True, False, "10023", [10023], ["10023"], True, True, True)


# --- Azure/azure-sdk-for-python tests/test_servicemanagementservice.py ------------------------------
def test_sdk_own_tests_services_deployments_and_perform(
    ports: list[Port], capsys: pytest.CaptureFixture[str]
) -> None:
    """Positional create calls with extended properties (an int value among them), perform_get /
    perform_post with ``response.message`` and ``parse_response_for_async_op``, and
    ``wait_for_operation_status(request_id, timeout=600)`` with its default (printing) callbacks."""

    def idiom(port: Port) -> Any:
        sms, sdk = port.sms, port.sdk
        sub = port.emulator.endpoint["subscription_id"]
        name = p.unique("sdk")
        sms.create_hosted_service(
            name, name + "label", name + "description", "West US", None, {"ext1": "val1", "ext2": 42}
        )
        response = sms.perform_get(f"/{sub}/services/hostedservices/{name}")
        got = (response.status, response.message, response.body.decode().find(name) != -1)
        result = sms.create_deployment(
            name,
            "Production",
            "v1",
            p.PACKAGE,
            "v1label",
            p.CSCFG_B64,
            False,
            False,
            {"dep1": "val1", "dep2": "val2"},
        )
        operation = sms.wait_for_operation_status(result.request_id, timeout=600, sleep_interval=0.02)
        printed = capsys.readouterr().out
        props = sms.get_deployment_by_name(name, "v1")
        p.wait_for_async(port, sms.delete_deployment(name, "v1").request_id)
        deleted = sms.perform_delete(f"/{sub}/services/hostedservices/{name}")
        pending = sdk.parse_response_for_async_op(deleted)
        if pending.request_id:
            sms.wait_for_operation_status(pending.request_id, timeout=600, sleep_interval=0.02)
        extended = sms.get_hosted_service_properties  # gone now: the old except-all helper
        try:
            exists = extended(name) is not None
        except Exception:
            exists = False
        return (
            got,
            operation.status,
            printed.endswith("\n") and set(printed.strip()) <= {"."},
            props.rollback_allowed == False,  # noqa: E712 -- the SDK's own test compared to False
            props.extended_properties,
            (deleted.status, deleted.message, len(pending.request_id or "") == 32),
            exists,
        )

    got, status, printed, rollback, extended, deleted, exists = p.both(ports, idiom)
    assert got == (200, "OK", True) and status == "Succeeded" and printed and rollback
    assert extended == {"dep1": "val1", "dep2": "val2"}
    assert deleted == (200, "OK", True) and exists is False


def test_sdk_own_tests_vm_roles_with_certificates(ports: list[Port]) -> None:
    """``_linux_config`` / ``_windows_config`` / ``_network_config``: positional PublicKey, KeyPair,
    CertificateSetting, Listener and endpoint, appended to the wrapper lists; add_role positional;
    ``_assert_role_instance_endpoint`` compares ports as strings."""
    pfx, thumb = p.ssh_certificate_pfx()

    def idiom(port: Port) -> Any:
        sms, sdk = port.sms, port.sdk
        name = p.unique("sdkvm")
        sms.create_hosted_service(name, name, name, "West US")
        p.wait_for_async(port, sms.add_service_certificate(name, pfx, "pfx", "").request_id)
        system = sdk.LinuxConfigurationSet("hn" + name[-13:], "unittest", "u7;9jbp!", True)
        system.ssh.public_keys.public_keys.append(sdk.PublicKey(thumb, "/home/unittest/.ssh/authorized_keys"))
        system.ssh.key_pairs.key_pairs.append(sdk.KeyPair(thumb, "/home/unittest/.ssh/id_rsa"))
        system.disable_ssh_password_authentication = False
        network = sdk.ConfigurationSet()
        network.configuration_set_type = "NetworkConfiguration"
        network.input_endpoints.input_endpoints.append(
            sdk.ConfigurationSetInputEndpoint("utendpoint", "tcp", "59913", "3394")
        )
        os_hd = sdk.OSVirtualHardDisk(
            p.LINUX_IMAGE, f"http://mystorage.blob.core.windows.net/ut/{name}.vhd", disk_label=name
        )
        result = sms.create_virtual_machine_deployment(
            name, name, "production", name + "label", name, system, os_hd, network, role_size="Small"
        )
        p.wait_for_async(port, result.request_id)
        windows = sdk.WindowsConfigurationSet(
            "hnw" + name[-12:], "u7;9jbp!", False, False, "Pacific Standard Time", "azureuser"
        )
        windows.domain_join = None
        windows.stored_certificate_settings.stored_certificate_settings.append(
            sdk.CertificateSetting(thumb, "My", "LocalMachine")
        )
        windows.win_rm.listeners.listeners.append(sdk.Listener("Https", thumb))
        win_image = next(
            i.name for i in sms.list_os_images() if "Microsoft Windows Server Group" in i.publisher_name
        )
        win_hd = sdk.OSVirtualHardDisk(
            win_image, f"http://mystorage.blob.core.windows.net/ut/{name}w.vhd", disk_label=name + "w"
        )
        win_net = sdk.ConfigurationSet()
        win_net.configuration_set_type = "NetworkConfiguration"
        win_net.input_endpoints.input_endpoints.append(
            sdk.ConfigurationSetInputEndpoint("utendpoint", "tcp", "59917", "3395")
        )
        p.wait_for_async(port, sms.add_role(name, name, name + "w", windows, win_hd, win_net).request_id)
        deployment = sms.get_deployment_by_name(name, name)
        instance = next(ri for ri in deployment.role_instance_list if ri.role_name == name)
        endpoint = instance.instance_endpoints[0]
        roles = sorted(
            (r.role_name.replace(name, "<svc>"), r.os_virtual_hard_disk.disk_label.replace(name, "<svc>"))
            for r in (sms.get_role(name, name, n) for n in (name, name + "w"))
        )
        p.wait_for_async(port, sms.delete_deployment(name, name).request_id)
        p.wait_for_async(port, sms.delete_service_certificate(name, "sha1", thumb).request_id)
        sms.delete_hosted_service(name)
        port_of = (endpoint.name, endpoint.protocol, endpoint.public_port, endpoint.local_port)
        return len(deployment.role_instance_list), len(instance.instance_endpoints), port_of, roles

    count, endpoints, endpoint, roles = p.both(ports, idiom)
    assert (count, endpoints, endpoint) == (2, 1, ("utendpoint", "tcp", "59913", "3394"))
    assert roles == [("<svc>", "<svc>"), ("<svc>w", "<svc>w")]


def test_sdk_own_tests_images_disks_and_role_sizes(ports: list[Port]) -> None:
    """``_create_vm_image`` (``VMImage()`` then its ``os_disk_configuration`` filled in place),
    ``add_os_image(label, url, name, os)`` waited on, ``add_disk(False, ...)`` positional,
    ``list_os_images`` filtered by publisher, ``list_role_sizes()[0]``."""

    def idiom(port: Port) -> Any:
        sms, sdk = port.sms, port.sdk
        name = p.unique("img")
        img = sdk.VMImage()
        img.name, img.label, img.description = name, name + "label", name + "description"
        img.os_disk_configuration.os_state = "Specialized"
        img.os_disk_configuration.os = "Linux"
        img.os_disk_configuration.media_link = f"http://mystorage.blob.core.windows.net/ut/{name}.vhd"
        img.language = "English"
        img.show_in_gui = True
        p.wait_for_async(port, sms.create_vm_image(img).request_id)
        vm_images = [
            (i.label, i.os_disk_configuration.os_state) for i in sms.list_vm_images() if i.name == name
        ]
        p.wait_for_async(port, sms.delete_vm_image(name).request_id)
        os_url = f"http://mystorage.blob.core.windows.net/ut/{name}os.vhd"
        p.wait_for_async(port, sms.add_os_image(name + "label", os_url, name + "os", "Linux").request_id)
        image = sms.get_os_image(name + "os")
        p.wait_for_async(port, sms.delete_os_image(name + "os").request_id)
        sms.add_disk(
            False,
            name + "disk",
            f"http://mystorage.blob.core.windows.net/ut/{name}d.vhd",
            name + "disk",
            "Linux",
        )
        disk = sms.get_disk(name + "disk")
        sms.delete_disk(name + "disk")
        canonical = [i.name for i in sms.list_os_images() if "Canonical" in i.publisher_name]
        role_size = sms.list_role_sizes()[0]
        return (
            [(label.replace(name, "<n>"), state) for label, state in vm_images],
            (image.label.replace(name, "<n>"), image.os, image.media_link == os_url),
            (disk.label.replace(name, "<n>"), disk.attached_to, disk.os),
            bool(canonical),
            (
                len(role_size.name) > 0,
                role_size.cores > 0,
                role_size.memory_in_mb > 0,
                role_size.max_data_disk_count > 0,
            ),
        )

    vm_images, image, disk, canonical, role_size = p.both(ports, idiom)
    assert vm_images == [("<n>label", "Specialized")] and image == ("<n>label", "Linux", True)
    assert disk == ("<n>disk", None, "Linux") and canonical and role_size == (True, True, True, True)

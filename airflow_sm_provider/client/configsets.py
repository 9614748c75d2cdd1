"""VM configuration sets: the inputs of create_virtual_machine_deployment (asm-wire 4.7).

Constructors take the old SDK's positional arguments (``LinuxConfigurationSet('myhostname', 'myuser',
'mypassword', True)``). Passwords are kept out of ``repr`` so they never reach a log line. The old SDK
wrapped nested lists in objects (``network.input_endpoints.input_endpoints.append(...)``,
``linux.ssh.public_keys.public_keys``); our lists answer to the wrapper's attribute name too, so that
code keeps working, while new code can treat them as plain lists. They are ``xmlmap.AliasList``s,
the same lists every response model holds: ``default_factory=list`` on a list-of-models field
gives one (``xmlmodel``), named by ``xmlmap.list_name_of``'s one rule, and the models whose old
name is not the rule's declare it (``list_name=``). Their classes carry the old wrapper classes'
names too (``ConfigurationSetInputEndpoints``, ``PublicKeys``, ``Passes``: ``models_lists``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_sm_provider.client.xmlmap import B64
from airflow_sm_provider.client.xmlmodel import ListOf, xml_field, xml_model

if TYPE_CHECKING:  # the list classes as mypy sees them (xmlmodel binds the names at run time)
    from airflow_sm_provider.client._list_types import (
        Components,
        ComponentSettings,
        ConfigurationSetInputEndpoints,
        KeyPairs,
        Listeners,
        Passes,
        PublicIPs,
        PublicKeys,
        StoredCertificateSettings,
    )


@xml_model
class LoadBalancerProbe:
    path: str | None = None
    port: str | int | None = None
    protocol: str | None = None


@xml_model(
    "InputEndpoint",
    wire_order=(
        "load_balanced_endpoint_set_name local_port name port load_balancer_probe protocol "
        "enable_direct_server_return idle_timeout_in_minutes"
    ),
    list_name="input_endpoints",
    list_type="ConfigurationSetInputEndpoints",
)
class ConfigurationSetInputEndpoint:
    """An endpoint of a NetworkConfiguration set; positional order is the old SDK's."""

    name: str = ""
    protocol: str = ""
    port: str | int = ""
    local_port: str | int = ""
    load_balanced_endpoint_set_name: str | None = None
    enable_direct_server_return: bool | None = None
    #: parsed: 4 (the service's default, as the old SDK's) when the response has none; sent: only if set
    idle_timeout_in_minutes: int | None = xml_field(default=None, absent=4)
    load_balancer_probe: LoadBalancerProbe | None = xml_field(optional=True, default=None)
    vip: str = xml_field(write=False, default="")


@xml_model
class PublicIP:
    """An instance-level public IP of a VM (old SDK ``PublicIP(name)``)."""

    name: str | None = None
    idle_timeout_in_minutes: int | None = xml_field(default=None, absent=4)
    address: str | None = xml_field(write=False, default=None, absent=None)


@xml_model
class ConfigurationSet:
    """A NetworkConfiguration set (the only kind Get Deployment / Get Role return)."""

    configuration_set_type: str = xml_field(default="NetworkConfiguration", absent="NetworkConfiguration")
    input_endpoints: ListOf[ConfigurationSetInputEndpoints, ConfigurationSetInputEndpoint] = xml_field(
        item="InputEndpoint", default_factory=list
    )
    subnet_names: list[str] = xml_field(item="SubnetName", default_factory=list)
    static_virtual_network_ip_address: str | None = xml_field(
        "StaticVirtualNetworkIPAddress", default=None, absent=None
    )
    public_ips: ListOf[PublicIPs, PublicIP] = xml_field("PublicIPs", item="PublicIP", default_factory=list)
    role_type: str = xml_field(skip=True, default="")


@dataclass
class _SshKey:
    """A key by its certificate's fingerprint and its path on the VM: a public key or a key pair."""

    fingerprint: str = ""
    path: str = ""


@xml_model
class PublicKey(_SshKey):
    """A public key the VM trusts for SSH logins (``SSH.public_keys``)."""


@xml_model
class KeyPair(_SshKey):
    """A key pair placed on the VM (``SSH.key_pairs``)."""


@xml_model
class SSH:
    public_keys: ListOf[PublicKeys, PublicKey] = xml_field(item="PublicKey", default_factory=list)
    key_pairs: ListOf[KeyPairs, KeyPair] = xml_field(item="KeyPair", default_factory=list)


@xml_model(
    "ConfigurationSet",
    wire_order=(
        "configuration_set_type host_name user_name user_password disable_ssh_password_authentication ssh "
        "custom_data"
    ),
)
class LinuxConfigurationSet:
    """Linux provisioning: ``LinuxConfigurationSet(host_name, user_name, user_password, disable_ssh...)``."""

    host_name: str | None = None
    user_name: str | None = None
    user_password: str | None = field(default=None, repr=False)
    disable_ssh_password_authentication: bool | None = None
    custom_data: str | None = xml_field(kind=B64, default=None, repr=False)
    ssh: SSH = xml_field("SSH", optional=True, default_factory=SSH)
    configuration_set_type: str = field(default="LinuxProvisioningConfiguration", init=False)


@xml_model
class Credentials:
    domain: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@xml_model
class DomainJoin:
    credentials: Credentials = xml_field(optional=True, default_factory=Credentials)
    join_domain: str | None = None
    machine_object_ou: str | None = xml_field("MachineObjectOU", default=None)


@xml_model(wire_order="store_location store_name thumbprint", list_name="stored_certificate_settings")
class CertificateSetting:
    thumbprint: str = ""
    store_name: str = ""
    store_location: str = ""


@xml_model
class Listener:
    protocol: str = ""
    certificate_thumbprint: str | None = None


@xml_model
class WinRM:
    listeners: ListOf[Listeners, Listener] = xml_field(item="Listener", default_factory=list)


@xml_model
class ComponentSetting:
    """One setting of an unattend component. ``content`` is sent as given: the base64 of the XML,
    as the old SDK expected it (it did not encode it; ASM documents the element as base64)."""

    setting_name: str = ""
    content: str = field(default="", repr=False)  # may hold passwords (AutoLogon)


@xml_model(list_name="components")  # the old SDK's UnattendPass.components.components
class UnattendComponent:
    component_name: str = ""
    component_settings: ListOf[ComponentSettings, ComponentSetting] = xml_field(
        item="ComponentSetting", default_factory=list
    )


@xml_model(list_name="passes")  # the old SDK's AdditionalUnattendContent.passes.passes
class UnattendPass:
    pass_name: str = ""
    components: ListOf[Components, UnattendComponent] = xml_field(
        item="UnattendComponent", default_factory=list
    )


@xml_model
class AdditionalUnattendContent:
    """Windows unattend.xml additions: ``passes`` -> ``UnattendPass`` -> ``UnattendComponent`` ->
    ``ComponentSetting``. Each pass is sent in an ``<UnattendPass>`` element (the old SDK's own
    parser reads them so; its serializer left that element out)."""

    passes: ListOf[Passes, UnattendPass] = xml_field(item="UnattendPass", default_factory=list)


@xml_model(
    "ConfigurationSet",
    wire_order=(
        "configuration_set_type computer_name admin_password reset_password_on_first_logon "
        "enable_automatic_updates time_zone domain_join stored_certificate_settings win_rm admin_username "
        "custom_data additional_unattend_content"
    ),
)
class WindowsConfigurationSet:
    """Windows provisioning; positional order is the old SDK's (computer_name, admin_password, ...)."""

    computer_name: str | None = None
    admin_password: str | None = field(default=None, repr=False)
    reset_password_on_first_logon: bool | None = None
    enable_automatic_updates: bool | None = None
    time_zone: str | None = None
    admin_username: str | None = None
    custom_data: str | None = xml_field(kind=B64, default=None, repr=False)
    domain_join: DomainJoin = xml_field(optional=True, default_factory=DomainJoin)
    stored_certificate_settings: ListOf[StoredCertificateSettings, CertificateSetting] = xml_field(
        item="CertificateSetting", default_factory=list
    )
    win_rm: WinRM = xml_field("WinRM", optional=True, default_factory=WinRM)
    additional_unattend_content: AdditionalUnattendContent = xml_field(
        optional=True, default_factory=AdditionalUnattendContent
    )
    configuration_set_type: str = field(default="WindowsProvisioningConfiguration", init=False)

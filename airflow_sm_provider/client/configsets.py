"""VM configuration sets: the inputs of create_virtual_machine_deployment (asm-wire 4.7).

Constructors take the old SDK's positional arguments (``LinuxConfigurationSet('myhostname', 'myuser',
'mypassword', True)``). Passwords are kept out of ``repr`` so they never reach a log line. The old SDK
wrapped nested lists in objects (``network.input_endpoints.input_endpoints.append(...)``,
``linux.ssh.public_keys.public_keys``); our lists answer to the wrapper's attribute name too, so that
code keeps working, while new code can treat them as plain lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from airflow_sm_provider.client.xmlmap import B64
from airflow_sm_provider.client.xmlmodel import xml_field, xml_model


class _AliasList(list[Any]):
    """A list that also answers to the old SDK's wrapper attribute (``x.input_endpoints`` -> x)."""

    _alias: ClassVar[str] = ""

    def __getattr__(self, name: str) -> Any:
        if name == self._alias:
            return self
        raise AttributeError(name)


class _InputEndpoints(_AliasList):
    _alias = "input_endpoints"


class _PublicKeys(_AliasList):
    _alias = "public_keys"


class _KeyPairs(_AliasList):
    _alias = "key_pairs"


class _CertificateSettings(_AliasList):
    _alias = "stored_certificate_settings"


class _Listeners(_AliasList):
    _alias = "listeners"


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
)
class ConfigurationSetInputEndpoint:
    """An endpoint of a NetworkConfiguration set; positional order is the old SDK's."""

    name: str = ""
    protocol: str = ""
    port: str | int = ""
    local_port: str | int = ""
    load_balanced_endpoint_set_name: str | None = None
    enable_direct_server_return: bool | None = None
    idle_timeout_in_minutes: int | None = None
    load_balancer_probe: LoadBalancerProbe | None = xml_field(optional=True, default=None)
    vip: str = xml_field(write=False, default="")


@xml_model
class PublicIP:
    """An instance-level public IP of a VM (old SDK ``PublicIP(name)``)."""

    name: str | None = None
    idle_timeout_in_minutes: int | None = None
    address: str | None = xml_field(write=False, default=None)


class _PublicIPs(_AliasList):
    _alias = "public_ips"


@xml_model
class ConfigurationSet:
    """A NetworkConfiguration set (the only kind Get Deployment / Get Role return)."""

    configuration_set_type: str = "NetworkConfiguration"
    input_endpoints: list[ConfigurationSetInputEndpoint] = xml_field(
        item="InputEndpoint", default_factory=_InputEndpoints
    )
    subnet_names: list[str] = xml_field(item="SubnetName", default_factory=list)
    static_virtual_network_ip_address: str | None = xml_field("StaticVirtualNetworkIPAddress", default=None)
    public_ips: list[PublicIP] = xml_field("PublicIPs", item="PublicIP", default_factory=_PublicIPs)
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
    public_keys: list[PublicKey] = xml_field(item="PublicKey", default_factory=_PublicKeys)
    key_pairs: list[KeyPair] = xml_field(item="KeyPair", default_factory=_KeyPairs)


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


@xml_model(wire_order="store_location store_name thumbprint")
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
    listeners: list[Listener] = xml_field(item="Listener", default_factory=_Listeners)


@xml_model(
    "ConfigurationSet",
    wire_order=(
        "configuration_set_type computer_name admin_password reset_password_on_first_logon "
        "enable_automatic_updates time_zone domain_join stored_certificate_settings win_rm admin_username "
        "custom_data"
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
    stored_certificate_settings: list[CertificateSetting] = xml_field(
        item="CertificateSetting", default_factory=_CertificateSettings
    )
    win_rm: WinRM = xml_field("WinRM", optional=True, default_factory=WinRM)
    configuration_set_type: str = field(default="WindowsProvisioningConfiguration", init=False)

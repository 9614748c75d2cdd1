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

from airflow_sm_provider.client.xmlmap import B64, BOOL, INT, LIST, MODEL, STRLIST, F, Spec


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


@dataclass
class LoadBalancerProbe:
    path: str | None = None
    port: str | int | None = None
    protocol: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "LoadBalancerProbe", [F("Path", "path"), F("Port", "port"), F("Protocol", "protocol")]
    )


@dataclass
class ConfigurationSetInputEndpoint:
    """An endpoint of a NetworkConfiguration set; positional order is the old SDK's."""

    name: str = ""
    protocol: str = ""
    port: str | int = ""
    local_port: str | int = ""
    load_balanced_endpoint_set_name: str | None = None
    enable_direct_server_return: bool | None = None
    idle_timeout_in_minutes: int | None = None
    load_balancer_probe: LoadBalancerProbe | None = None
    vip: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "InputEndpoint",
        [
            F("LoadBalancedEndpointSetName", "load_balanced_endpoint_set_name"),
            F("LocalPort", "local_port"),
            F("Name", "name"),
            F("Port", "port"),
            F("LoadBalancerProbe", "load_balancer_probe", MODEL, LoadBalancerProbe, optional=True),
            F("Protocol", "protocol"),
            F("EnableDirectServerReturn", "enable_direct_server_return", BOOL),
            F("IdleTimeoutInMinutes", "idle_timeout_in_minutes", INT),
            F("Vip", "vip", write=False),
        ],
    )


@dataclass
class PublicIP:
    """An instance-level public IP of a VM (old SDK ``PublicIP(name)``)."""

    name: str | None = None
    idle_timeout_in_minutes: int | None = None
    address: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "PublicIP",
        [
            F("Name", "name"),
            F("IdleTimeoutInMinutes", "idle_timeout_in_minutes", INT),
            F("Address", "address", write=False),
        ],
    )


class _PublicIPs(_AliasList):
    _alias = "public_ips"


@dataclass
class ConfigurationSet:
    """A NetworkConfiguration set (the only kind Get Deployment / Get Role return)."""

    configuration_set_type: str = "NetworkConfiguration"
    input_endpoints: list[ConfigurationSetInputEndpoint] = field(default_factory=_InputEndpoints)
    subnet_names: list[str] = field(default_factory=list)
    static_virtual_network_ip_address: str | None = None
    public_ips: list[PublicIP] = field(default_factory=_PublicIPs)
    role_type: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "ConfigurationSet",
        [
            F("ConfigurationSetType", "configuration_set_type"),
            F("InputEndpoints", "input_endpoints", LIST, ConfigurationSetInputEndpoint, item="InputEndpoint"),
            F("SubnetNames", "subnet_names", STRLIST, item="SubnetName"),
            F("StaticVirtualNetworkIPAddress", "static_virtual_network_ip_address"),
            F("PublicIPs", "public_ips", LIST, PublicIP, item="PublicIP"),
        ],
    )


@dataclass
class PublicKey:
    fingerprint: str = ""
    path: str = ""

    __xml__: ClassVar[Spec] = Spec("PublicKey", [F("Fingerprint", "fingerprint"), F("Path", "path")])


@dataclass
class KeyPair:
    fingerprint: str = ""
    path: str = ""

    __xml__: ClassVar[Spec] = Spec("KeyPair", [F("Fingerprint", "fingerprint"), F("Path", "path")])


@dataclass
class SSH:
    public_keys: list[PublicKey] = field(default_factory=_PublicKeys)
    key_pairs: list[KeyPair] = field(default_factory=_KeyPairs)

    __xml__: ClassVar[Spec] = Spec(
        "SSH",
        [
            F("PublicKeys", "public_keys", LIST, PublicKey, item="PublicKey"),
            F("KeyPairs", "key_pairs", LIST, KeyPair, item="KeyPair"),
        ],
    )


@dataclass
class LinuxConfigurationSet:
    """Linux provisioning: ``LinuxConfigurationSet(host_name, user_name, user_password, disable_ssh...)``."""

    host_name: str | None = None
    user_name: str | None = None
    user_password: str | None = field(default=None, repr=False)
    disable_ssh_password_authentication: bool | None = None
    custom_data: str | None = field(default=None, repr=False)
    ssh: SSH = field(default_factory=SSH)
    configuration_set_type: str = field(default="LinuxProvisioningConfiguration", init=False)

    __xml__: ClassVar[Spec] = Spec(
        "ConfigurationSet",
        [
            F("ConfigurationSetType", "configuration_set_type"),
            F("HostName", "host_name"),
            F("UserName", "user_name"),
            F("UserPassword", "user_password"),
            F("DisableSshPasswordAuthentication", "disable_ssh_password_authentication", BOOL),
            F("SSH", "ssh", MODEL, SSH, optional=True),
            F("CustomData", "custom_data", B64),
        ],
    )


@dataclass
class Credentials:
    domain: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    __xml__: ClassVar[Spec] = Spec(
        "Credentials", [F("Domain", "domain"), F("Username", "username"), F("Password", "password")]
    )


@dataclass
class DomainJoin:
    credentials: Credentials = field(default_factory=Credentials)
    join_domain: str | None = None
    machine_object_ou: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "DomainJoin",
        [
            F("Credentials", "credentials", MODEL, Credentials, optional=True),
            F("JoinDomain", "join_domain"),
            F("MachineObjectOU", "machine_object_ou"),
        ],
    )


@dataclass
class CertificateSetting:
    thumbprint: str = ""
    store_name: str = ""
    store_location: str = ""

    __xml__: ClassVar[Spec] = Spec(
        "CertificateSetting",
        [F("StoreLocation", "store_location"), F("StoreName", "store_name"), F("Thumbprint", "thumbprint")],
    )


@dataclass
class Listener:
    protocol: str = ""
    certificate_thumbprint: str | None = None

    __xml__: ClassVar[Spec] = Spec(
        "Listener", [F("Protocol", "protocol"), F("CertificateThumbprint", "certificate_thumbprint")]
    )


@dataclass
class WinRM:
    listeners: list[Listener] = field(default_factory=_Listeners)

    __xml__: ClassVar[Spec] = Spec("WinRM", [F("Listeners", "listeners", LIST, Listener, item="Listener")])


@dataclass
class WindowsConfigurationSet:
    """Windows provisioning; positional order is the old SDK's (computer_name, admin_password, ...)."""

    computer_name: str | None = None
    admin_password: str | None = field(default=None, repr=False)
    reset_password_on_first_logon: bool | None = None
    enable_automatic_updates: bool | None = None
    time_zone: str | None = None
    admin_username: str | None = None
    custom_data: str | None = field(default=None, repr=False)
    domain_join: DomainJoin = field(default_factory=DomainJoin)
    stored_certificate_settings: list[CertificateSetting] = field(default_factory=_CertificateSettings)
    win_rm: WinRM = field(default_factory=WinRM)
    configuration_set_type: str = field(default="WindowsProvisioningConfiguration", init=False)

    __xml__: ClassVar[Spec] = Spec(
        "ConfigurationSet",
        [
            F("ConfigurationSetType", "configuration_set_type"),
            F("ComputerName", "computer_name"),
            F("AdminPassword", "admin_password"),
            F("ResetPasswordOnFirstLogon", "reset_password_on_first_logon", BOOL),
            F("EnableAutomaticUpdates", "enable_automatic_updates", BOOL),
            F("TimeZone", "time_zone"),
            F("DomainJoin", "domain_join", MODEL, DomainJoin, optional=True),
            F(
                "StoredCertificateSettings",
                "stored_certificate_settings",
                LIST,
                CertificateSetting,
                item="CertificateSetting",
            ),
            F("WinRM", "win_rm", MODEL, WinRM, optional=True),
            F("AdminUsername", "admin_username"),
            F("CustomData", "custom_data", B64),
        ],
    )

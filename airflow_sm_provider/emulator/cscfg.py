"""Reading the service configuration (.cscfg) a deployment is created or reconfigured with.

The real schema lives in namespace
``http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration``; we read local names
only, so configurations without (or with another) namespace work as well. What the emulator needs:
each ``<Role name=...>`` with its ``<Instances count=N/>`` and its ``<Setting name= value=/>``s,
plus the ``osFamily`` / ``osVersion`` attributes for the deployment's ``OsVersion``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_sm_provider.emulator.xmlio import XmlError, parse

#: The emulator-only setting that decides how a deployment's application behaves.
HEALTH_SETTING = "Emulator.Health"
HEALTH_MODES = ("healthy", "unhealthy", "unhealthy-in-production", "fail-start")
MAX_INSTANCES_PER_ROLE = 50


@dataclass
class RoleConfig:
    name: str
    count: int
    settings: dict[str, str] = field(default_factory=dict)


@dataclass
class ServiceConfig:
    roles: list[RoleConfig]
    os_family: str
    os_version: str

    @property
    def health(self) -> str:
        """The ``Emulator.Health`` setting of the first role that has one (default ``healthy``)."""
        for role in self.roles:
            mode = role.settings.get(HEALTH_SETTING)
            if mode:
                return mode.strip().lower()
        return "healthy"


class ConfigError(ValueError):
    """Not a usable .cscfg; the handlers answer 400 BadRequest with this message."""


def parse_cscfg(text: str) -> ServiceConfig:
    try:
        root = parse(text.encode("utf-8"))
    except XmlError as exc:
        raise ConfigError(f"The configuration is not valid XML: {exc}") from exc
    if root.name != "ServiceConfiguration":
        raise ConfigError("The configuration root element must be ServiceConfiguration.")
    roles: list[RoleConfig] = []
    for role in root.children("Role"):
        name = role.element.get("name")
        if not name:
            raise ConfigError("A Role element of the configuration has no name attribute.")
        instances = role.find("Instances")
        raw = instances.element.get("count", "1") if instances is not None else "1"
        try:
            count = int(raw)
        except ValueError as exc:
            raise ConfigError(f"Role {name}: Instances count '{raw}' is not a number.") from exc
        if not 0 <= count <= MAX_INSTANCES_PER_ROLE:
            raise ConfigError(f"Role {name}: Instances count must be between 0 and {MAX_INSTANCES_PER_ROLE}.")
        settings: dict[str, str] = {}
        box = role.find("ConfigurationSettings")
        for setting in box.children("Setting") if box is not None else iter(()):
            key = setting.element.get("name")
            if key:
                settings[key] = setting.element.get("value", "")
        roles.append(RoleConfig(name=name, count=count, settings=settings))
    if not roles:
        raise ConfigError("The configuration defines no roles.")
    family = root.element.get("osFamily") or "4"
    version = root.element.get("osVersion") or "*"
    config = ServiceConfig(roles=roles, os_family=family, os_version=version)
    if config.health not in HEALTH_MODES:
        raise ConfigError(f"{HEALTH_SETTING} must be one of {', '.join(HEALTH_MODES)}.")
    return config

"""Reading the service configuration (.cscfg) a deployment is created or reconfigured with.

The real schema lives in namespace
``http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration``; we read local names
only, so configurations without (or with another) namespace work as well. What the emulator needs:
each ``<Role name=...>`` with its ``<Instances count=N/>`` and its ``<Setting name= value=/>``s,
plus the ``osFamily`` / ``osVersion`` attributes for the deployment's ``OsVersion``.

Emulator-only settings (a real role would ignore unknown settings; the emulator reads them to decide
how the deployment's application behaves, see docs/emulator.md "Deployment applications"):

* ``Emulator.Health`` = a mode: the health of every path under the deployment's Url (default healthy).
* ``Emulator.Health.<path>`` = a mode for one path (``api/status``; a trailing ``*`` matches a prefix).
* ``Emulator.UpgradeDomain.<n>.Health`` = a mode for every path served by the instances of upgrade
  domain ``n`` (a domain that goes bad once a rolling upgrade walks it).
* ``Emulator.UpgradeDomainCount`` = the deployment's UpgradeDomainCount (the real value came from the
  package's .csdef, which the emulator never reads; default: min(5, largest instance count)).

Modes: ``healthy`` (200), ``unhealthy`` (503), ``unhealthy-in-production`` (200 in staging, 503 in
production), ``fail-start`` (instances end FailedStartingRole; not for single paths), or a three-digit
HTTP status such as ``500``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from airflow_sm_provider.emulator.xmlio import XmlError, parse, whole_number

#: The emulator-only setting that decides how a deployment's application behaves.
HEALTH_SETTING = "Emulator.Health"
HEALTH_PATH_PREFIX = HEALTH_SETTING + "."
UPGRADE_DOMAIN_COUNT_SETTING = "Emulator.UpgradeDomainCount"
HEALTH_MODES = ("healthy", "unhealthy", "unhealthy-in-production", "fail-start")
MAX_INSTANCES_PER_ROLE = 50
MAX_UPGRADE_DOMAINS = 20
_UD_HEALTH = re.compile(r"^Emulator\.UpgradeDomain\.(\d+)\.Health$", re.IGNORECASE)
_STATUS_MODE = re.compile(r"^[1-5][0-9][0-9]$")


def valid_mode(mode: str, *, for_path: bool = False) -> bool:
    """A health mode: one of HEALTH_MODES (``fail-start`` not for a single path) or an HTTP status."""
    mode = mode.strip().lower()
    if _STATUS_MODE.match(mode):
        return True
    return mode in HEALTH_MODES and not (for_path and mode == "fail-start")


@dataclass
class RoleConfig:
    name: str
    count: int
    settings: dict[str, str] = field(default_factory=dict)
    #: ``<Certificates><Certificate thumbprint= thumbprintAlgorithm=/>``: (algorithm, THUMBPRINT).
    certificates: list[tuple[str, str]] = field(default_factory=list)


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

    @property
    def upgrade_domain_count(self) -> int | None:
        for role in self.roles:
            raw = role.settings.get(UPGRADE_DOMAIN_COUNT_SETTING)
            if raw:
                return int(raw)
        return None

    def _emulator_settings(self, role_name: str) -> dict[str, str]:
        """The role's own emulator settings, else those of the first role that has any (so one role
        can describe the whole deployment, as ``Emulator.Health`` always could)."""
        own = next((r for r in self.roles if r.name == role_name), None)
        for role in ([own] if own else []) + self.roles:
            found = {k: v for k, v in role.settings.items() if k.lower().startswith("emulator.")}
            if any(
                k == HEALTH_SETTING or k.startswith(HEALTH_PATH_PREFIX) or _UD_HEALTH.match(k) for k in found
            ):
                return found
        return {}

    def health_map(self, role_name: str, upgrade_domain: int) -> dict[str, str]:
        """How an instance of ``role_name`` in ``upgrade_domain`` answers: {"*": default, path: mode}.

        A domain's own setting replaces everything else: the whole instance is bad (or good)."""
        settings = self._emulator_settings(role_name)
        for key, value in settings.items():
            found = _UD_HEALTH.match(key)
            if found and int(found.group(1)) == upgrade_domain:
                return {"*": value.strip().lower()}
        out = {"*": (settings.get(HEALTH_SETTING) or "healthy").strip().lower()}
        for key, value in settings.items():
            if key.startswith(HEALTH_PATH_PREFIX):
                out[normalise_path(key[len(HEALTH_PATH_PREFIX) :])] = value.strip().lower()
        return out


def normalise_path(path: str) -> str:
    """Paths compare without surrounding slashes and case-insensitively (IIS did)."""
    return path.strip().strip("/").lower()


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
        certs = role.find("Certificates")
        refs = [
            (
                (c.element.get("thumbprintAlgorithm") or "sha1").lower(),
                (c.element.get("thumbprint") or "").upper(),
            )
            for c in (certs.children("Certificate") if certs is not None else iter(()))
        ]
        roles.append(RoleConfig(name=name, count=count, settings=settings, certificates=refs))
    if not roles:
        raise ConfigError("The configuration defines no roles.")
    family = root.element.get("osFamily") or "4"
    version = root.element.get("osVersion") or "*"
    config = ServiceConfig(roles=roles, os_family=family, os_version=version)
    _check_settings(config)
    return config


def _check_settings(config: ServiceConfig) -> None:
    modes = f"one of {', '.join(HEALTH_MODES)} or an HTTP status such as 500"
    for role in config.roles:
        for key, value in role.settings.items():
            if key == HEALTH_SETTING or _UD_HEALTH.match(key):
                if not valid_mode(value):
                    raise ConfigError(f"{key} must be {modes}.")
            elif key.startswith(HEALTH_PATH_PREFIX) and not valid_mode(value, for_path=True):
                raise ConfigError(f"{key} must be {modes.replace('fail-start or ', '')} (not fail-start).")
            elif key == UPGRADE_DOMAIN_COUNT_SETTING and not _count_ok(value):
                raise ConfigError(f"{key} must be a number between 1 and {MAX_UPGRADE_DOMAINS}.")


def _count_ok(value: str) -> bool:
    count = whole_number(value)
    return count is not None and 1 <= count <= MAX_UPGRADE_DOMAINS


def with_instance_counts(text: str, counts: dict[str, int]) -> str:
    """``text`` with the ``<Instances count>`` of the named roles replaced (Delete Role Instances
    shrinks the deployment's configuration as the real service did)."""
    from lxml import etree

    root = parse(text.encode("utf-8")).element
    for role in root:
        if not isinstance(role.tag, str) or etree.QName(role).localname != "Role":
            continue
        name = role.get("name")
        if name not in counts:
            continue
        for child in role:
            if isinstance(child.tag, str) and etree.QName(child).localname == "Instances":
                child.set("count", str(counts[name]))
    return etree.tostring(root, encoding="unicode")

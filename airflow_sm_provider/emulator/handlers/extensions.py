"""Resource extensions: the catalogue VMs can reference (List Resource Extensions, List Resource
Extension Versions), and the check of a role's ResourceExtensionReferences.

The catalogue is a fixed seed of the extensions the old tutorials, scripts and tools used: BGInfo,
VMAccessAgent, CustomScriptExtension, JsonADDomainExtension, IaaSDiagnostics, DSC, IaaSAntimalware,
MicrosoftMonitoringAgent, ChefClient and PuppetEnterpriseAgent on Windows; VMAccessForLinux,
CustomScriptForLinux, LinuxDiagnostic, OSPatchingForLinux, LinuxChefClient and DockerExtension on
Linux; each with a few versions (the seed's, not a record of every release). List Resource
Extensions shows the newest version of each, as the real call did.

Choices: a reference to an extension not in the catalogue is 400 BadRequest naming it; a version
is accepted when it is listed, or names a listed major version (``1.*``, or another minor such as
``1.7``): the real catalogue had more minor versions than the seed, and refusing one a script of
the time pinned would be stricter than the service.
"""

from __future__ import annotations

from typing import Final

from airflow_sm_provider.emulator.handlers.common import Ctx, bad_request, handler, not_found, xml
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc
from airflow_sm_provider.emulator.xmlio import Builder, Node

#: (publisher, name, label, supported OS, versions oldest first)
CATALOGUE: Final[list[tuple[str, str, str, str, list[str]]]] = [
    ("Microsoft.Compute", "BGInfo", "BGInfo Extension", "Windows", ["1.0", "1.1", "2.1"]),
    ("Microsoft.Compute", "VMAccessAgent", "VM Access Agent", "Windows", ["1.0", "2.0", "2.4"]),
    (
        "Microsoft.Compute",
        "CustomScriptExtension",
        "Custom Script Extension",
        "Windows",
        ["1.1", "1.4", "1.8"],
    ),
    ("Microsoft.Compute", "JsonADDomainExtension", "Json AD Domain Extension", "Windows", ["1.0", "1.3"]),
    ("Microsoft.Azure.Diagnostics", "IaaSDiagnostics", "IaaS Diagnostics", "Windows", ["1.2", "1.4"]),
    ("Microsoft.Powershell", "DSC", "PowerShell DSC", "Windows", ["1.10", "2.1"]),
    ("Microsoft.Azure.Security", "IaaSAntimalware", "Microsoft Antimalware", "Windows", ["1.1", "1.3"]),
    (
        "Microsoft.EnterpriseCloud.Monitoring",
        "MicrosoftMonitoringAgent",
        "Microsoft Monitoring Agent",
        "Windows",
        ["1.0"],
    ),
    ("Chef.Bootstrap.WindowsAzure", "ChefClient", "Chef Client", "Windows", ["1207.12", "1210.12"]),
    ("PuppetLabs", "PuppetEnterpriseAgent", "Puppet Enterprise Agent", "Windows", ["3.2"]),
    ("Microsoft.OSTCExtensions", "VMAccessForLinux", "VM Access For Linux", "Linux", ["1.2", "1.4"]),
    ("Microsoft.OSTCExtensions", "CustomScriptForLinux", "Custom Script For Linux", "Linux", ["1.2", "1.4"]),
    ("Microsoft.OSTCExtensions", "LinuxDiagnostic", "Linux Diagnostic", "Linux", ["2.0", "2.3"]),
    ("Microsoft.OSTCExtensions", "OSPatchingForLinux", "OS Patching For Linux", "Linux", ["1.0", "2.0"]),
    (
        "Chef.Bootstrap.WindowsAzure",
        "LinuxChefClient",
        "Chef Client for Linux",
        "Linux",
        ["1207.12", "1210.12"],
    ),
    ("MSOpenTech.Extensions", "DockerExtension", "Docker Extension", "Linux", ["0.3", "1.0"]),
]


def _company(publisher: str) -> str:
    """Microsoft for its own publishers, else the publisher's first name (Chef, PuppetLabs, ...)."""
    return "Microsoft" if publisher.startswith("Microsoft.") else publisher.split(".", maxsplit=1)[0]


def _render(b: Builder, publisher: str, name: str, label: str, os_: str, version: str) -> None:  # noqa: PLR0917
    b.add("Publisher", publisher).add("Name", name).add("Version", version).add("Label", label)
    b.add("Description", f"{label} from {publisher}.").add("PublicConfigurationSchema", "")
    b.add("PrivateConfigurationSchema", "").add("SampleConfig", "").add("ReplicationCompleted", True)
    b.add("Eula", "https://go.microsoft.com/fwlink/?LinkId=000000").add("PrivacyUri", "")
    b.add("HomepageUri", "").add("IsJsonExtension", True).add("IsInternalExtension", False)
    b.add("DisallowMajorVersionUpgrade", False).add("CompanyName", _company(publisher))
    b.add("SupportedOS", os_)
    b.add("PublishedDate", "2015-05-06T07:00:00Z")


@handler("list_resource_extensions")
def list_extensions(ctx: Ctx) -> Response:
    root = Builder.root("ResourceExtensions")
    for publisher, name, label, os_, versions in CATALOGUE:
        _render(root.child("ResourceExtension"), publisher, name, label, os_, versions[-1])
    return xml(200, root)


@handler("list_resource_extension_versions")
def list_versions(ctx: Ctx) -> Response:
    wanted = (ctx.route.params["publisher"].lower(), ctx.route.params["extension"].lower())
    entry = next((e for e in CATALOGUE if (e[0].lower(), e[1].lower()) == wanted), None)
    if entry is None:
        raise not_found("The resource extension does not exist.")
    publisher, name, label, os_, versions = entry
    root = Builder.root("ResourceExtensions")
    for version in versions:
        _render(root.child("ResourceExtension"), publisher, name, label, os_, version)
    return xml(200, root)


def _major(version: str) -> str:
    return version.strip().split(".", maxsplit=1)[0]


def _known(publisher: str, name: str, version: str) -> bool:
    """In the catalogue, at a listed version or a listed major version (module docstring)."""
    for pub, ext, _, _, versions in CATALOGUE:
        if (pub.lower(), ext.lower()) == (publisher.lower(), name.lower()):
            return version in versions or _major(version) in {_major(v) for v in versions}
    return False


def parse_references(node: Node) -> list[Doc]:
    """A role's ``ResourceExtensionReferences`` (private parameter values are kept, never shown)."""
    box = node.find("ResourceExtensionReferences")
    out: list[Doc] = []
    for ref in box.children("ResourceExtensionReference") if box is not None else iter(()):
        publisher, name, version = (ref.text(k) or "" for k in ("Publisher", "Name", "Version"))
        if not _known(publisher, name, version):
            raise bad_request(f"The resource extension {publisher}.{name} version {version} does not exist.")
        values = ref.find("ResourceExtensionParameterValues")
        params = [
            {"key": v.text("Key") or "", "value": v.text("Value") or "", "type": v.text("Type") or "Public"}
            for v in (values.children("ResourceExtensionParameterValue") if values is not None else iter(()))
        ]
        out.append(
            {
                "reference_name": ref.text("ReferenceName") or name,
                "publisher": publisher,
                "name": name,
                "version": version,
                "params": params,
                "state": ref.text("State") or "Enable",
            }
        )
    return out


def render_references(b: Builder, refs: list[Doc]) -> None:
    if not refs:
        return
    box = b.child("ResourceExtensionReferences")
    for ref in refs:
        r = box.child("ResourceExtensionReference").add("ReferenceName", ref["reference_name"])
        r.add("Publisher", ref["publisher"]).add("Name", ref["name"]).add("Version", ref["version"])
        values = r.child("ResourceExtensionParameterValues")
        for value in ref["params"]:
            if value["type"].lower() != "private":  # private configuration never comes back
                values.child("ResourceExtensionParameterValue").add("Key", value["key"]).add(
                    "Value", value["value"]
                ).add("Type", value["type"])
        r.add("State", ref["state"])

"""Catalogue data every subscription sees: locations, role sizes, OS families, public OS images.

Shapes and values follow the recordings (asm-wire.md 4.1, 4.6). The public images include the two
CentOS images the Azure tutorial names, so its create-VM step works unchanged. The number of public
images is configurable (``ServiceApp(public_images=N)`` or env ``ASM_EMULATOR_PUBLIC_IMAGES``)
because benchmarks list 1,000 of them; they are generated, not stored.
"""

from __future__ import annotations

from typing import Final

from airflow_sm_provider.emulator.state import Doc

DEFAULT_PUBLIC_IMAGES: Final = 6

_WEB_WORKER_SIZES = [
    "A10",
    "A11",
    "A5",
    "A6",
    "A7",
    "A8",
    "A9",
    "ExtraLarge",
    "ExtraSmall",
    "Large",
    "Medium",
    "Small",
    "Standard_D1",
    "Standard_D11",
    "Standard_D12",
    "Standard_D13",
    "Standard_D14",
    "Standard_D2",
    "Standard_D3",
    "Standard_D4",
]
_VM_SIZES = [
    "A10",
    "A11",
    "A5",
    "A6",
    "A7",
    "A8",
    "A9",
    "Basic_A0",
    "Basic_A1",
    "Basic_A2",
    "Basic_A3",
    "Basic_A4",
    "ExtraLarge",
    "ExtraSmall",
    "Large",
    "Medium",
    "Small",
    "Standard_D1",
    "Standard_D2",
    "Standard_D3",
    "Standard_D4",
]
_STORAGE_TYPES = ["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS"]
_FULL = ["Compute", "Storage", "PersistentVMRole", "HighMemory"]

#: (Name, DisplayName, AvailableServices); "None" = a recorded location with no services (West India).
LOCATIONS: Final[list[tuple[str, str, list[str]]]] = [
    ("East US", "East US", _FULL),
    ("West US", "West US", _FULL),
    ("Central US", "Central US", _FULL),
    ("South Central US", "South Central US", _FULL),
    ("North Central US", "North Central US", _FULL),
    ("East US 2", "East US 2", _FULL),
    ("North Europe", "North Europe", _FULL),
    ("West Europe", "West Europe", _FULL),
    ("Southeast Asia", "Southeast Asia", _FULL),
    ("East Asia", "East Asia", _FULL),
    ("Japan West", "Japan West", _FULL),
    ("Japan East", "Japan East", _FULL),
    ("Brazil South", "Brazil South", ["Compute", "Storage", "PersistentVMRole"]),
    ("West India", "West India", ["None"]),
]


def location_for(name: str) -> str | None:
    """The canonical spelling of a location name (case-insensitive), None when unknown/no service."""
    for loc, _, services in LOCATIONS:
        if loc.lower() == name.strip().lower() and services != ["None"]:
            return loc
    return None


def location_doc(name: str, display: str, services: list[str]) -> Doc:
    usable = services != ["None"]
    return {
        "name": name,
        "display": display,
        "services": services,
        "web_worker_sizes": _WEB_WORKER_SIZES if usable else [],
        "vm_sizes": _VM_SIZES if usable else [],
        "storage_types": _STORAGE_TYPES if usable else None,
    }


#: (family number, family label, [(version, label, is_default, is_active)])
OS_FAMILIES: Final[list[tuple[str, str, list[tuple[str, str, bool, bool]]]]] = [
    (
        "1",
        "Windows Server 2008 SP2",
        [
            ("WA-GUEST-OS-1.0_200912-01", "Windows Azure Guest OS 1.0 (Release 200912-01)", False, False),
            ("WA-GUEST-OS-1.61_201512-01", "Windows Azure Guest OS 1.61 (Release 201512-01)", False, True),
        ],
    ),
    (
        "2",
        "Windows Server 2008 R2",
        [
            ("WA-GUEST-OS-2.38_201505-01", "Windows Azure Guest OS 2.38 (Release 201505-01)", False, True),
        ],
    ),
    (
        "3",
        "Windows Server 2012",
        [
            ("WA-GUEST-OS-3.25_201505-01", "Windows Azure Guest OS 3.25 (Release 201505-01)", False, True),
        ],
    ),
    (
        "4",
        "Windows Server 2012 R2",
        [
            ("WA-GUEST-OS-4.20_201504-01", "Windows Azure Guest OS 4.20 (Release 201504-01)", False, True),
            ("WA-GUEST-OS-4.21_201505-01", "Windows Azure Guest OS 4.21 (Release 201505-01)", True, True),
        ],
    ),
]


def os_version_for(family: str) -> str:
    for name, _, versions in OS_FAMILIES:
        if name == family:
            return versions[-1][0]
    return OS_FAMILIES[-1][2][-1][0]


_IMAGE_BASES: Final[list[tuple[str, str, str, str]]] = [
    # (name, label, os, publisher)
    ("OpenLogic__OpenLogic-CentOS-62-20120531-en-us-30GB.vhd", "OpenLogic CentOS 6.2", "Linux", "OpenLogic"),
    ("OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd", "OpenLogic CentOS 6.2", "Linux", "OpenLogic"),
    (
        "b39f27a8b8c64d52b05eac6a62ebad85__Ubuntu-14_04_2-LTS-amd64-server-20150506-en-us-30GB",
        "Ubuntu Server 14.04.2-LTS",
        "Linux",
        "Canonical",
    ),
    (
        "a699494373c04fc0bc8f2bb1389d6106__Windows-Server-2012-R2-201505.01-en.us-127GB.vhd",
        "Windows Server 2012 R2 Datacenter, May 2015",
        "Windows",
        "Microsoft Windows Server Group",
    ),
    ("5112500ae3b842c8b9c604889f8753c3__OpenLogic-CentOS-71-20150410", "OpenLogic 7.1", "Linux", "OpenLogic"),
    (
        "0b11de9248dd4d87b18621318e037d37__RightImage-CentOS-6.5-x64-v14.1.5.1",
        "RightImage-CentOS-6.5-x64-v14.1.5.1",
        "Linux",
        "RightScale with Linux",
    ),
]


def public_images(count: int) -> list[Doc]:
    """``count`` public images: the recorded-looking ones first, then generated variants."""
    out: list[Doc] = []
    locations = ";".join(loc for loc, _, s in LOCATIONS if s != ["None"])
    for i in range(count):
        name, label, os_, publisher = _IMAGE_BASES[i % len(_IMAGE_BASES)]
        if i >= len(_IMAGE_BASES):
            name, label = f"{name}-v{i}", f"{label} (build {i})"
        out.append(
            {
                "name": name,
                "label": label,
                "os": os_,
                "category": "Public",
                "location": locations,
                "logical_size": 30 if os_ == "Linux" else 127,
                "media_link": None,
                "affinity_group": None,
                "description": f"{label} published by {publisher}.",
                "eula": None,
                "image_family": label,
                "published": "2015-05-06T07:00:00Z",
                "publisher": publisher,
                "os_state": None,
                "io_type": "Standard",
                "show_in_gui": True,
                "is_premium": False,
            }
        )
    return out


def subscription_doc(sub: str, created: float) -> Doc:
    return {
        "id": sub,
        "name": "Emulated Subscription",
        "status": "Active",
        "admin_email": "admin@emulator.invalid",
        "max_cores": 20,
        "max_storage": 100,
        "max_hosted": 20,
        "created": created,
    }

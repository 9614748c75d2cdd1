"""Provider metadata Airflow discovers through the ``apache_airflow_provider`` entry point.

Hand-written (there is no provider.yaml) and validated in tests against the installed
``provider_info.schema.json``, the same schema ``ProvidersManager`` uses. The connection form is
declared here (``conn-fields`` / ``ui-field-behaviour``, hyphenated keys) so Airflow 3.2+ renders
it without importing the hook; the hook keeps the Python methods for older UIs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_sm_provider.protocol import CONN_TYPE

INTEGRATION = "Azure Service Management (classic)"
HOOK_CLASS = "airflow_sm_provider.hooks.service_management.ServiceManagementHook"
#: The UI plugin (release timeline); Airflow imports it only in processes that load plugins.
PLUGIN_CLASS = "airflow_sm_provider.ui.plugin.AsmReleasePlugin"
#: Operator extra links (operators/links.py), listed so ``airflow providers links`` shows them.
EXTRA_LINKS = [
    f"airflow_sm_provider.operators.links.{name}"
    for name in ("AsmProductionUrlLink", "AsmStagingUrlLink", "AsmOperationLink", "AsmReleaseTimelineLink")
]

#: Operator modules the provider ships, one per resource family (see docs/design.md).
OPERATOR_MODULES = (
    "cloud_service",
    "deployment",
    "storage",
    "affinity_group",
    "os_image",
    "virtual_machine",
    "blue_green",
    "swap",
    "upgrade",
    "rolling_upgrade",
    "role_instances",
    "certificates",
    "reserved_ip",
    "disk",
)

_SECRET = {"type": ["string", "null"], "format": "password"}
_TEXT = {"type": ["string", "null"]}

#: Extra fields of the connection form; keys are the extras the hook reads (design.md section 2).
CONN_FIELDS: dict[str, dict[str, Any]] = {
    "subscription_id": {
        "label": "Subscription ID",
        "description": "The ASM subscription id (a GUID, e.g. 00000000-0000-0000-0000-000000000000). "
        "May be omitted when the certificate is a .publishsettings file that names one subscription.",
        "schema": _TEXT,
    },
    "certificate_private_key": {
        "label": "Management certificate (PEM, base64 PKCS#12 or .publishsettings)",
        "description": "The management certificate with its private key: PEM text, base64 of a "
        ".pfx/.p12 (set the password field), or the content of a .publishsettings file. Set "
        "either this or Certificate path, not both.",
        "schema": _SECRET,
    },
    "certificate_path": {
        "label": "Certificate path",
        "description": "Path, on every worker and triggerer, to a PEM (certificate + key), .pfx/.p12 "
        "or .publishsettings file, e.g. /opt/airflow/secrets/management.pem. Set either this or the "
        "certificate field, not both.",
        "schema": _TEXT,
    },
    "ca_bundle": {
        "label": "CA bundle",
        "description": "PEM file path (or PEM text) of the CA to trust for the management endpoint; "
        "empty = system trust store. Needed for the local emulator (its ca.pem) or a TLS-inspecting "
        "proxy.",
        "schema": _TEXT,
    },
    "verify": {
        "label": "Verify TLS",
        "description": "Verify the management endpoint's certificate. Turn off only for troubleshooting.",
        "schema": {"type": ["boolean", "null"], "default": True},
    },
    "x_ms_version": {
        "label": "x-ms-version",
        "description": "ASM API version header; empty = 2014-10-01.",
        "schema": _TEXT,
    },
    "timeout": {
        "label": "Request timeout (seconds)",
        "description": "Per HTTP request (connect + read); empty = 65.",
        "schema": {"type": ["number", "null"]},
    },
    "max_retries": {
        "label": "Max retries",
        "description": "Retries for throttling (429/503), exclusive-access conflicts, 5xx and "
        "connection errors; empty = the client's default.",
        "schema": {"type": ["integer", "null"]},
    },
    "requests_per_second": {
        "label": "Requests per second",
        "description": "This process's share of the subscription's request budget (a token bucket "
        "shared by every client and wait of the process); empty = 20.",
        "schema": {"type": ["number", "null"]},
    },
}

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "login"],
    "relabeling": {"host": "Management host or cloud", "password": "PKCS#12 password"},
    "placeholders": {
        "host": "public, china, usgovernment, or host[:port]",
        "password": "only for a password-protected .pfx/.p12",
        "subscription_id": "00000000-0000-0000-0000-000000000000",
        "certificate_private_key": "PEM: the certificate block, then its private key block",
        "certificate_path": "/opt/airflow/secrets/management.pem",
        "ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
        "x_ms_version": "2014-10-01",
        "timeout": "65",
        "max_retries": "5",
        "requests_per_second": "20",
    },
}


def _existing_operator_modules() -> list[str]:
    """Operator modules present in this installation (the list is only ever a subset)."""
    base = Path(__file__).parent / "operators"
    return [f"airflow_sm_provider.operators.{m}" for m in OPERATOR_MODULES if (base / f"{m}.py").is_file()]


def get_provider_info() -> dict[str, Any]:
    """Return the provider-info dict Airflow's ``ProvidersManager`` validates and registers."""
    info: dict[str, Any] = {
        "package-name": "airflow-sm-provider",
        "name": "Azure Service Management (classic)",
        "description": "Operators, sensors, deferrable triggers and a connection hook for the classic "
        "`Azure Service Management <https://learn.microsoft.com/en-us/previous-versions/azure/"
        "reference/ee460799(v=azure.100)>`__ REST API (cloud services, deployments, storage "
        "accounts, affinity groups, OS images, virtual machines), plus a local ASM emulator.",
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://learn.microsoft.com/en-us/previous-versions/azure/"
                "reference/ee460799(v=azure.100)",
                "tags": ["azure"],
            }
        ],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": HOOK_CLASS,
                "hook-name": INTEGRATION,
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
        "hooks": [
            {
                "integration-name": INTEGRATION,
                "python-modules": ["airflow_sm_provider.hooks.service_management"],
            }
        ],
        "sensors": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_sm_provider.sensors.operation",
                    "airflow_sm_provider.sensors.deployment",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_sm_provider.triggers.base",
                    "airflow_sm_provider.triggers.operation",
                    "airflow_sm_provider.triggers.deployment",
                    "airflow_sm_provider.triggers.release",
                ],
            }
        ],
        "plugins": [{"name": "airflow_sm_provider", "plugin-class": PLUGIN_CLASS}],
        "extra-links": EXTRA_LINKS,
    }
    operators = _existing_operator_modules()
    if operators:
        info["operators"] = [{"integration-name": INTEGRATION, "python-modules": operators}]
    return info

"""Deployments: create, read, swap, configure, upgrade, roll back, role instances (asm-wire 4.3).

The old SDK puts a ``/`` before ``?comp=`` on deployment actions; the real service accepted that
form, so the templates keep it. Non-idempotent actions reconcile by reading the deployment back.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client import validation as v
from airflow_sm_provider.client.models import Deployment
from airflow_sm_provider.client.operation import Op, P, Q, Reconcile, State, delete, read, reads_back
from airflow_sm_provider.client.operations import _checks as c
from airflow_sm_provider.client.operations import _params as common
from airflow_sm_provider.client.polling import int_of
from airflow_sm_provider.client.validation import InvalidInputError
from airflow_sm_provider.client.xmlmap import BOOL, STRLIST, F, Spec, b64decode_text
from airflow_sm_provider.client.xmlmodel import fields_of

DEPLOYMENT = "/services/hostedservices/{service_name}/deployments/{deployment_name}"
SLOT = "/services/hostedservices/{service_name}/deploymentslots/{deployment_slot}"
INSTANCE = P("role_instance_name", check=c.name)
BY_NAME = "{service_name}/deployments/{deployment_name}"
#: The label (base64) and extended properties the bodies send, as the Deployment model declares them.
LABEL_FIELD, PROPERTIES_FIELD = fields_of(Deployment, "label", "extended_properties")


def _in_slot(results: list[Any], args: Any) -> State:
    dep = results[0]
    if dep is None:
        return "absent"
    return "applied" if dep.name.lower() == args["name"].lower() else "unknown"


def _has_configuration(results: list[Any], args: Any) -> State:
    dep = results[0]
    if dep is None:
        return "unknown"
    return (
        "applied" if dep.configuration.strip() == b64decode_text(args["configuration"]).strip() else "absent"
    )


def _has_status(results: list[Any], args: Any) -> State:
    dep = results[0]
    if dep is None:
        return "unknown"
    target, current = args["status"], dep.status
    if current in (target, f"{target}Transitioning"):
        return "applied"
    if (target, current) in (("Running", "Starting"), ("Suspended", "Suspending")):
        return "applied"
    return "absent"


def _swapped(results: list[Any], args: Any) -> State:
    prod, staging = results
    source = args["source_deployment"].lower()
    if prod is not None and prod.name.lower() == source:
        return "applied"
    if staging is not None and staging.name.lower() == source:
        return "absent"
    return "unknown"


def _distinct(values: dict[str, Any]) -> None:
    prod, src = values["production"], values["source_deployment"]
    if prod and prod.lower() == src.lower():
        raise InvalidInputError(
            "source_deployment",
            f"production and source_deployment are both {src!r}: a swap needs the production deployment "
            "and the (different) staging deployment; pass production=None to move staging to production.",
        )


def _upgrading(results: list[Any], args: Any) -> State:
    """An upgrade (or walk, or rollback) in progress shows as ``UpgradeStatus``; else resend."""
    dep = results[0]
    if dep is None:
        return "unknown"
    return "applied" if getattr(dep, "upgrade_status", None) and dep.upgrade_status.upgrade_type else "absent"


def _walked(results: list[Any], args: Any) -> State:
    dep = results[0]
    status = getattr(dep, "upgrade_status", None) if dep is not None else None
    if status is None or not status.upgrade_type:
        return "unknown"
    return "applied" if (int_of(status.current_upgrade_domain) or 0) >= args["upgrade_domain"] else "absent"


def _instance(name: str, *query: Q) -> Op:
    """Reboot / reimage / rebuild one PaaS role instance: bodiless POSTs that converge, so a
    retry may resend them."""
    return Op(
        name,
        "POST",
        DEPLOYMENT + "/roleinstances/{role_instance_name}",
        (common.SERVICE_NAME, common.DEPLOYMENT_NAME, INSTANCE),
        query=query,
        target=BY_NAME + "/roleinstances/{role_instance_name}",
    )


#: Parameters and body elements that several deployment bodies share, each declared once.
CONFIG = P("configuration", "str | bytes", check=v.configuration)
PACKAGE_URL = P("package_url", check=v.package_url)
MODE = P("mode", check=c.upgrade_mode)  # required: upgrade, rollback (change configuration: "Auto")
FORCE = P("force", "bool", check=v.boolean)
TREAT_WARNINGS = P("treat_warnings_as_error", "bool", False, v.boolean)
CONFIGURATION_F = F("Configuration", "configuration")
MODE_F = F("Mode", "mode")
PACKAGE_URL_F = F("PackageUrl", "package_url")
TREAT_WARNINGS_F = F("TreatWarningsAsError", "treat_warnings_as_error", BOOL)
FORCE_F = F("Force", "force", BOOL)


def _action(name: str, comp: str, params: tuple[P, ...], body: Spec, *, decide: Any = None, **kw: Any) -> Op:
    """A deployment-level action: ``POST <deployment>/?comp=<comp>`` with the service and deployment
    names first, never resent blindly; with ``decide``, reconciled by reading the deployment back."""
    if decide is not None:
        kw["reconcile"] = reads_back(
            "get_deployment_by_name", "service_name", "deployment_name", decide=decide
        )
    return Op(
        name,
        "POST",
        DEPLOYMENT + "/",
        (common.SERVICE_NAME, common.DEPLOYMENT_NAME, *params),
        query=(Q("comp", comp),),
        body=body,
        resend=False,
        target=BY_NAME,
        **kw,
    )


OPS = (
    read(
        "get_deployment_by_slot",
        SLOT,
        common.SERVICE_NAME,
        P("deployment_slot", check=v.slot),
        result=Deployment,
    ),
    read(
        "get_deployment_by_name", DEPLOYMENT, common.SERVICE_NAME, common.DEPLOYMENT_NAME, result=Deployment
    ),
    Op(
        "create_deployment",
        "POST",
        SLOT,
        (
            common.SERVICE_NAME,
            P("deployment_slot", check=v.slot),
            P("name", check=c.name),
            PACKAGE_URL,
            common.LABEL,
            CONFIG,
            P("start_deployment", "bool", False, v.boolean),
            TREAT_WARNINGS,
            common.EXTENDED_PROPERTIES,
        ),
        body=Spec(
            "CreateDeployment",
            [
                F("Name", "name"),
                PACKAGE_URL_F,
                LABEL_FIELD,
                CONFIGURATION_F,
                F("StartDeployment", "start_deployment", BOOL),
                TREAT_WARNINGS_F,
                PROPERTIES_FIELD,
            ],
        ),
        resend=False,
        target="{service_name}/deploymentslots/{deployment_slot}",
        reconcile=reads_back("get_deployment_by_slot", "service_name", "deployment_slot", decide=_in_slot),
    ),
    delete("delete_deployment", DEPLOYMENT, common.SERVICE_NAME, common.DEPLOYMENT_NAME, media="delete_vhd"),
    Op(
        "swap_deployment",
        "POST",
        "/services/hostedservices/{service_name}",
        (
            common.SERVICE_NAME,
            P("production", "str | None", check=c.opt_name),
            P("source_deployment", check=c.name),
        ),
        body=Spec("Swap", [F("Production", "production"), F("SourceDeployment", "source_deployment")]),
        validate=_distinct,
        resend=False,
        target="{service_name}",
        reconcile=Reconcile(
            (
                ("get_deployment_by_slot", lambda a: (a["service_name"], "production")),
                ("get_deployment_by_slot", lambda a: (a["service_name"], "staging")),
            ),
            _swapped,
        ),
        doc="``production`` None or '' when the production slot is empty: the element is omitted (a move).",
    ),
    _action(
        "change_deployment_configuration",
        "config",
        (
            CONFIG,
            TREAT_WARNINGS,
            P("mode", "str", "Auto", c.mode),
            common.EXTENDED_PROPERTIES,
        ),
        Spec(
            "ChangeConfiguration",
            [CONFIGURATION_F, TREAT_WARNINGS_F, MODE_F, PROPERTIES_FIELD],
        ),
        decide=_has_configuration,
    ),
    _action(
        "update_deployment_status",
        "status",
        (P("status", check=v.deployment_status),),
        Spec("UpdateDeploymentStatus", [F("Status", "status")]),
        decide=_has_status,
    ),
    _action(
        "upgrade_deployment",
        "upgrade",
        (
            MODE,
            PACKAGE_URL,
            CONFIG,
            common.LABEL,
            FORCE,
            P("role_to_upgrade", "str | None", None, c.opt_name),
            common.EXTENDED_PROPERTIES,
        ),
        Spec(
            "UpgradeDeployment",
            [
                MODE_F,
                PACKAGE_URL_F,
                CONFIGURATION_F,
                LABEL_FIELD,
                F("RoleToUpgrade", "role_to_upgrade"),
                FORCE_F,
                PROPERTIES_FIELD,
            ],
        ),
        decide=_upgrading,
        doc="Start an in-place upgrade; with ``mode='Manual'`` walk it with ``walk_upgrade_domain``.",
    ),
    _action(
        "walk_upgrade_domain",
        "walkupgradedomain",
        (P("upgrade_domain", "int", check=c.upgrade_domain),),
        Spec("WalkUpgradeDomain", [F("UpgradeDomain", "upgrade_domain")]),
        decide=_walked,
    ),
    _action(
        "rollback_update_or_upgrade",
        "rollback",
        (MODE, FORCE),
        Spec("RollbackUpdateOrUpgrade", [MODE_F, FORCE_F]),
    ),
    # --- role instances (PaaS): reboot/reimage/rebuild converge, so a retry may resend -------------
    _instance("reboot_role_instance", Q("comp", "reboot")),
    _instance("reimage_role_instance", Q("comp", "reimage")),
    _instance("rebuild_role_instance", Q("comp", "rebuild"), Q("resources", "allLocalDrives")),
    Op(
        "delete_role_instances",
        "POST",
        DEPLOYMENT + "/roleinstances/",
        (
            common.SERVICE_NAME,
            common.DEPLOYMENT_NAME,
            P("role_instance_names", "Sequence[str]", check=c.names),
        ),
        query=(Q("comp", "delete"),),
        body=Spec("RoleInstances", [F("", "role_instance_names", STRLIST, item="Name")]),
        resend=False,
        target=BY_NAME,
    ),
)

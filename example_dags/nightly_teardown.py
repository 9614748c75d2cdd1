"""Nightly teardown of ephemeral environments: deployments, cloud services, storage, disks, reserved IPs.

Test and preview environments are cheap to create and expensive to forget. Every night this DAG
finds the ones *marked* ephemeral and deletes them; nothing else is ever touched:

* a cloud service or storage account is ephemeral when it carries the extended property
  ``ephemeral_property`` = ``ephemeral_value`` (default ``ephemeral=true``) **and** its name starts
  with ``name_prefix`` (default ``eph-``; storage names allow only lower-case letters and digits, so
  for them the prefix is compared without other characters: ``eph``). ``match="any"`` accepts either
  marker alone; an empty marker is not used, and at least one must be configured.
* ``find_ephemeral`` lists what it found and why (its XCom is the plan); with ``dry_run=True`` the
  plan is all that happens: the ``*_to_delete`` lists are empty and the delete tasks are skipped.
* one mapped task per deployment (``.expand_kwargs``), then one per cloud service and one per storage
  account (``.expand``): each resource is its own task instance, with its own log and retry.
* then ``find_leftovers`` lists what keeps costing money once the services are gone: disks of the
  repository attached to no VM role, and reserved IPs associated with no deployment, whose names
  start with ``name_prefix`` (they carry no extended properties, so the prefix alone marks them;
  with a prefix shorter than 3 characters none is touched). It runs after the deletes, so the
  disks of VMs deleted tonight are found too (a dry run lists only those already free). Each is
  deleted by its own mapped task (``delete_disks``, also deleting the VHD blob unless
  ``delete_vhds`` is False, and ``delete_reserved_ips``); one attached or associated in between is
  refused by the operator before any request, so nothing in use is touched.

Scheduled: it deletes only what carries both markers (by default; a disk or reserved IP: the prefix,
and only when nothing uses it), and the markers are validated params. To keep teardown from racing
a release, name the one-slot pool of ``blue_green_release`` in ``WRITER_POOL`` (optional; the pool
must exist). Parsing this file reads no environment and makes no network call: the connection
(param ``asm_conn_id``) is used only by tasks.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_sm_provider.operators.cloud_service import AsmDeleteCloudServiceOperator
from airflow_sm_provider.operators.deployment import AsmDeleteDeploymentOperator
from airflow_sm_provider.operators.disk import AsmDeleteDiskOperator
from airflow_sm_provider.operators.reserved_ip import AsmDeleteReservedIpOperator
from airflow_sm_provider.operators.storage import AsmDeleteStorageAccountOperator

#: Optional one-slot pool shared with the other writing DAGs (see ``blue_green_release``).
WRITER_POOL: str | None = None
log = logging.getLogger(__name__)


def is_ephemeral(
    name: str, props: dict[str, str], params: dict[str, Any], *, storage: bool = False
) -> str | None:
    """Why ``name`` is ephemeral (a short reason), or None when it must be left alone."""
    prefix = str(params.get("name_prefix") or "")
    if storage:
        prefix = re.sub(r"[^a-z0-9]", "", prefix.lower())
    key, want = str(params.get("ephemeral_property") or ""), str(params.get("ephemeral_value") or "")
    markers: list[bool] = []
    reasons: list[str] = []
    if prefix:
        markers.append(name.lower().startswith(prefix.lower()))
        reasons.append(f"name starts with {prefix!r}")
    if key:
        have = {k.lower(): v for k, v in props.items()}.get(key.lower())
        markers.append(have is not None and have.strip().lower() == want.strip().lower())
        reasons.append(f"{key}={want}")
    if not markers:
        raise ValueError(
            "Configure name_prefix and/or ephemeral_property: refusing to treat everything as ephemeral"
        )
    matched = any(markers) if params.get("match") == "any" else all(markers)
    if not matched:
        return None
    return " and ".join(r for r, m in zip(reasons, markers, strict=True) if m)


#: Disks and reserved IPs are marked by their name alone and deleted with their VHDs: a prefix shorter
#: than this (``name_prefix="e"`` typed at trigger time) marks no environment, so none is touched.
LEFTOVER_PREFIX_MIN = 3


def in_environment(name: str, params: dict[str, Any]) -> str | None:
    """Why a disk or reserved IP belongs to the ephemeral environments (its name prefix), or None."""
    prefix = str(params.get("name_prefix") or "")
    if len(prefix) >= LEFTOVER_PREFIX_MIN and name.lower().startswith(prefix.lower()):
        return f"name starts with {prefix!r}"
    return None


def log_plan(found: list[dict[str, str]], dry: bool) -> None:
    """One line per resource found: DELETE, or WOULD DELETE on a dry run, with why."""
    for item in found:
        log.info(
            "%s %s %s (%s)", "WOULD DELETE" if dry else "DELETE", item["kind"], item["name"], item["why"]
        )


with DAG(
    dag_id="nightly_teardown",
    description="Delete ephemeral (marked) cloud services, deployments, storage, free disks and IPs.",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "pool": WRITER_POOL or "default_pool"},
    tags=["asm", "teardown", "example"],
    doc_md=__doc__,
    params={
        "name_prefix": Param("eph-", type="string", description="Name prefix marking ephemeral resources."),
        "ephemeral_property": Param("ephemeral", type="string", description="Extended property name."),
        "ephemeral_value": Param("true", type="string", description="Its value marking ephemeral."),
        "match": Param("all", enum=["all", "any"], description="Need all configured markers, or any."),
        "dry_run": Param(False, type="boolean", description="List what would be deleted; delete nothing."),
        "asm_conn_id": Param("asm_default", type="string", minLength=1, description="The ASM connection."),
        "delete_vhds": Param(True, type="boolean", description="Delete a free disk's VHD blob too."),
        "poll_interval": Param(15, type="number", exclusiveMinimum=0, description="Seconds between checks."),
    },
) as dag:

    @task(pool="default_pool")
    def find_ephemeral(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Read-only: list marked services (with their deployments) and storage accounts; log the plan."""
        from airflow_sm_provider.hooks.service_management import ServiceManagementHook

        p = params or {}
        client = ServiceManagementHook(asm_conn_id=str(p["asm_conn_id"])).get_conn()
        services: list[str] = []
        deployments: list[dict[str, str]] = []
        found: list[dict[str, str]] = []
        for hs in client.list_hosted_services():
            svc = client.get_hosted_service_properties(hs.service_name, embed_detail=True)
            why = is_ephemeral(svc.service_name, svc.hosted_service_properties.extended_properties, p)
            if why is None:
                continue
            services.append(svc.service_name)
            found.append({"kind": "cloud service", "name": svc.service_name, "why": why})
            for dep in svc.deployments:
                deployments.append({"service_name": svc.service_name, "deployment_name": dep.name})
                found.append({"kind": "deployment", "name": f"{svc.service_name}/{dep.name}", "why": why})
        accounts: list[str] = []
        for sa in client.list_storage_accounts():
            props = client.get_storage_account_properties(sa.service_name).extended_properties
            why = is_ephemeral(sa.service_name, props, p, storage=True)
            if why is not None:
                accounts.append(sa.service_name)
                found.append({"kind": "storage account", "name": sa.service_name, "why": why})
        dry = bool(p.get("dry_run"))
        log_plan(found, dry)
        if dry:
            return {"plan": found, "deployments": [], "services": [], "storage_accounts": [], "dry_run": True}
        return {
            "plan": found,
            "deployments": deployments,
            "services": services,
            "storage_accounts": accounts,
            "dry_run": False,
        }

    @task(pool="default_pool", trigger_rule="none_failed")
    def find_leftovers(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Read-only, after the deletes: free disks and reserved IPs named like the environments."""
        from airflow_sm_provider.hooks.service_management import ServiceManagementHook

        p = params or {}
        client = ServiceManagementHook(asm_conn_id=str(p["asm_conn_id"])).get_conn()
        found: list[dict[str, str]] = []
        disks: list[str] = []
        for disk in client.list_disks():
            why = in_environment(disk.name, p)
            if why is None:
                continue
            if disk.attached_to is not None and disk.attached_to.role_name:
                log.info("KEEP disk %s: attached to VM role %s", disk.name, disk.attached_to.role_name)
                continue
            disks.append(disk.name)
            found.append({"kind": "disk", "name": disk.name, "why": f"{why}, attached to no VM"})
        ips: list[str] = []
        for ip in client.list_reserved_ip_addresses():
            why = in_environment(ip.name, p)
            if why is None:
                continue
            if ip.in_use or ip.service_name:
                log.info("KEEP reserved IP %s: in use by %s/%s", ip.name, ip.service_name, ip.deployment_name)
                continue
            ips.append(ip.name)
            found.append({"kind": "reserved IP", "name": ip.name, "why": f"{why}, associated with none"})
        dry = bool(p.get("dry_run"))
        log_plan(found, dry)
        return {
            "plan": found,
            "disks": [] if dry else disks,
            "reserved_ips": [] if dry else ips,
            "dry_run": dry,
        }

    @task(pool="default_pool")
    def targets(plan: dict[str, Any], kind: str) -> list[Any]:
        """One list of the plan, as the input of a mapped delete task (empty on a dry run)."""
        return list(plan[kind])

    # The XComArg ``plan`` resolves to the dict at run time; mypy only sees the XComArg.
    plan = find_ephemeral()
    deployments = targets.override(task_id="deployments_to_delete")(plan, "deployments")  # type: ignore[arg-type]
    services = targets.override(task_id="services_to_delete")(plan, "services")  # type: ignore[arg-type]
    accounts = targets.override(task_id="storage_accounts_to_delete")(plan, "storage_accounts")  # type: ignore[arg-type]
    polling = {"asm_conn_id": "{{ params.asm_conn_id }}", "poll_interval": "{{ params.poll_interval }}"}
    delete_deployments = AsmDeleteDeploymentOperator.partial(
        task_id="delete_deployments", if_missing="ignore", **polling
    ).expand_kwargs(deployments)
    delete_services = AsmDeleteCloudServiceOperator.partial(
        task_id="delete_cloud_services",
        if_missing="ignore",
        **polling,
        # Runs when there were no deployments to delete (that mapped task is then skipped).
        trigger_rule="none_failed",
    ).expand(service_name=services)
    delete_storage = AsmDeleteStorageAccountOperator.partial(
        task_id="delete_storage_accounts", if_missing="ignore", **polling
    ).expand(service_name=accounts)
    delete_deployments >> delete_services
    leftovers = find_leftovers()
    [delete_services, delete_storage] >> leftovers
    disks = targets.override(task_id="disks_to_delete")(leftovers, "disks")  # type: ignore[arg-type]
    ips = targets.override(task_id="reserved_ips_to_delete")(leftovers, "reserved_ips")  # type: ignore[arg-type]
    AsmDeleteDiskOperator.partial(
        task_id="delete_disks", if_missing="ignore", delete_vhd="{{ params.delete_vhds }}", **polling
    ).expand(disk_name=disks)
    AsmDeleteReservedIpOperator.partial(task_id="delete_reserved_ips", if_missing="ignore", **polling).expand(
        name=ips
    )

"""In-place rolling upgrade of a classic Cloud Service, one upgrade domain at a time, behind gates.

The other release strategy beside the blue-green VIP swap (``docs/rolling-upgrade.md``): the
deployment in ``deployment_slot`` (default production) is upgraded in place, so no second
deployment and no swap are needed, and the upgrade domains not walked yet keep serving the
previous build. What one run does:

1. ``prepare``: checks the params (the ``.cscfg`` file, the certificate file) before anything is
   touched.
2. ``upload_certificate``: uploads the service certificate (``.pfx``) the HTTPS endpoints need --
   only if the cloud service does not hold it yet (same thumbprint: nothing is sent). Skipped when
   the ``certificate_path`` param is empty. The ``.pfx`` password comes from the Airflow Variable
   ``asm_service_certificate_password`` (never a param: params are shown in the UI).
3. ``rolling_upgrade``: checks health first (a deployment already failing it is refused unless
   the ``allow_unhealthy_start`` param is set: a hotfix), then Upgrade Deployment in ``Manual``
   mode, then each upgrade domain is walked in turn; after each walk it waits (deferred, in the
   triggerer) until that domain's instances are ``ReadyRole`` and the health check passes for
   ``domain_bake_seconds``. A failing domain rolls the whole upgrade back (the domains not reached
   never change) and fails the run. With ``require_approval`` a human approves each next domain
   (Airflow's Required Actions). Its XCom ``release_report`` is the release record (one timeline
   lane per domain).

Triggered only, with its params (no schedule). ``.cscfg`` files are Jinja templates in ``config/``
next to this file. ``WRITER_POOL`` as in ``blue_green_release``. Parsing this file reads no
environment and makes no network call.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_sm_provider.operators.certificates import AsmAddServiceCertificateOperator
from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator

#: ``.cscfg`` files are looked up here (the DAG's ``template_searchpath``), next to this file.
CONFIG_DIR = Path(__file__).resolve().parent / "config"
#: Optional one-slot pool shared by every DAG writing to the subscription (see blue_green_release).
WRITER_POOL: str | None = None
CSCFG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.cscfg$")
#: The Airflow Variable holding the .pfx password.
PASSWORD_VARIABLE = "asm_service_certificate_password"  # noqa: S105 -- a Variable name, not a password


with DAG(
    dag_id="rolling_upgrade",
    description="Upload the service certificate if missing; guarded in-place upgrade, domain by domain.",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "retry_delay": timedelta(minutes=1), "pool": WRITER_POOL or "default_pool"},
    template_searchpath=[str(CONFIG_DIR)],
    tags=["asm", "rolling-upgrade", "example"],
    doc_md=__doc__,
    params={
        "service_name": Param(
            type="string",
            pattern="^[A-Za-z0-9][A-Za-z0-9-]{1,61}[A-Za-z0-9]$",
            description="The cloud service.",
        ),
        "deployment_slot": Param(
            "production", enum=["production", "staging"], description="Which deployment."
        ),
        "package_url": Param(type="string", pattern="^https://", description="https URL of the new .cspkg."),
        "cscfg": Param(type="string", pattern=CSCFG_NAME.pattern, description="A .cscfg file in config/."),
        "label": Param(type="string", minLength=1, maxLength=100, description="The deployment's new label."),
        "certificate_path": Param("", type="string", description="A .pfx file on the worker; empty: none."),
        "domain_bake_seconds": Param(
            60, type="integer", minimum=0, description="Watch each domain this long."
        ),
        "require_approval": Param(False, type="boolean", description="Ask before each next domain."),
        "allow_unhealthy_start": Param(
            False, type="boolean", description="Upgrade even if production already fails its health check."
        ),
        "asm_conn_id": Param("asm_default", type="string", minLength=1, description="The ASM connection."),
        "poll_interval": Param(15, type="number", exclusiveMinimum=0, description="Seconds between checks."),
    },
) as dag:

    @task(pool="default_pool")
    def prepare(params: dict[str, Any] | None = None) -> dict[str, str]:
        """Validate the files the params name before anything is changed."""
        p = params or {}
        name = str(p["cscfg"])
        if not CSCFG_NAME.match(name) or not (CONFIG_DIR / name).is_file():
            raise ValueError(f"cscfg {name!r} is not a .cscfg file in {CONFIG_DIR}")
        cert = str(p.get("certificate_path") or "")
        if cert and not Path(cert).is_file():
            raise ValueError(f"certificate_path {cert!r} is not a file on this worker")
        return {"service_name": str(p["service_name"])}

    @task.short_circuit(pool="default_pool", ignore_downstream_trigger_rules=False)
    def certificate_given(params: dict[str, Any] | None = None) -> bool:
        """Skip the upload (only) when no certificate is named."""
        return bool((params or {}).get("certificate_path"))

    conn, poll = "{{ params.asm_conn_id }}", "{{ params.poll_interval }}"
    upload = AsmAddServiceCertificateOperator(
        task_id="upload_certificate",
        service_name="{{ params.service_name }}",
        certificate_path="{{ params.certificate_path }}",
        certificate_format="pfx",
        password_variable=PASSWORD_VARIABLE,
        if_exists="reuse",
        asm_conn_id=conn,
        poll_interval=poll,
    )
    upgrade = AsmGuardedRollingUpgradeOperator(
        task_id="rolling_upgrade",
        service_name="{{ params.service_name }}",
        deployment_slot="{{ params.deployment_slot }}",
        package_url="{{ params.package_url }}",
        configuration="{% include params.cscfg %}",
        deployment_label="{{ params.label }}",
        domain_bake_seconds="{{ params.domain_bake_seconds }}",
        require_approval="{{ params.require_approval }}",
        allow_unhealthy_start="{{ params.allow_unhealthy_start }}",
        trigger_rule="none_failed",
        asm_conn_id=conn,
        poll_interval=poll,
        bake_interval=poll,
        health_interval=poll,
    )
    prepare() >> certificate_given() >> upload >> upgrade

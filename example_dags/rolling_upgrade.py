"""In-place rolling upgrade of a classic Cloud Service, one upgrade domain at a time, behind gates.

The other release strategy beside the blue-green VIP swap (``docs/rolling-upgrade.md``): the
deployment in ``deployment_slot`` (default production) is upgraded in place, so no second
deployment and no swap are needed, and the upgrade domains not walked yet keep serving the
previous build. What one run does:

1. ``prepare``: checks the params (package URL, ``.cscfg`` file or XML) before anything is touched.
2. ``upload_certificate``: uploads the service certificate the HTTPS endpoints need -- only if the
   cloud service does not hold it yet (same thumbprint: nothing is sent). Skipped when the
   ``certificate`` param is empty. The ``.pfx`` password comes from the Airflow Variable
   ``asm_service_certificate_password`` (never a param: params are shown in the UI).
3. ``rolling_upgrade``: Upgrade Deployment in ``Manual`` mode, then each upgrade domain is walked
   in turn; after each walk it waits (deferred, in the triggerer) until that domain's instances are
   ``ReadyRole`` and the health check passes for ``domain_bake_seconds``. A failing domain rolls the
   whole upgrade back (the domains not reached never change) and fails the run. Its XCom
   ``release_report`` is the release record (one timeline lane per domain).

``max_active_runs=1`` and the pool ``asm_blue_green`` (shared with ``blue_green_release``) keep two
writers off one cloud service. Environment as for ``blue_green_release``: ``ASM_CONN_ID``,
``ASM_RELEASE_POOL``, ``ASM_EXAMPLE_POLL_INTERVAL``, ``ASM_EXAMPLE_CONFIG_DIR``, and
``ASM_EXAMPLE_CERT_DIR`` (where certificate file names are looked up; a param reads nothing
outside it). Parsing this file makes no network call.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_sm_provider.operators.certificates import AsmAddServiceCertificateOperator
from airflow_sm_provider.operators.rolling_upgrade import AsmGuardedRollingUpgradeOperator

CONN_ID = os.environ.get("ASM_CONN_ID", "asm_default")
POOL = os.environ.get("ASM_RELEASE_POOL", "asm_blue_green")
POLL = float(os.environ.get("ASM_EXAMPLE_POLL_INTERVAL", "15"))
CONFIG_DIR = Path(os.environ.get("ASM_EXAMPLE_CONFIG_DIR", Path(__file__).parent / "config")).resolve()
CERT_DIR = Path(os.environ.get("ASM_EXAMPLE_CERT_DIR", Path(__file__).parent / "certs")).resolve()


def _under(base: Path, name: str, what: str) -> Path:
    path = (base / name).resolve()
    if base not in path.parents or not path.is_file():
        raise ValueError(f"{what} {name!r} is not a file under {base}")
    return path


def cscfg_text(value: str) -> str:
    """A Jinja filter: the ``.cscfg`` XML itself, or the file it names under ``CONFIG_DIR``."""
    text = (value or "").strip()
    return text if text.startswith("<") else _under(CONFIG_DIR, text, "cscfg").read_text(encoding="utf-8-sig")


def cert_path(value: str) -> str:
    """A Jinja filter: the path of the certificate file named under ``CERT_DIR``."""
    return str(_under(CERT_DIR, (value or "").strip(), "certificate"))


with DAG(
    dag_id="rolling_upgrade",
    description="Upload the service certificate if missing; guarded in-place upgrade, domain by domain.",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "pool": POOL, "retry_delay": timedelta(minutes=1)},
    user_defined_filters={"cscfg": cscfg_text, "certpath": cert_path},
    tags=["asm", "rolling-upgrade", "example"],
    doc_md=__doc__,
    params={
        "service_name": Param("rolling-demo", type="string", description="The cloud service."),
        "deployment_slot": Param(
            "production", enum=["production", "staging"], description="Which deployment."
        ),
        "package_url": Param(
            "https://examplestore.blob.core.windows.net/packages/app-r2.cspkg",
            type="string",
            pattern="^https://",
            description="https URL of the new .cspkg.",
        ),
        "cscfg": Param("r2.cscfg", type="string", description="The new .cscfg XML, or a file under config/."),
        "label": Param("r2", type="string", minLength=1, maxLength=100, description="The new label."),
        "certificate": Param(
            "", type="string", description="Service certificate (.pfx) under certs/; empty: none."
        ),
        "domain_bake_seconds": Param(
            60, type="integer", minimum=0, description="Watch each domain this long."
        ),
        "require_approval": Param(False, type="boolean", description="Ask before each next domain."),
    },
) as dag:

    @task(pool="default_pool")
    def prepare(params: dict[str, Any] | None = None) -> dict[str, str]:
        """Validate the params before anything is changed."""
        p = params or {}
        cscfg_text(str(p["cscfg"]))
        if p.get("certificate"):
            cert_path(str(p["certificate"]))
        return {"service_name": str(p["service_name"])}

    @task.short_circuit(pool="default_pool", ignore_downstream_trigger_rules=False)
    def certificate_given(params: dict[str, Any] | None = None) -> bool:
        """Skip the upload (only) when no certificate is named."""
        return bool((params or {}).get("certificate"))

    upload = AsmAddServiceCertificateOperator(
        task_id="upload_certificate",
        asm_conn_id=CONN_ID,
        service_name="{{ params.service_name }}",
        certificate_path="{{ params.certificate | certpath }}",
        certificate_format="pfx",
        password_variable="asm_service_certificate_password",  # noqa: S106 -- a Variable name, not a password
        if_exists="reuse",
        poll_interval=POLL,
    )
    upgrade = AsmGuardedRollingUpgradeOperator(
        task_id="rolling_upgrade",
        asm_conn_id=CONN_ID,
        service_name="{{ params.service_name }}",
        deployment_slot="{{ params.deployment_slot }}",
        package_url="{{ params.package_url }}",
        configuration="{{ params.cscfg | cscfg }}",
        deployment_label="{{ params.label }}",
        domain_bake_seconds="{{ params.domain_bake_seconds }}",
        bake_interval=max(POLL, 1.0),
        poll_interval=POLL,
        health_interval=min(POLL, 2.0),
        trigger_rule="none_failed",
        require_approval="{{ params.require_approval }}",
    )
    prepare() >> certificate_given() >> upload >> upgrade

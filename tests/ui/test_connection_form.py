"""The connection form in the real Airflow UI, driven by headless Chromium (marker ``ui``).

Starts ``airflow api-server`` on a fresh AIRFLOW_HOME (migrated SQLite DB, simple auth manager in
all-admins mode, ``[core] test_connection = Enabled``), opens Admin > Connections > Add Connection,
chooses "Azure Service Management (classic)", checks the provider's labels and placeholders, fills the
form for the ``asm_emulator`` fixture, saves, presses "Test Connection" and reads the success toast.
Screenshots the filled form into the test's tmp dir; with ``ASM_UI_UPDATE_SCREENSHOT=1`` also into
docs/img/connection-form.png (used by docs/getting-started.md), so normal runs leave the tree clean.

Needs the Debian packages ``chromium`` (and ``chromium-driver`` is not used: Playwright drives the
binary over CDP) and the Python package ``playwright`` (never ``playwright install``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.get_provider_info import UI_FIELD_BEHAVIOUR

from .conftest import chromium

pytestmark = pytest.mark.ui

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "img" / "connection-form.png"
HOOK_NAME = "Azure Service Management (classic)"
CONN_ID = "asm_ui_test"

# What the form must show: standard field -> (label, placeholder); extra field -> label. The
# placeholders are the provider's declared ones: the test checks the UI shows what we declare.
_PLACEHOLDERS = UI_FIELD_BEHAVIOUR["placeholders"]
STANDARD_FIELDS = {
    "host": ("Management host or cloud", _PLACEHOLDERS["host"]),
    "password": ("PKCS#12 password", _PLACEHOLDERS["password"]),
}
EXTRA_LABELS = {
    "subscription_id": "Subscription ID",
    "certificate_private_key": "Management certificate (PEM, base64 PKCS#12 or .publishsettings)",
    "certificate_path": "Certificate path",
    "ca_bundle": "CA bundle",
    "verify": "Verify TLS",
    "x_ms_version": "x-ms-version",
    "timeout": "Request timeout (seconds)",
    "max_retries": "Max retries",
    "requests_per_second": "Requests per second",
}
HIDDEN_STANDARD_LABELS = ("Login", "Port", "Schema")


def _airflow_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(p) for p in version("apache-airflow").split(".")[:3] if p.isdigit())


# apache/airflow#73298 was merged after 3.3.2 was released.
_NEEDS_PORT_FIX = _airflow_version() <= (3, 3, 2)


def _fix_portless_test_request(route: Any, counter: list[int]) -> None:
    """Work around apache/airflow#73298 (fixed after 3.3.2).

    The UI's "Test Connection" button sends ``port: Number(null) == 0`` for a connection without a
    port; Airflow 3.3.2's API then answers 400 "The host or port to test differs from the stored
    connection". This provider hides the port field, so every one of its connections is portless.
    Sending ``null`` is what the upstream fix makes the API accept; nothing else is changed.
    """
    body = json.loads(route.request.post_data or "{}")
    if body.get("port") == 0:
        body["port"] = None
        counter.append(1)
    route.continue_(post_data=json.dumps(body))


def test_add_connection_form_and_test_button(api_server: str, asm_emulator: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    ep = asm_emulator.endpoint
    rewritten: list[int] = []
    with chromium({"width": 1280, "height": 1500}) as (_pw, ctx):
        page = ctx.new_page()
        if _NEEDS_PORT_FIX:
            page.route(
                "**/api/v2/connections/test", lambda route: _fix_portless_test_request(route, rewritten)
            )
        page.goto(f"{api_server}/connections")
        page.get_by_role("button", name="Add Connection").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Connection ID").fill(CONN_ID)

        combo = dialog.get_by_role("combobox").first
        combo.click()
        combo.press_sequentially("Azure Service Management")
        page.get_by_role("option", name=HOOK_NAME).click()
        expect(dialog.get_by_text(HOOK_NAME, exact=True)).to_be_visible()

        # Standard fields: relabelled, with placeholders; login/port/schema hidden.
        for name, (label, placeholder) in STANDARD_FIELDS.items():
            field = dialog.locator(f"input[name='{name}']")
            expect(field).to_be_visible()
            expect(dialog.get_by_text(label, exact=True)).to_be_visible()
            assert placeholder in (field.get_attribute("placeholder") or ""), name
        for hidden in HIDDEN_STANDARD_LABELS:
            expect(dialog.get_by_text(hidden, exact=True)).to_have_count(0)

        dialog.locator("input[name='host']").fill(ep["host"])

        # Extra fields: the provider's labels; the certificate text is a password input.
        dialog.get_by_role("button", name="Extra Fields", exact=True).click()
        for name, label in EXTRA_LABELS.items():
            expect(dialog.locator(f"input[name='element_{name}']")).to_have_count(1)
            expect(dialog.locator("label", has_text=label).first).to_be_visible()
        key_input = dialog.locator("input[name='element_certificate_private_key']")
        assert key_input.get_attribute("type") == "password"

        dialog.locator("input[name='element_subscription_id']").fill(ep["subscription_id"])
        dialog.locator("input[name='element_certificate_path']").fill(ep["client_pem"])
        dialog.locator("input[name='element_ca_bundle']").fill(ep["ca_cert"])
        shot = tmp_path / SCREENSHOT.name
        dialog.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get("ASM_UI_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(shot, SCREENSHOT)

        dialog.get_by_role("button", name="Save").click()
        row = page.get_by_role("row").filter(has_text=CONN_ID)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("azure_service_management")

        row.get_by_role("button", name="Test Connection").click()
        toast = page.get_by_role("status").filter(has_text="Test Connection")
        expect(toast.first).to_be_visible()
        text = toast.first.inner_text()
        assert "Test Connection Successful" in text, text
        assert f"Connected to subscription {ep['subscription_id']}" in text, text
        assert ep["thumbprint"] in text, text
    if _NEEDS_PORT_FIX:
        assert rewritten, "expected the UI to send port 0 for a portless connection (apache/airflow#73298)"

"""Bad input, one test per case: a clear error naming the field, raised before any request.

"Before any request" is checked on the emulator itself: a never-firing fault rule counts every
request that reaches it (``conftest.count_rule``) and must read 0 after the bad call. Cases whose
point is the network (unknown host, wrong CA) check that no HTTP request reached the service and
that the error explains the cause.

Levels: the client (``ServiceManagementClient``), the hook (connection fields) and the operators
(at construction for static values; after rendering for templated ones, in a real DAG run).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import client_for, count_rule, matched
from relkit import cert_pem, key_pem, make_cert, pfx, rsa_key

from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client.errors import (
    CertificateError,
    InvalidInputError,
    TransportError,
)

CSCFG = (
    '<ServiceConfiguration serviceName="svc" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
    'ServiceConfiguration"><Role name="WebRole"><Instances count="1"/></Role></ServiceConfiguration>'
)
PKG = "https://example.blob.core.windows.net/packages/app.cspkg"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from airflow_sm_provider.emulator import Emulator

    with Emulator(tmp_path_factory.mktemp("badinput-emu"), speed=200) as emulator:
        yield emulator


@pytest.fixture
def ep(emu: Any) -> dict[str, Any]:
    return dict(emu.endpoint)


@pytest.fixture
def quiet(emu: Any) -> Iterator[Any]:
    """Yields a checker; at the end asserts that the emulator received no request at all."""
    emu.clear_faults()
    rule = count_rule(emu)
    yield emu
    assert matched(emu, rule) == 0, "a request reached the emulator"
    emu.clear_faults()


@pytest.fixture
def sms(ep: dict[str, Any]) -> Iterator[ServiceManagementClient]:
    with client_for(ep) as client:
        yield client


@contextmanager
def bad(field: str, *words: str, kind: type[Exception] = InvalidInputError) -> Iterator[None]:
    """Expect ``kind`` naming ``field`` (``.field`` for InvalidInputError, else in the text)."""
    with pytest.raises(kind) as info:
        yield
    exc = info.value
    text = str(exc)
    if isinstance(exc, InvalidInputError):
        assert exc.field == field, (exc.field, text)
    else:
        assert field.lower() in text.lower(), text
    for word in words:
        assert word.lower() in text.lower(), text


# ==================================================================================================
# client level: resource arguments
# ==================================================================================================
def test_service_name_with_invalid_characters(quiet: Any, sms: Any) -> None:
    with bad("service_name", "cloudapp.net"):
        sms.create_hosted_service("bad_name!", "label", location="West Europe")


def test_service_name_too_long(quiet: Any, sms: Any) -> None:
    with bad("service_name"):
        sms.create_hosted_service("a" * 64, "label", location="West Europe")


def test_service_name_starting_with_hyphen(quiet: Any, sms: Any) -> None:
    with bad("service_name", "starting with a letter"):
        sms.create_hosted_service("-svc", "label", location="West Europe")


def test_service_name_with_path_characters_on_read(quiet: Any, sms: Any) -> None:
    """Reads accept any name that can exist, but never one that would change the URL path."""
    with bad("service_name", "'/'"):
        sms.get_hosted_service_properties("svc/../../subscriptions")


def test_storage_name_with_capitals(quiet: Any, sms: Any) -> None:
    with bad("service_name", "lowercase"):
        sms.create_storage_account("MyStorage", "d", "label", location="West Europe")


def test_storage_name_too_short(quiet: Any, sms: Any) -> None:
    with bad("service_name", "3-24"):
        sms.create_storage_account("ab", "d", "label", location="West Europe")


def test_deployment_name_with_slash(quiet: Any, sms: Any) -> None:
    # the old SDK's argument name is ``name`` (create_deployment(service_name, slot, name, ...))
    with bad("name", "'/'"):
        sms.create_deployment("svc", "staging", "v1/../x", PKG, "label", CSCFG)


def test_label_over_100_characters(quiet: Any, sms: Any) -> None:
    with bad("label", "limit is 100"):
        sms.create_hosted_service("svc", "x" * 101, location="West Europe")


def test_description_over_1024_characters(quiet: Any, sms: Any) -> None:
    with bad("description", "limit is 1024"):
        sms.create_hosted_service("svc", "label", description="d" * 1025, location="West Europe")


def test_deployment_label_over_limit(quiet: Any, sms: Any) -> None:
    with bad("label"):
        sms.create_deployment("svc", "staging", "v1", PKG, "l" * 101, CSCFG)


def test_wrong_slot_on_create(quiet: Any, sms: Any) -> None:
    with bad("deployment_slot", "production", "staging"):
        sms.create_deployment("svc", "prod", "v1", PKG, "label", CSCFG)


def test_wrong_slot_on_read(quiet: Any, sms: Any) -> None:
    with bad("deployment_slot"):
        sms.get_deployment_by_slot("svc", "blue")


def test_wrong_status_value(quiet: Any, sms: Any) -> None:
    with bad("status", "Running", "Suspended"):
        sms.update_deployment_status("svc", "v1", "Stopped")


def test_empty_configuration(quiet: Any, sms: Any) -> None:
    with bad("configuration", "required"):
        sms.create_deployment("svc", "staging", "v1", PKG, "label", "")


def test_configuration_neither_xml_nor_base64(quiet: Any, sms: Any) -> None:
    with bad("configuration", "neither"):
        sms.create_deployment("svc", "staging", "v1", PKG, "label", "this is not a cscfg!")


def test_configuration_base64_of_non_xml(quiet: Any, sms: Any) -> None:
    with bad("configuration", "does not decode to XML"):
        sms.create_deployment("svc", "staging", "v1", PKG, "label", base64.b64encode(b"hello").decode())


def test_package_url_not_http_or_https(quiet: Any, sms: Any) -> None:
    # http:// is accepted: the real service accepted one (2015 recording; issue 11). Other schemes are not.
    with bad("package_url", "http(s)"):
        sms.create_deployment("svc", "staging", "v1", PKG.replace("https", "ftp"), "label", CSCFG)


def test_extended_property_name_invalid(quiet: Any, sms: Any) -> None:
    with bad("extended_properties", "1bad-name"):
        sms.create_hosted_service(
            "svc", "label", location="West Europe", extended_properties={"1bad-name": "x"}
        )


def test_neither_location_nor_affinity_group(quiet: Any, sms: Any) -> None:
    with bad("location", "exactly one"):
        sms.create_hosted_service("svc", "label")


def test_request_id_not_hex(quiet: Any, sms: Any) -> None:
    with bad("request_id", "32 hex"):
        sms.get_operation_status("not-a-request-id")


# ==================================================================================================
# client level: construction (subscription, host, CA, timeout)
# ==================================================================================================
def test_missing_subscription(quiet: Any, ep: dict[str, Any]) -> None:
    with bad("subscription_id", "required"):
        ServiceManagementClient("", ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"])


def test_subscription_none(quiet: Any, ep: dict[str, Any]) -> None:
    with bad("subscription_id"):
        ServiceManagementClient(None, ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"])  # type: ignore[arg-type]


def test_host_with_http_scheme(quiet: Any, ep: dict[str, Any]) -> None:
    with bad("host", "https"):
        ServiceManagementClient(
            ep["subscription_id"], ep["client_pem"], "http://" + ep["host"], ca_bundle=ep["ca_cert"]
        )


def test_host_with_path(quiet: Any, ep: dict[str, Any]) -> None:
    with bad("host", "without a path"):
        ServiceManagementClient(
            ep["subscription_id"], ep["client_pem"], f"https://{ep['host']}/x", ca_bundle=ep["ca_cert"]
        )


def test_ca_bundle_missing_file(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    with bad("ca_bundle", "does not exist"):
        ServiceManagementClient(
            ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=tmp_path / "nope.pem"
        )


def test_ca_bundle_without_certificates(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    with bad("ca_bundle", "no usable PEM"):
        ServiceManagementClient(ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=junk)


def test_timeout_not_positive(quiet: Any, ep: dict[str, Any]) -> None:
    with bad("timeout", "positive"):
        ServiceManagementClient(
            ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"], timeout=0
        )


def test_certificate_none(quiet: Any, ep: dict[str, Any]) -> None:
    with bad("certificate", "required"):
        ServiceManagementClient(ep["subscription_id"], None, ep["host"], ca_bundle=ep["ca_cert"])  # type: ignore[arg-type]


# ==================================================================================================
# client level: each certificate defect (CertificateError at construction, no request)
# ==================================================================================================
def _client_with(ep: dict[str, Any], cert: Any, password: str | None = None) -> None:
    ServiceManagementClient(
        ep["subscription_id"], cert, ep["host"], ca_bundle=ep["ca_cert"], password=password
    )


def test_certificate_expired(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    key = rsa_key(2048, 0)
    old = make_cert(key, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
                    not_after=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))  # fmt: skip
    path = tmp_path / "expired.pem"
    path.write_bytes(cert_pem(old) + key_pem(key))
    with bad("certificate", "expired on 2021-01-01", kind=CertificateError):
        _client_with(ep, path)


def test_certificate_not_yet_valid(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    key = rsa_key(2048, 0)
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    cert = make_cert(key, not_before=future, not_after=future + dt.timedelta(days=30))
    path = tmp_path / "future.pem"
    path.write_bytes(cert_pem(cert) + key_pem(key))
    with bad("certificate", "not valid before", "clock", kind=CertificateError):
        _client_with(ep, path)


def test_certificate_1024_bit(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    key = rsa_key(1024, 0)
    path = tmp_path / "weak.pem"
    path.write_bytes(cert_pem(make_cert(key)) + key_pem(key))
    with bad("certificate", "1024 bits", "rsa:2048", kind=CertificateError):
        _client_with(ep, path)


def test_certificate_key_mismatch(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "mismatch.pem"
    path.write_bytes(cert_pem(make_cert(rsa_key(2048, 0))) + key_pem(rsa_key(2048, 1)))
    with bad("certificate", "does not belong", kind=CertificateError):
        _client_with(ep, path)


def test_certificate_cer_without_key(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    path = tmp_path / "mycert.cer"
    path.write_bytes(make_cert(rsa_key(2048, 0)).public_bytes(serialization.Encoding.DER))
    with bad("certificate", "no private key", kind=CertificateError):
        _client_with(ep, path)


def test_certificate_pem_without_key(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "only-cert.pem"
    path.write_bytes(cert_pem(make_cert(rsa_key(2048, 0))))
    with bad("certificate", "no private key", kind=CertificateError):
        _client_with(ep, path)


def test_pkcs12_wrong_password(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    key = rsa_key(2048, 0)
    path = tmp_path / "mycert.pfx"
    path.write_bytes(pfx(key, make_cert(key), b"right-password"))
    with bad("certificate", "password is wrong", kind=CertificateError) as _:
        _client_with(ep, path, password="wrong-password")


def test_pkcs12_password_missing(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    key = rsa_key(2048, 0)
    path = tmp_path / "mycert.pfx"
    path.write_bytes(pfx(key, make_cert(key), b"right-password"))
    with bad("certificate", "password", kind=CertificateError):
        _client_with(ep, path)


def test_certificate_garbage_file(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "garbage.pem"
    path.write_bytes(b"\x00\x01 this is not a certificate \xff" * 20)
    with bad("certificate", "neither PEM", kind=CertificateError):
        _client_with(ep, path)


def test_certificate_missing_file(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    with bad("certificate", "does not exist", kind=CertificateError):
        _client_with(ep, str(tmp_path / "no-such.pem"))


def test_certificate_empty_file(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "empty.pem"
    path.write_bytes(b"")
    with bad("certificate", "empty", kind=CertificateError):
        _client_with(ep, path)


def test_wrong_password_never_echoed(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    key = rsa_key(2048, 0)
    path = tmp_path / "mycert.pfx"
    path.write_bytes(pfx(key, make_cert(key), b"right-password"))
    with pytest.raises(CertificateError) as info:
        _client_with(ep, path, password="Sup3r-Secret-Guess")
    assert "Sup3r-Secret-Guess" not in str(info.value) and "right-password" not in str(info.value)


# ==================================================================================================
# network defects: unknown host, wrong CA
# ==================================================================================================
def test_unknown_host(quiet: Any, ep: dict[str, Any]) -> None:
    from airflow_sm_provider.client.retry import RetryPolicy

    client = ServiceManagementClient(
        ep["subscription_id"], ep["client_pem"], "no-such-host.invalid", ca_bundle=ep["ca_cert"],
        timeout=5, retry=RetryPolicy(max_attempts=1),
    )  # fmt: skip
    with client, pytest.raises(TransportError) as info:
        client.list_locations()
    assert "no-such-host.invalid" in str(info.value)


def test_wrong_ca(quiet: Any, ep: dict[str, Any], tmp_path: Path) -> None:
    """A CA that did not sign the server: the TLS handshake fails, no HTTP request is made."""
    from airflow_sm_provider.client.retry import RetryPolicy

    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(cert_pem(make_cert(rsa_key(2048, 3), "other-ca", ca=True)))
    with (
        ServiceManagementClient(
            ep["subscription_id"],
            ep["client_pem"],
            ep["host"],
            ca_bundle=other_ca,
            timeout=5,
            retry=RetryPolicy(max_attempts=1),
        ) as client,
        pytest.raises(TransportError) as info,
    ):
        client.list_locations()
    text = str(info.value).lower()
    assert "certificate" in text and ("ca" in text or "verify" in text), text


# ==================================================================================================
# hook level: connection fields (ValueError / CertificateError naming the field, no request)
# ==================================================================================================
@pytest.fixture
def hook_for(ep: dict[str, Any]) -> Iterator[Any]:
    from harness import asm_connection_json, conn_env

    opened: list[tuple[Any, Any]] = []

    def make(**extra: Any) -> Any:
        from airflow_sm_provider.hooks.service_management import ServiceManagementHook

        cm = conn_env("asm_bad_input", asm_connection_json(ep, **extra))
        cm.__enter__()
        hook = ServiceManagementHook(asm_conn_id="asm_bad_input")
        opened.append((hook, cm))
        return hook

    yield make
    for hook, cm in opened:
        hook.close()
        cm.__exit__(None, None, None)


def test_hook_no_certificate(quiet: Any, hook_for: Any) -> None:
    with bad("certificate_path", "no management certificate", kind=ValueError):
        hook_for(certificate_path=None).get_conn()


def test_hook_both_certificate_fields(quiet: Any, hook_for: Any, ep: dict[str, Any]) -> None:
    pem = Path(ep["client_pem"]).read_text()
    with bad("certificate_private_key", "not both", kind=ValueError) as _:
        hook_for(certificate_private_key=pem).get_conn()


def test_hook_verify_not_boolean(quiet: Any, hook_for: Any) -> None:
    with bad("verify", "true or false", kind=ValueError):
        hook_for(verify="maybe").get_conn()


def test_hook_negative_timeout(quiet: Any, hook_for: Any) -> None:
    with bad("timeout", "positive", kind=ValueError):
        hook_for(timeout="-1").get_conn()


def test_hook_missing_subscription(quiet: Any, hook_for: Any) -> None:
    with bad("subscription_id", "has no subscription"):  # typed now: .field is the connection extra
        hook_for(subscription_id=None).get_conn()


def test_hook_certificate_path_missing_file(quiet: Any, hook_for: Any, tmp_path: Path) -> None:
    with bad("certificate", "does not exist", kind=CertificateError):
        hook_for(certificate_path=str(tmp_path / "gone.pem")).get_conn()


def test_hook_pkcs12_wrong_password(quiet: Any, hook_for: Any, tmp_path: Path) -> None:
    key = rsa_key(2048, 0)
    path = tmp_path / "conn.pfx"
    path.write_bytes(pfx(key, make_cert(key), b"right"))
    with bad("certificate", "password is wrong", kind=CertificateError):
        hook_for(certificate_path=str(path), password="wrong").get_conn()


def test_hook_unreadable_certificate_text(quiet: Any, hook_for: Any) -> None:
    with bad("certificate", kind=CertificateError):
        hook_for(
            certificate_path=None, certificate_private_key="-----BEGIN CERTIFICATE-----\nxx\n"
        ).get_conn()


# ==================================================================================================
# operator level: at construction (static values)
# ==================================================================================================
def test_operator_invalid_service_name_at_construction(quiet: Any) -> None:
    from airflow_sm_provider.operators.cloud_service import AsmCreateCloudServiceOperator

    with bad("service_name"):
        AsmCreateCloudServiceOperator(task_id="t", service_name="no_underscores", location="West Europe")


def test_operator_label_too_long_at_construction(quiet: Any) -> None:
    from airflow_sm_provider.operators.cloud_service import AsmCreateCloudServiceOperator

    with bad("service_label"):
        AsmCreateCloudServiceOperator(
            task_id="t", service_name="svc", service_label="x" * 101, location="West Europe"
        )


def test_operator_wrong_slot_at_construction(quiet: Any) -> None:
    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    with bad("deployment_slot"):
        AsmCreateDeploymentOperator(
            task_id="t", service_name="svc", deployment_slot="blue", deployment_name="v1",
            package_url=PKG, configuration=CSCFG,
        )  # fmt: skip


def test_operator_package_url_not_http_or_https_at_construction(quiet: Any) -> None:
    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    with bad("package_url", "https"):
        AsmCreateDeploymentOperator(
            task_id="t", service_name="svc", deployment_slot="staging", deployment_name="v1",
            package_url="ftp://example/app.cspkg", configuration=CSCFG,
        )  # fmt: skip


def test_operator_configuration_path_missing_fails_at_run_time(quiet: Any, tmp_path: Path) -> None:
    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    # Parsing the DAG file reads no file: the worker's file system is the one that counts.
    op = AsmCreateDeploymentOperator(
        task_id="t", service_name="svc", deployment_slot="staging", deployment_name="v1",
        package_url=PKG, configuration_path=str(tmp_path / "missing.cscfg"),
    )  # fmt: skip
    with bad("configuration_path", "not a readable file", "missing.cscfg"):
        op.read_fields()  # what rendering does on the worker, before execute
        op.validate_inputs()
    with bad("configuration_path", "not a readable file", "missing.cscfg"):
        op.configuration_text()  # execute() called without rendering


def test_operator_configuration_path_is_a_directory(quiet: Any, tmp_path: Path) -> None:
    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    op = AsmCreateDeploymentOperator(
        task_id="t", service_name="svc", deployment_slot="staging", deployment_name="v1",
        package_url=PKG, configuration_path=str(tmp_path),
    )  # fmt: skip
    with bad("configuration_path", "not a readable file"):
        op.read_fields()
        op.validate_inputs()
    with bad("configuration_path", "not a readable file"):
        op.configuration_text()


def test_operator_invalid_configuration_at_construction(quiet: Any) -> None:
    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    with bad("configuration", "neither"):
        AsmCreateDeploymentOperator(
            task_id="t", service_name="svc", deployment_slot="staging", deployment_name="v1",
            package_url=PKG, configuration="definitely not a cscfg",
        )  # fmt: skip


def test_operator_both_configuration_sources(quiet: Any, tmp_path: Path) -> None:
    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    path = tmp_path / "a.cscfg"
    path.write_text(CSCFG)
    with bad("configuration", "exactly one"):
        AsmCreateDeploymentOperator(
            task_id="t", service_name="svc", deployment_slot="staging", deployment_name="v1",
            package_url=PKG, configuration=CSCFG, configuration_path=str(path),
        )  # fmt: skip


def test_operator_wrong_status_at_construction(quiet: Any) -> None:
    from airflow_sm_provider.operators.deployment import AsmUpdateDeploymentStatusOperator

    with bad("status"):
        AsmUpdateDeploymentStatusOperator(
            task_id="t", service_name="svc", deployment_slot="staging", status="Off"
        )


def test_operator_storage_name_at_construction(quiet: Any) -> None:
    from airflow_sm_provider.operators.storage import AsmCreateStorageAccountOperator

    with bad("service_name", "lowercase"):
        AsmCreateStorageAccountOperator(task_id="t", service_name="Bad-Name", location="West Europe")


# ==================================================================================================
# operator level: after rendering (templated values), in a real DAG run, before any request
# ==================================================================================================
RENDER_CASES: dict[str, tuple[str, str]] = {
    # task_id: (field named in the error, words expected in the task's failure)
    "render_service_name": ("service_name", "cloudapp.net"),
    "render_slot": ("deployment_slot", "production"),
    "render_package_url": ("package_url", "https"),
    "render_configuration": ("configuration", "neither"),
    "render_label": ("deployment_label", "limit is 100"),
}


def test_operator_bad_values_after_render(
    emu: Any, airflow_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """One DAG whose tasks each render one bad value: every task fails naming its field, and no
    request reaches the emulator. (One DAG run for all cases: a run costs seconds.)"""
    from airflow.sdk import DAG
    from harness import START, asm_connection_json, conn_env, run_dag, task_states

    from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

    base = {
        "service_name": "svc-ok",
        "deployment_slot": "staging",
        "deployment_name": "v1",
        "package_url": PKG,
        "configuration": CSCFG,
        "deployment_label": "ok",
    }
    bad_values = {
        "render_service_name": {"service_name": "bad_name!"},
        "render_slot": {"deployment_slot": "blue"},
        "render_package_url": {"package_url": "ftp://example/app.cspkg"},  # http:// is accepted
        "render_configuration": {"configuration": "not a cscfg"},
        "render_label": {"deployment_label": "y" * 101},
    }
    emu.clear_faults()
    rule = count_rule(emu)
    with DAG("rel_bad_input_render", schedule=None, start_date=START, catchup=False) as dag:
        for task_id, override in bad_values.items():
            values = {**base, **override}
            templated: dict[str, Any] = {k: "{{ params.v['" + k + "'] }}" for k in values}
            AsmCreateDeploymentOperator(
                task_id=task_id, asm_conn_id="asm_render", params={"v": values}, **templated
            )
    capfd.readouterr()
    with conn_env("asm_render", asm_connection_json(emu.endpoint)):
        dr = run_dag(dag)
    output = capfd.readouterr()
    text = output.out + output.err
    assert matched(emu, rule) == 0, "a request reached the emulator"
    emu.clear_faults()
    states = task_states(dr)
    for task_id, (field, words) in RENDER_CASES.items():
        assert states[task_id] == "failed", (task_id, states)
        assert f"InvalidInputError: {field}:" in text, (task_id, text[-3000:])
        assert words.lower() in text.lower(), (task_id, words)

"""Hosted services, storage accounts, affinity groups and OS images through ServiceApp.handle."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_helpers import (
    Harness,
    b64,
    children,
    error_code,
    error_message,
    names,
    parse,
    text,
    xml_body,
)

from airflow_sm_provider import protocol as p


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def test_create_hosted_service_201_location_and_sync_operation(h: Harness) -> None:
    got = h.create_service("mysvc", Description="my hosted service")
    assert got.status == 201
    assert got.body == b""
    assert got.headers["Location"].endswith("/compute/mysvc")
    op = h.op_status(got)
    assert text(op, "Status") == "Succeeded" and text(op, "HttpStatusCode") == "200"
    svc = parse(h.call("GET", "/services/hostedservices/mysvc?embed-detail=false").body)
    assert text(svc, "ServiceName") == "mysvc"
    assert text(svc, "HostedServiceProperties/Label") == b64("mysvc")
    assert text(svc, "HostedServiceProperties/Location") == "West US"
    assert text(svc, "HostedServiceProperties/Status") == "Created"
    assert names(children(svc, "HostedServiceProperties")[0]) == [
        "Description",
        "Location",
        "Label",
        "Status",
        "DateCreated",
        "DateLastModified",
        "ExtendedProperties",
    ]
    listed = parse(h.call("GET", "/services/hostedservices").body)
    assert [text(s, "ServiceName") for s in children(listed, "HostedService")] == ["mysvc"]


@pytest.mark.parametrize("name", ["1abc", "abc-", "a_b", "a" * 64, "a.b"])
def test_invalid_service_names_400(h: Harness, name: str) -> None:
    got = h.create_service(name)
    assert got.status == 400 and error_code(got) == p.ERR_BAD_REQUEST
    avail = parse(h.call("GET", f"/services/hostedservices/operations/isavailable/{name}").body)
    assert text(avail, "Result") == "false"


def test_service_name_taken_409_and_availability_reason(h: Harness) -> None:
    h.create_service("taken")
    got = h.create_service("TAKEN")
    assert got.status == 409 and error_code(got) == p.ERR_CONFLICT
    assert error_message(got) == p.MSG_DNS_TAKEN
    avail = parse(h.call("GET", "/services/hostedservices/operations/isavailable/taken").body)
    assert text(avail, "Result") == "false"
    assert text(avail, "Reason") == p.MSG_HOSTED_SERVICE_NAME_TAKEN


def test_label_and_description_limits(h: Harness) -> None:
    assert h.create_service("okay", Label=b64("x" * 100)).status == 201
    got = h.create_service("toolong", Label=b64("x" * 101))
    assert got.status == 400 and "Label" in (error_message(got) or "")
    got = h.create_service("toolong", Description="d" * 1025)
    assert got.status == 400 and "Description" in (error_message(got) or "")
    got = h.create_service("notb64", Label="not base64!")
    assert got.status == 400 and "base64" in (error_message(got) or "")


def test_location_xor_affinity_group(h: Harness) -> None:
    body = xml_body("CreateHostedService", {"ServiceName": "x", "Label": b64("x")})
    assert h.call("POST", "/services/hostedservices", body).status == 400
    assert h.create_service("y", Location="Atlantis").status == 400


def test_update_merges_extended_properties(h: Harness) -> None:
    props = "".join(
        f"<ExtendedProperty><Name>{k}</Name><Value>{v}</Value></ExtendedProperty>"
        for k, v in [("a", "1"), ("b", "2")]
    )
    h.create_service("svc", ExtendedProperties=props)
    update = xml_body(
        "UpdateHostedService",
        {
            "Label": b64("new"),
            "ExtendedProperties": "<ExtendedProperty><Name>b</Name><Value>3</Value></ExtendedProperty>"
            "<ExtendedProperty><Name>c</Name><Value>4</Value></ExtendedProperty>",
        },
    )
    got = h.call("PUT", "/services/hostedservices/svc", update)
    assert got.status == 200
    svc = parse(h.call("GET", "/services/hostedservices/svc").body)
    box = children(children(svc, "HostedServiceProperties")[0], "ExtendedProperties")[0]
    pairs = {text(e, "Name"): text(e, "Value") for e in children(box, "ExtendedProperty")}
    assert pairs == {"a": "1", "b": "3", "c": "4"}
    assert text(svc, "HostedServiceProperties/Label") == b64("new")


def test_delete_hosted_service_200_then_404(h: Harness) -> None:
    h.create_service("gone")
    got = h.call("DELETE", "/services/hostedservices/gone")
    assert got.status == 200 and got.headers["x-ms-request-id"]
    assert text(h.op_status(got), "Status") == "Succeeded"
    missing = h.call("GET", "/services/hostedservices/gone")
    assert missing.status == 404 and error_message(missing) == p.MSG_HOSTED_SERVICE_NOT_FOUND


def test_delete_with_deployments_409_unless_comp_media(h: Harness) -> None:
    h.create_service()
    h.create_deployment()
    h.finish()
    got = h.call("DELETE", "/services/hostedservices/mysvc")
    assert got.status == 409 and error_code(got) == p.ERR_CONFLICT
    got = h.call("DELETE", "/services/hostedservices/mysvc?comp=media")
    assert got.status == 202
    assert text(h.op_status(got), "Status") == "InProgress"
    h.finish()
    assert text(h.op_status(got), "Status") == "Succeeded"
    assert h.call("GET", "/services/hostedservices/mysvc").status == 404


# --- storage -----------------------------------------------------------------------------------
def _storage(h: Harness, name: str, **extra: str):  # type: ignore[no-untyped-def]
    fields = {"ServiceName": name, "Description": "d", "Label": b64(name), "Location": "West US", **extra}
    return h.call("POST", "/services/storageservices", xml_body("CreateStorageServiceInput", fields))


def test_create_storage_202_async_then_properties_and_keys(h: Harness) -> None:
    got = _storage(h, "mystorageaccount", AccountType="Standard_LRS")
    assert got.status == 202 and got.headers["Location"].endswith("/storage/mystorageaccount")
    props = parse(h.call("GET", "/services/storageservices/mystorageaccount").body)
    assert text(props, "StorageServiceProperties/Status") == "Creating"
    assert text(h.op_status(got), "Status") == "InProgress"
    h.advance(21)
    assert text(h.op_status(got), "Status") == "Succeeded"
    props = parse(h.call("GET", "/services/storageservices/mystorageaccount").body)
    assert text(props, "StorageServiceProperties/Status") == "Created"
    assert text(props, "StorageServiceProperties/AccountType") == "Standard_LRS"
    keys = parse(h.call("GET", "/services/storageservices/mystorageaccount/keys").body)
    assert len(text(keys, "StorageServiceKeys/Primary") or "") == 88
    listed = parse(h.call("GET", "/services/storageservices").body)
    assert len(children(listed, "StorageService")) == 1
    got = h.call("DELETE", "/services/storageservices/mystorageaccount")
    assert got.status == 200
    missing = h.call("GET", "/services/storageservices/mystorageaccount")
    assert missing.status == 404
    assert error_message(missing) == "The storage account 'mystorageaccount' was not found."


def test_a_storage_create_made_to_fail_leaves_no_account_behind(h: Harness) -> None:
    fields = {"ServiceName": "failing1", "Label": b64("failing1"), "Location": "West US"}
    body = xml_body("CreateStorageServiceInput", fields)
    got = h.call("POST", "/services/storageservices", body, fail=p.ERR_INTERNAL)
    assert got.status == 202
    assert h.call("GET", "/services/storageservices/failing1").status == 200  # Creating meanwhile
    h.advance(21)
    assert text(h.op_status(got), "Status") == "Failed"
    assert h.call("GET", "/services/storageservices/failing1").status == 404
    assert _storage(h, "failing1").status == 202  # the name is free again


@pytest.mark.parametrize("name", ["ab", "a" * 25, "MyStorage", "my-storage"])
def test_storage_name_rules(h: Harness, name: str) -> None:
    got = _storage(h, name)
    assert got.status == 400 and error_code(got) == p.ERR_STORAGE_NAME_NOT_VALID
    assert name in (error_message(got) or "")
    avail = parse(h.call("GET", f"/services/storageservices/operations/isavailable/{name}").body)
    assert text(avail, "Result") == "false"


def test_storage_name_taken(h: Harness) -> None:
    _storage(h, "taken123")
    got = _storage(h, "taken123")
    assert got.status == 409 and error_message(got) == p.MSG_STORAGE_NAME_TAKEN_FMT.format(name="taken123")
    avail = parse(h.call("GET", "/services/storageservices/operations/isavailable/taken123").body)
    assert text(avail, "Reason") == p.MSG_STORAGE_NAME_TAKEN_FMT.format(name="taken123")


def test_a_storage_account_holding_a_disks_vhd_cannot_be_deleted(h: Harness) -> None:
    # hh264517: "you must first delete all OS Images, VM Images, and disks that are located in the
    # account"; status, code and text as the real service answered (microsoft/TestEasy#2, a 2014
    # CloudException "BadRequest: Storage account ... has container(s) which have ...").
    _storage(h, "vhdstore")
    h.finish()
    disk = {"HasOperatingSystem": "false", "Label": "d", "Name": "mydisk", "OS": "Linux"}
    disk["MediaLink"] = "http://vhdstore.blob.core.windows.net/vhds/mydisk.vhd"  # libcloud writes http
    assert h.call("POST", "/services/disks", xml_body("Disk", disk)).status == 200
    refused = h.call("DELETE", "/services/storageservices/vhdstore")
    assert refused.status == 400 and error_code(refused) == p.ERR_BAD_REQUEST
    assert error_message(refused) == (
        "Storage account vhdstore has 1 container(s) which have an active image and/or disk "
        "artifacts. Ensure those artifacts are removed from the image repository before deleting "
        "this storage account."
    )
    assert h.call("GET", "/services/storageservices/vhdstore").status == 200  # still there
    assert h.call("DELETE", "/services/disks/mydisk").status == 200
    assert h.call("DELETE", "/services/storageservices/vhdstore").status == 200


# --- affinity groups ---------------------------------------------------------------------------
def test_affinity_group_lifecycle(h: Harness) -> None:
    body = xml_body(
        "CreateAffinityGroup",
        {"Name": "myAffinityGroup", "Label": b64("ag"), "Description": "d", "Location": "West US"},
    )
    got = h.call("POST", "/affinitygroups", body)
    assert got.status == 201 and got.headers["Location"].endswith("/affinitygroup/myAffinityGroup")
    h.create_service("agsvc", Location="", AffinityGroup="myAffinityGroup")
    group = parse(h.call("GET", "/affinitygroups/myaffinitygroup").body)
    assert text(group, "Label") == b64("ag")
    assert text(group, "HostedServices/HostedService/ServiceName") == "agsvc"
    assert h.call("DELETE", "/affinitygroups/myAffinityGroup").status == 409
    h.call("DELETE", "/services/hostedservices/agsvc")
    assert h.call("DELETE", "/affinitygroups/myAffinityGroup").status == 200
    missing = h.call("GET", "/affinitygroups/myAffinityGroup")
    assert missing.status == 404 and error_message(missing) == p.MSG_AFFINITY_GROUP_NOT_FOUND


# --- OS images ---------------------------------------------------------------------------------
def test_add_os_image_200_with_body_plain_label(h: Harness) -> None:
    body = xml_body(
        "OSImage",
        {
            "Label": "mycentos",
            "MediaLink": "https://a.blob.core.windows.net/v/c.vhd",
            "Name": "mycentos",
            "OS": "Linux",
        },
    )
    got = h.call("POST", "/services/images", body)
    assert got.status == 200
    img = parse(got.body)
    assert text(img, "Label") == "mycentos" and text(img, "Category") == "User"
    assert text(h.op_status(got), "Status") == "Succeeded"
    assert text(parse(h.call("GET", "/services/images/mycentos").body), "OS") == "Linux"
    assert h.call("DELETE", "/services/images/mycentos").status == 200
    missing = h.call("GET", "/services/images/mycentos")
    assert missing.status == 404 and error_message(missing) == p.MSG_IMAGE_NOT_FOUND

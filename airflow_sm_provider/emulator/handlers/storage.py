"""Storage accounts: create (202, ~21 s), list, get, keys, regenerate, update, delete, availability (4.4).

Names are global (``<name>.blob.core.windows.net``): a name used in this subscription is 409
"A storage account named '<name>' already exists in the subscription." (recorded availability text),
one used by another subscription 409 "The storage account named '<name>' is already taken."
(chosen). Invalid names: 400 StorageAccountNameNotValid naming the name. The account shows
Status Creating until its operation ends (and is not yet listed in its affinity group, as recorded).
``Capabilities`` (recorded in Get Storage Account Properties, values unrecorded) lists the
capabilities of the account's region, as Get Affinity Group does: PersistentVMRole, HighMemory.
An account still holding the VHD of a disk, OS image or VM image cannot be deleted (documented:
delete them first): 400 BadRequest with the real text (microsoft/TestEasy#2, a 2014 answer).
"""

from __future__ import annotations

import base64
import os
from urllib.parse import urlsplit

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers.common import (
    AsmError,
    Ctx,
    ResourceKind,
    bad_request,
    completion,
    conflict,
    description,
    doc_deleted,
    empty,
    extended_properties,
    handler,
    label_b64,
    required,
    storage_name_message,
    valid_storage_name,
    xml,
)
from airflow_sm_provider.emulator.handlers.disks import KIND as DISK
from airflow_sm_provider.emulator.handlers.hosted import placement
from airflow_sm_provider.emulator.handlers.images import KIND as OS_IMAGE
from airflow_sm_provider.emulator.handlers.seed import location_for
from airflow_sm_provider.emulator.handlers.vmimages import KIND as VM_IMAGE
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.xmlio import Builder, b64, timestamp

KIND = "storage"


def _key() -> str:
    return base64.b64encode(os.urandom(64)).decode("ascii")


def render(ctx: Ctx, b: Builder, acct: Doc) -> None:
    name = acct["name"]
    b.add("Url", ctx.mgmt_url("services", "storageservices", name)).add("ServiceName", name)
    props = b.child("StorageServiceProperties")
    props.add("Description", acct.get("description"))
    if acct.get("affinity_group"):
        props.add("AffinityGroup", acct["affinity_group"])
    else:
        props.add("Location", acct.get("location"))
    props.add("Label", b64(acct["label"])).add("Status", acct["status"])
    endpoints = props.child("Endpoints")
    for service in ("blob", "queue", "table", "file"):
        endpoints.add("Endpoint", f"https://{name}.{service}.core.windows.net/")
    geo = acct["account_type"] in ("Standard_GRS", "Standard_RAGRS")
    props.add("GeoPrimaryRegion", acct["region"]).add("StatusOfPrimary", "Available")
    props.add(
        "GeoSecondaryRegion", "West US" if geo and acct["region"] != "West US" else ("East US" if geo else "")
    )
    props.add("StatusOfSecondary", "Available" if geo else "")
    props.add("CreationTime", timestamp(acct["created"]))
    props.child("CustomDomains")
    props.add("AccountType", acct["account_type"])
    b.extended_properties(acct.get("extended_properties", {}))
    capabilities = b.child("Capabilities")  # the region's, as Get Affinity Group lists them
    if acct.get("region") and location_for(acct["region"]):
        capabilities.add("Capability", "PersistentVMRole").add("Capability", "HighMemory")


@handler("create_storage_account")
def create(ctx: Ctx) -> Response:
    body = ctx.body("CreateStorageServiceInput")
    name = required(body, "ServiceName")
    if not valid_storage_name(name):
        raise bad_request(storage_name_message(name), p.ERR_STORAGE_NAME_NOT_VALID)
    desc = description(body)
    label = label_b64(body)
    location, group = placement(ctx, body.text("Location"), body.text("AffinityGroup"))
    props = extended_properties(body) or {}
    account_type = body.text("AccountType") or "Standard_GRS"
    if account_type not in p.STORAGE_ACCOUNT_TYPES:
        raise bad_request(f"The AccountType '{account_type}' is not valid.")
    if ctx.store.get(ctx.sub, KIND, name) is not None:
        raise conflict(p.MSG_STORAGE_NAME_TAKEN_FMT.format(name=name))
    if ctx.store.exists_anywhere(KIND, name):
        raise conflict(f"The storage account named '{name}' is already taken.")
    region = location
    if group:
        region = (ctx.store.get(ctx.sub, "affinity_group", group) or {}).get("location")
    doc = {
        "name": name,
        "label": label,
        "description": desc,
        "location": location,
        "affinity_group": group,
        "region": region,
        "status": "Creating",
        "created": ctx.now,
        "extended_properties": props,
        "account_type": account_type,
        "primary": _key(),
        "secondary": _key(),
    }
    ctx.store.put(ctx.sub, KIND, name, doc)
    ctx.start_operation(
        "create_storage_account",
        {"action": "storage_created", "name": name},
        on_fail=doc_deleted(KIND, name),
        created=name,
    )
    return empty(202, {"Location": f"https://{ctx.host}/subscriptions/{ctx.sub}/storage/{name}"})


@completion("storage_created")
def _created(store: Store, op: Operation, step: Doc, now: float) -> None:
    acct = store.get(op.sub, KIND, step["name"])
    if acct is not None:
        acct["status"] = "Created"
        store.put(op.sub, KIND, step["name"], acct)


ACCOUNTS = ResourceKind(KIND, "StorageService", "StorageServices", render, p.MSG_STORAGE_NOT_FOUND_FMT).serve(
    "list_storage_accounts", "get_storage_account_properties"
)


def _keys(ctx: Ctx, acct: Doc) -> Response:
    root = Builder.root("StorageService").add(
        "Url", ctx.mgmt_url("services", "storageservices", acct["name"])
    )
    root.child("StorageServiceKeys").add("Primary", acct["primary"]).add("Secondary", acct["secondary"])
    return xml(200, root)


@handler("get_storage_account_keys")
def keys(ctx: Ctx) -> Response:
    return _keys(ctx, ACCOUNTS.find(ctx))


@handler("regenerate_storage_account_keys")
def regenerate(ctx: Ctx) -> Response:
    acct = ACCOUNTS.find(ctx)
    key_type = required(ctx.body("RegenerateKeys"), "KeyType").lower()
    if key_type not in ("primary", "secondary"):
        raise bad_request("The KeyType must be Primary or Secondary.")
    acct[key_type] = _key()
    ctx.store.put(ctx.sub, KIND, acct["name"], acct)
    ctx.start_operation("regenerate_storage_account_keys")
    return _keys(ctx, acct)


@handler("update_storage_account")
def update(ctx: Ctx) -> Response:
    acct = ACCOUNTS.find(ctx)
    body = ctx.body("UpdateStorageServiceInput")
    label = label_b64(body, required_=False)
    desc = description(body)
    props = extended_properties(body)
    account_type = body.text("AccountType")
    if account_type and account_type not in p.STORAGE_ACCOUNT_TYPES:
        raise bad_request(f"The AccountType '{account_type}' is not valid.")
    if label is not None:
        acct["label"] = label
    if desc is not None:
        acct["description"] = desc
    if props:
        acct["extended_properties"] = {**acct.get("extended_properties", {}), **props}
    if account_type:
        acct["account_type"] = account_type
    ctx.store.put(ctx.sub, KIND, acct["name"], acct)
    ctx.start_operation("update_storage_account")
    return empty(200)


def containers_with_vhds(ctx: Ctx, account: str) -> set[str]:
    """The containers of ``account`` holding the VHD of a disk, OS image or VM image (OS or data
    disk) of the subscription: what keeps the service from deleting the account."""
    host = f"{account}.blob.core.windows.net".lower()
    links = [d.get("media_link") or "" for d in ctx.store.list_docs(ctx.sub, DISK)]
    links += [i.get("media_link") or "" for i in ctx.store.list_docs(ctx.sub, OS_IMAGE)]
    for image in ctx.store.list_docs(ctx.sub, VM_IMAGE):
        disks = [image.get("os_disk") or {}, *(image.get("data_disks") or [])]
        links += [d.get("media_link") or "" for d in disks]
    parts = [urlsplit(link) for link in links]
    return {u.path.strip("/").split("/")[0] for u in parts if (u.hostname or "").lower() == host}


@handler("delete_storage_account")
def delete(ctx: Ctx) -> Response:
    acct = ACCOUNTS.find(ctx)
    if acct["status"] == "Creating":
        raise AsmError(
            409, "StorageAccountBeingCreated", f"The storage account '{acct['name']}' is being created."
        )
    held = containers_with_vhds(ctx, acct["name"])
    if held:  # 400 and its text as the real service answered (microsoft/TestEasy#2, 2014 trace)
        raise bad_request(
            f"Storage account {acct['name']} has {len(held)} container(s) which have an active image "
            "and/or disk artifacts. Ensure those artifacts are removed from the image repository "
            "before deleting this storage account."
        )
    if not ctx.failing():
        ctx.store.delete(ctx.sub, KIND, acct["name"])
    ctx.start_operation("delete_storage_account")
    return empty(200)


@handler("check_storage_account_name_availability")
def is_available(ctx: Ctx) -> Response:
    name = ctx.route.params["name"]
    reason: str | None = None
    if not valid_storage_name(name):
        reason = storage_name_message(name)
    elif ctx.store.exists_anywhere(KIND, name):
        reason = p.MSG_STORAGE_NAME_TAKEN_FMT.format(name=name)
    return xml(200, Builder.root("AvailabilityResponse").add("Result", reason is None).add("Reason", reason))

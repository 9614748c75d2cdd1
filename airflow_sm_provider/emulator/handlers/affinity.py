"""Affinity groups: create (201 + Location), list, get, update, delete (asm-wire.md 4.5). All synchronous.

Choices (unverified): names are 1-63 letters, digits, hyphens, underscores or dots starting with a
letter or digit; a name already used in the subscription is 409 ConflictError; deleting a group
still used by hosted services or storage accounts is 409 ConflictError.
"""

from __future__ import annotations

import re

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers import render
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    conflict,
    description,
    empty,
    handler,
    label_b64,
    lookup,
    required,
    xml,
)
from airflow_sm_provider.emulator.handlers.seed import location_for
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc
from airflow_sm_provider.emulator.xmlio import Builder, b64, timestamp

KIND = "affinity_group"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def get_group(ctx: Ctx, name: str) -> Doc:
    return lookup(ctx, KIND, name, p.MSG_AFFINITY_GROUP_NOT_FOUND)


def _members(ctx: Ctx, kind: str, group: Doc) -> list[Doc]:
    return [
        d
        for d in ctx.store.list_docs(ctx.sub, kind)
        if (d.get("affinity_group") or "").lower() == group["name"].lower()
    ]


def _summary(b: Builder, group: Doc) -> None:
    b.add("Name", group["name"]).add("Label", b64(group["label"])).add(
        "Description", group.get("description")
    )
    b.add("Location", group["location"])


def _capabilities(b: Builder) -> None:
    b.child("Capabilities").add("Capability", "PersistentVMRole").add("Capability", "HighMemory")


@handler("create_affinity_group")
def create(ctx: Ctx) -> Response:
    body = ctx.body("CreateAffinityGroup")
    name = required(body, "Name")
    if not _NAME.match(name):
        raise bad_request("The affinity group name is invalid.")
    label = label_b64(body)
    desc = description(body)
    raw_location = required(body, "Location")
    location = location_for(raw_location)
    if location is None:
        raise bad_request(f"The location '{raw_location}' is not a valid location.")
    if ctx.store.get(ctx.sub, KIND, name) is not None:
        raise conflict("An affinity group with the specified name already exists.")
    doc = {"name": name, "label": label, "description": desc, "location": location, "created": ctx.now}
    ctx.store.put(ctx.sub, KIND, name, doc)
    ctx.start_operation("create_affinity_group", created=name)
    return empty(201, {"Location": f"https://{ctx.host}/subscriptions/{ctx.sub}/affinitygroup/{name}"})


@handler("list_affinity_groups")
def list_groups(ctx: Ctx) -> Response:
    root = Builder.root("AffinityGroups")
    for group in ctx.store.list_docs(ctx.sub, KIND):
        entry = root.child("AffinityGroup")
        _summary(entry, group)
        _capabilities(entry)
        entry.add("CreatedTime", timestamp(group["created"]))
    return xml(200, root)


@handler("get_affinity_group_properties")
def get(ctx: Ctx) -> Response:
    group = get_group(ctx, ctx.route.params["name"])
    root = Builder.root("AffinityGroup")
    _summary(root, group)
    services = root.child("HostedServices")
    for svc in _members(ctx, "hosted_service", group):
        render.hosted_service(ctx, services.child("HostedService"), svc)
    accounts = root.child("StorageServices")
    for acct in _members(ctx, "storage", group):
        if acct.get("status") != "Creating":  # recorded: an account being created is not listed yet
            entry = accounts.child("StorageService")
            entry.add("Url", ctx.mgmt_url("services", "storageservices", acct["name"]))
            entry.add("ServiceName", acct["name"])
    _capabilities(root)
    root.add("CreatedTime", timestamp(group["created"]))
    return xml(200, root)


@handler("update_affinity_group")
def update(ctx: Ctx) -> Response:
    group = get_group(ctx, ctx.route.params["name"])
    body = ctx.body("UpdateAffinityGroup")
    group["label"] = label_b64(body)
    desc = description(body)
    if desc is not None:
        group["description"] = desc
    ctx.store.put(ctx.sub, KIND, group["name"], group)
    ctx.start_operation("update_affinity_group")
    return empty(200)


@handler("delete_affinity_group")
def delete(ctx: Ctx) -> Response:
    group = get_group(ctx, ctx.route.params["name"])
    if _members(ctx, "hosted_service", group) or _members(ctx, "storage", group):
        raise conflict("The affinity group is still used by hosted services or storage accounts.")
    ctx.store.delete(ctx.sub, KIND, group["name"])
    ctx.start_operation("delete_affinity_group")
    return empty(200)

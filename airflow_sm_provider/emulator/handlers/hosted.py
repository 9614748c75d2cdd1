"""Hosted (cloud) services: create, list, get, update, delete, name availability (asm-wire.md 4.2).

Choices where the sources are silent: an invalid service name is 400 BadRequest "The hosted service
name is invalid." (and Result=false with the same Reason in the availability check); a name used by
any subscription is 409 ConflictError "The specified DNS name is already taken." (the create-time
text quoted from real traffic); deleting a service that still has deployments without
``comp=media`` is 409 ConflictError; the Location header and the Url fields use the real path
shapes on the emulator's own host.
"""

from __future__ import annotations

from functools import partial

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers import render
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    completion,
    conflict,
    description,
    empty,
    ensure_unlocked,
    extended_properties,
    handler,
    label_b64,
    lock_key,
    lookup,
    render_kind,
    required,
    valid_service_name,
    xml,
)
from airflow_sm_provider.emulator.handlers.seed import location_for
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.xmlio import Builder

KIND = "hosted_service"
DEPLOYMENT = "deployment"
MSG_INVALID_NAME = "The hosted service name is invalid."


def get_service(ctx: Ctx, name: str) -> Doc:
    return lookup(ctx, KIND, name, p.MSG_HOSTED_SERVICE_NOT_FOUND)


def deployments_of(ctx: Ctx, service: str) -> list[Doc]:
    return ctx.store.list_docs(ctx.sub, DEPLOYMENT, prefix=f"{service}/")


def placement(ctx: Ctx, body_location: str | None, body_group: str | None) -> tuple[str | None, str | None]:
    """Exactly one of Location / AffinityGroup, each of which must exist."""
    if bool(body_location) == bool(body_group):
        raise bad_request("Exactly one of Location or AffinityGroup must be specified.")
    if body_location:
        loc = location_for(body_location)
        if loc is None:
            raise bad_request(f"The location '{body_location}' is not a valid location.")
        return loc, None
    group = ctx.store.get(ctx.sub, "affinity_group", body_group or "")
    if group is None:
        raise bad_request(p.MSG_AFFINITY_GROUP_NOT_FOUND)
    return None, str(group["name"])


@handler("create_hosted_service")
def create(ctx: Ctx) -> Response:
    body = ctx.body("CreateHostedService")
    name = required(body, "ServiceName")
    if not valid_service_name(name):
        raise bad_request(MSG_INVALID_NAME)
    label = label_b64(body)
    desc = description(body)
    location, group = placement(ctx, body.text("Location"), body.text("AffinityGroup"))
    props = extended_properties(body) or {}
    if ctx.store.exists_anywhere(KIND, name):
        raise conflict(p.MSG_DNS_TAKEN)
    doc = {
        "name": name,
        "label": label,
        "description": desc,
        "location": location,
        "affinity_group": group,
        "status": "Created",
        "created": ctx.now,
        "modified": ctx.now,
        "extended_properties": props,
    }
    ctx.store.put(ctx.sub, KIND, name, doc)
    ctx.start_operation("create_hosted_service", created=name)
    return empty(201, {"Location": f"https://{ctx.host}/subscriptions/{ctx.sub}/compute/{name}"})


@handler("list_hosted_services")
def list_services(ctx: Ctx) -> Response:
    services = ctx.store.list_docs(ctx.sub, KIND)
    return render_kind("HostedServices", "HostedService", partial(render.hosted_service, ctx), services)


@handler("get_hosted_service_properties")
def get(ctx: Ctx) -> Response:
    svc = get_service(ctx, ctx.route.params["service"])
    root = Builder.root("HostedService")
    render.hosted_service(ctx, root, svc)
    if ctx.request.query.get("embed-detail", "").lower() == "true":
        box = root.child("Deployments")
        for dep in deployments_of(ctx, svc["name"]):
            render.deployment(ctx, box.child("Deployment"), dep)
    return xml(200, root)


@handler("update_hosted_service")
def update(ctx: Ctx) -> Response:
    svc = get_service(ctx, ctx.route.params["service"])
    body = ctx.body("UpdateHostedService")
    label = label_b64(body, required_=False)
    desc = description(body)
    props = extended_properties(body)
    if label is not None:
        svc["label"] = label
    if desc is not None:
        svc["description"] = desc
    if props:
        svc["extended_properties"] = {**svc.get("extended_properties", {}), **props}
    svc["modified"] = ctx.now
    ctx.store.put(ctx.sub, KIND, svc["name"], svc)
    ctx.start_operation("update_hosted_service")
    return empty(200)


@handler("delete_hosted_service")
def delete(ctx: Ctx) -> Response:
    svc = get_service(ctx, ctx.route.params["service"])
    deps = deployments_of(ctx, svc["name"])
    media = ctx.request.query.get("comp", "").lower() == "media"
    if not media:
        if deps:
            raise conflict(
                "There was a conflict. The hosted service has one or more deployments; "
                "delete them before deleting the hosted service."
            )
        ensure_unlocked(ctx.store, lock_key(ctx.sub, svc["name"]))
        if not ctx.failing():
            ctx.store.delete(ctx.sub, KIND, svc["name"])
            _delete_certificates(ctx.store, ctx.sub, svc["name"])
        ctx.start_operation("delete_hosted_service")
        return empty(200)
    keys = [lock_key(ctx.sub, svc["name"], d["name"]) for d in deps]
    ensure_unlocked(ctx.store, lock_key(ctx.sub, svc["name"]), *keys)
    if not ctx.failing():
        svc["status"] = "Deleting"
        ctx.store.put(ctx.sub, KIND, svc["name"], svc)
        for dep in deps:
            dep["status"] = "Deleting"
            ctx.store.put(ctx.sub, DEPLOYMENT, f"{svc['name']}/{dep['name']}", dep)
    ctx.start_operation(
        "delete_hosted_service_media",
        {"action": "delete_service_media", "service": svc["name"]},
        locks=[lock_key(ctx.sub, svc["name"]), *keys],
    )
    return empty(202)


@completion("delete_service_media")
def _delete_media(store: Store, op: Operation, step: Doc, now: float) -> None:
    from airflow_sm_provider.emulator.handlers.deployments import free_reserved_ips
    from airflow_sm_provider.emulator.handlers.disks import release

    for dep in store.list_docs(op.sub, DEPLOYMENT, prefix=f"{step['service']}/"):
        store.delete(op.sub, DEPLOYMENT, f"{step['service']}/{dep['name']}")
        release(store, op.sub, step["service"], dep["name"], None, delete=True)
        free_reserved_ips(store, op.sub, step["service"], dep["name"])
    store.delete(op.sub, KIND, step["service"])
    _delete_certificates(store, op.sub, step["service"])


def _delete_certificates(store: Store, sub: str, service: str) -> None:
    """A service's certificates go with it (``certificates.py`` keys them ``<service>/...``)."""
    for cert in store.list_docs(sub, "service_certificate", prefix=f"{service}/"):
        store.delete(sub, "service_certificate", f"{service}/{cert['algorithm']}-{cert['thumbprint']}")


@handler("check_hosted_service_name_availability")
def is_available(ctx: Ctx) -> Response:
    name = ctx.route.params["name"]
    reason: str | None = None
    if not valid_service_name(name):
        reason = MSG_INVALID_NAME
    elif ctx.store.exists_anywhere(KIND, name):
        reason = p.MSG_HOSTED_SERVICE_NAME_TAKEN
    root = Builder.root("AvailabilityResponse").add("Result", reason is None).add("Reason", reason)
    return xml(200, root)

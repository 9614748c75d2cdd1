"""VM images (``/services/vmimages``): list (with location / publisher / category filters), create,
update, delete, capture from a role; and replicate / unreplicate / share (``/services/images/<name>/
replicate|unreplicate|shareasync``, x-ms-version 2015-04-01), which act on a user image of either
kind (OS image or VM image) of that name (asm-wire.md 5.1).

Shapes from the old SDK's ``VMImage`` model and its create / update serialisers. Choices (no
recording): create, update, delete, capture, replicate, unreplicate and share are asynchronous
(the SDK treats them so), ~10 s; a name taken (VM or OS image) is 409; an unknown image is 404 "The
VM image <name> does not exist."; a public image cannot be changed (400); a Generalized capture
leaves the VM stopped (it must be provisioned again), a Specialized one leaves it running.
"""

from __future__ import annotations

from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    conflict,
    doc_deleted,
    doc_saved,
    empty,
    handler,
    lookup,
    not_found,
    required,
    xml,
)
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc
from airflow_sm_provider.emulator.xmlio import Builder, Node, timestamp, whole_number

KIND = "vm_image"
OS_STATES = ("Generalized", "Specialized")
SHARE_PERMISSIONS = ("Public", "Private", "MSDN")


def _missing(name: str) -> str:
    return f"The VM image {name} does not exist."


def _find(ctx: Ctx) -> Doc:
    """The user VM image the URL names."""
    return lookup(ctx, KIND, ctx.route.params["name"], _missing(ctx.route.params["name"]))


def _render(b: Builder, img: Doc) -> None:
    b.add("Name", img["name"]).add("Label", img.get("label") or img["name"]).add("Category", "User")
    b.add("Description", img.get("description"))
    osd = b.child("OSDiskConfiguration").add("Name", f"{img['name']}-os")
    osd.add("HostCaching", img["os_disk"].get("host_caching") or "ReadWrite")
    osd.add("OSState", img["os_disk"]["os_state"]).add("OS", img["os_disk"]["os"])
    osd.add("MediaLink", img["os_disk"].get("media_link") or "").add("LogicalDiskSizeInGB", 30)
    box = b.child("DataDiskConfigurations")
    for disk in img.get("data_disks", []):
        entry = box.child("DataDiskConfiguration").add(
            "Name", disk.get("name") or f"{img['name']}-{disk['lun']}"
        )
        entry.add("HostCaching", disk.get("host_caching") or "None").add("Lun", disk["lun"])
        entry.add("MediaLink", disk.get("media_link") or "").add("LogicalDiskSizeInGB", disk.get("size") or 0)
    for key, element in (("service", "ServiceName"), ("deployment", "DeploymentName"), ("role", "RoleName")):
        b.opt(element, img.get(key))
    b.add("Location", img.get("location") or "West US").add("AffinityGroup", None)
    b.add("CreatedTime", timestamp(img["created"])).add("ModifiedTime", timestamp(img["modified"]))
    for key, element in (
        ("language", "Language"),
        ("image_family", "ImageFamily"),
        ("recommended_vm_size", "RecommendedVMSize"),
    ):
        b.opt(element, img.get(key))
    b.add("IsPremium", False)
    for key, element in (("eula", "Eula"), ("icon_uri", "IconUri"), ("small_icon_uri", "SmallIconUri")):
        b.opt(element, img.get(key))
    b.opt("PrivacyUri", img.get("privacy_uri")).opt("PublisherName", img.get("publisher"))
    b.opt("PublishedDate", img.get("published_date")).add("ShowInGui", bool(img.get("show_in_gui")))


def _common(body: Node, img: Doc) -> None:
    for key, element in (
        ("description", "Description"),
        ("language", "Language"),
        ("image_family", "ImageFamily"),
        ("recommended_vm_size", "RecommendedVMSize"),
        ("eula", "Eula"),
        ("icon_uri", "IconUri"),
        ("small_icon_uri", "SmallIconUri"),
        ("privacy_uri", "PrivacyUri"),
        ("published_date", "PublishedDate"),
    ):
        value = body.text(element)
        if value is not None:
            img[key] = value
    if body.text("ShowInGui") is not None:
        img["show_in_gui"] = body.bool("ShowInGui")


def _image_number(disk: Node, field: str) -> int:
    """A DataDiskConfiguration's Lun or LogicalDiskSizeInGB: a whole number, or -1, which the old
    SDK's DataDiskConfiguration sends for one left unset (accepted, as before: asm-wire.md is silent);
    anything else is 400 BadRequest naming it (it was a 500 InternalError, which clients retry)."""
    raw = (disk.text(field) or "0").strip()
    number = -1 if raw == "-1" else whole_number(raw)
    if number is None:
        raise bad_request(f"The {field} '{raw}' of a DataDiskConfiguration is not a number.")
    return number


def image_exists(ctx: Ctx, name: str) -> bool:
    return (
        ctx.store.get(ctx.sub, KIND, name) is not None or ctx.store.get(ctx.sub, "os_image", name) is not None
    )


@handler("list_vm_images")
def list_images(ctx: Ctx) -> Response:
    query = ctx.request.query
    root = Builder.root("VMImages")
    for img in ctx.store.list_docs(ctx.sub, KIND):
        if query.get("location") and query["location"].lower() not in (img.get("location") or "").lower():
            continue
        if query.get("publisher") and query["publisher"].lower() != (img.get("publisher") or "").lower():
            continue
        if query.get("category") and query["category"].lower() != "user":
            continue
        _render(root.child("VMImage"), img)
    return xml(200, root)


@handler("create_vm_image")
def create(ctx: Ctx) -> Response:
    body = ctx.body("VMImage")
    name = required(body, "Name")
    osd = body.find("OSDiskConfiguration")
    if osd is None:
        raise bad_request("The OSDiskConfiguration parameter is required.")
    os_state = required(osd, "OSState")
    if os_state not in OS_STATES:
        raise bad_request(
            f"The OSState '{os_state}' is not valid. Valid values are Generalized and Specialized."
        )
    if image_exists(ctx, name):
        raise conflict(f"An image named {name} already exists.")
    box = body.find("DataDiskConfigurations")
    data = [
        {
            "lun": _image_number(d, "Lun"),
            "host_caching": d.text("HostCaching"),
            "media_link": d.text("MediaLink"),
            "size": _image_number(d, "LogicalDiskSizeInGB"),
        }
        for d in (box.children("DataDiskConfiguration") if box is not None else iter(()))
    ]
    img: Doc = {
        "name": name,
        "label": required(body, "Label"),
        "os_disk": {
            "host_caching": osd.text("HostCaching"),
            "os_state": os_state,
            "os": required(osd, "OS"),
            "media_link": required(osd, "MediaLink"),
        },
        "data_disks": data,
        "created": ctx.now,
        "modified": ctx.now,
    }
    _common(body, img)
    ctx.start_operation("create_vm_image", doc_saved(KIND, img), created=name)
    return empty(202)


@handler("update_vm_image")
def update(ctx: Ctx) -> Response:
    img = _find(ctx)
    body = ctx.body("VMImage")
    img["label"] = required(body, "Label")
    osd = body.find("OSDiskConfiguration")
    if osd is not None and osd.text("HostCaching"):
        img["os_disk"]["host_caching"] = osd.text("HostCaching")
    _common(body, img)
    img["modified"] = ctx.now
    ctx.start_operation("update_vm_image", doc_saved(KIND, img))
    return empty(202)


@handler("delete_vm_image")
def delete(ctx: Ctx) -> Response:
    img = _find(ctx)
    ctx.start_operation("delete_vm_image", doc_deleted(KIND, img["name"]))
    return empty(202)


def _user_image(ctx: Ctx) -> tuple[str, Doc]:
    name = ctx.route.params["name"]
    for kind in (KIND, "os_image"):
        doc = ctx.store.get(ctx.sub, kind, name)
        if doc is not None:
            return kind, doc
    from airflow_sm_provider.emulator.handlers.images import find_image

    if find_image(ctx, name) is not None:
        raise bad_request("A public image cannot be replicated, unreplicated or shared.")
    raise not_found(_missing(name))


@handler("replicate_vm_image", "unreplicate_vm_image", "share_vm_image")
def replicate(ctx: Ctx) -> Response:
    kind, img = _user_image(ctx)
    if ctx.route.kind == "replicate_vm_image":
        body = ctx.body("ReplicationInput")
        box = body.find("TargetLocations")
        regions = [r.element.text or "" for r in (box.children("Region") if box is not None else iter(()))]
        if not regions:
            raise bad_request("The TargetLocations parameter must name at least one region.")
        attrs = body.find("ComputeImageAttributes")
        img["replicated"] = {
            "regions": regions,
            "offer": attrs.text("Offer") if attrs is not None else None,
            "sku": attrs.text("Sku") if attrs is not None else None,
            "version": attrs.text("Version") if attrs is not None else None,
        }
    elif ctx.route.kind == "unreplicate_vm_image":
        img["replicated"] = None
    else:
        permission = ctx.request.query.get("permission", "")
        found = next((s for s in SHARE_PERMISSIONS if s.lower() == permission.lower()), None)
        if found is None:
            raise bad_request(
                f"The permission '{permission}' is not valid. Valid values are Public, Private and MSDN."
            )
        img["shared"] = found
    ctx.store.put(ctx.sub, kind, img["name"], img)
    ctx.start_operation(ctx.route.kind)
    return empty(202)

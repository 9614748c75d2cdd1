"""OS images: list, get, details, add (200 with the OSImage body), update, delete (asm-wire.md 4.6).

Labels are PLAIN text here, in requests and responses (recorded). Public images come from
``seed.public_images`` (generated, read-only); user images are stored per subscription. Choices:
adding a name that exists (public or user) is 409 ConflictError; the MediaLink is not checked
against the subscription's storage accounts (the tutorial uses a placeholder); deleting or updating a
public image is 400 BadRequest.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers import seed
from airflow_sm_provider.emulator.handlers.common import (
    Ctx,
    bad_request,
    check_label,
    conflict,
    description,
    empty,
    handler,
    not_found,
    render_kind,
    render_one,
    required,
    xml,
)
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.state import Doc
from airflow_sm_provider.emulator.xmlio import Builder

KIND = "os_image"


def find_image(ctx: Ctx, name: str) -> Doc | None:
    user = ctx.store.get(ctx.sub, KIND, name)
    if user is not None:
        return user
    return next((i for i in seed.public_images(ctx.public_images) if i["name"].lower() == name.lower()), None)


def get_image(ctx: Ctx, name: str) -> Doc:
    image = find_image(ctx, name)
    if image is None:
        raise not_found(p.MSG_IMAGE_NOT_FOUND)
    return image


def _user_image(ctx: Ctx, change: str) -> Doc:
    """The user image the URL names: 400 for a public one (it cannot be ``change``), else 404."""
    img = ctx.store.get(ctx.sub, KIND, ctx.route.params["name"])
    if img is None:
        if find_image(ctx, ctx.route.params["name"]) is not None:
            raise bad_request(f"A public image cannot be {change}.")
        raise not_found(p.MSG_IMAGE_NOT_FOUND)
    return img


def render(b: Builder, img: Doc) -> None:
    b.opt("AffinityGroup", img.get("affinity_group"))
    b.add("Category", img["category"]).add("Label", img["label"]).add("Location", img.get("location") or "")
    b.add("LogicalSizeInGB", img["logical_size"]).opt("MediaLink", img.get("media_link"))
    b.add("Name", img["name"]).add("OS", img["os"])
    b.opt("Eula", img.get("eula")).add("Description", img.get("description"))
    b.opt("ImageFamily", img.get("image_family")).opt("ShowInGui", img.get("show_in_gui"))
    b.opt("PublishedDate", img.get("published")).add("IsPremium", bool(img.get("is_premium")))
    b.opt("PublisherName", img.get("publisher")).opt("OSState", img.get("os_state"))
    b.add("IOType", img.get("io_type") or "Standard")


@handler("list_os_images")
def list_images(ctx: Ctx) -> Response:
    images = [*seed.public_images(ctx.public_images), *ctx.store.list_docs(ctx.sub, KIND)]
    return render_kind("Images", "OSImage", render, images)


@handler("get_os_image", "get_os_image_details")
def get(ctx: Ctx) -> Response:
    img = get_image(ctx, ctx.route.params["name"])
    details = ctx.route.kind == "get_os_image_details"
    root = Builder.root("OSImageDetails" if details else "OSImage")
    render(root, img)
    if details:
        # A public image is everywhere it is listed; a user image where Replicate sent it, at
        # Progress 100 from the moment Replicate is accepted (the emulator copies nothing).
        replicated = (img.get("replicated") or {}).get("regions") or []
        places = [loc for loc in (img.get("location") or "").split(";") if loc] or replicated
        progress = root.child("ReplicationProgress")
        for loc in places:
            progress.child("ReplicationProgressElement").add("Location", loc).add("Progress", 100)
    return xml(200, root)


def media_location(ctx: Ctx, media_link: str | None) -> str:
    """Where a user image is: the region of the subscription's storage account holding its VHD
    (``<account>.blob.core.windows.net``), or "" when the emulator does not know that account.
    Why: clients pick images by Location (libcloud's list_images(location=...))."""
    host = (urlsplit(media_link or "").hostname or "").lower()
    account, _, rest = host.partition(".")
    if rest != "blob.core.windows.net":
        return ""
    acct = ctx.store.get(ctx.sub, "storage", account)
    return str((acct or {}).get("region") or "")


@handler("add_os_image")
def add(ctx: Ctx) -> Response:
    body = ctx.body("OSImage")
    name = required(body, "Name")
    label = check_label(required(body, "Label"))
    media_link = required(body, "MediaLink")
    os_ = required(body, "OS")
    if os_ not in p.OS_TYPES:
        raise bad_request(f"The OS '{os_}' is not valid. Valid values are Linux and Windows.")
    if find_image(ctx, name) is not None:
        raise conflict("An image with the specified name already exists.")
    img = {
        "name": name,
        "label": label,
        "os": os_,
        "category": "User",
        "location": media_location(ctx, media_link),
        "logical_size": 30,
        "media_link": media_link,
        "affinity_group": None,
        "description": description(body),
        "eula": body.text("Eula"),
        "image_family": body.text("ImageFamily"),
        "published": body.text("PublishedDate"),
        "publisher": None,
        "os_state": "Generalized",
        "io_type": "Standard",
        "show_in_gui": None,
        "is_premium": False,
    }
    ctx.store.put(ctx.sub, KIND, name, img)
    ctx.start_operation("add_os_image", created=name)
    return render_one("OSImage", render, img)


@handler("update_os_image")
def update(ctx: Ctx) -> Response:
    img = _user_image(ctx, "updated")
    body = ctx.body("OSImage")
    img["label"] = check_label(required(body, "Label"))
    for field, element in (("eula", "Eula"), ("image_family", "ImageFamily"), ("published", "PublishedDate")):
        value = body.text(element)
        if value is not None:
            if element == "PublishedDate" and not value.strip():
                raise bad_request("The PublishedDate is not a valid date.")
            img[field] = value
    desc = description(body)
    if desc is not None:
        img["description"] = desc
    ctx.store.put(ctx.sub, KIND, img["name"], img)
    ctx.start_operation("update_os_image")
    return render_one("OSImage", render, img)


@handler("delete_os_image")
def delete(ctx: Ctx) -> Response:
    img = _user_image(ctx, "deleted")
    if not ctx.failing():
        ctx.store.delete(ctx.sub, KIND, img["name"])
    ctx.start_operation("delete_os_image")
    return empty(200)

"""What every handler shares: the request context, ASM errors, validation, starting operations.

Operations: every write gets a row whose id is the request's ``x-ms-request-id``. Synchronous kinds
(duration 0) are Succeeded at once. Asynchronous kinds stay InProgress until ``ends`` and then apply
their ``completion`` (a JSON description of the effect, so it survives a restart). A fault-injected
``Request.fail_operation`` makes the operation end Failed with that code and apply ``on_fail``
instead (the rollback), never the effect.

Locks: an operation carries the keys of the deployments (and services) it holds; while it is
InProgress every other write touching one of them gets 409 ConflictError with the exclusive-access
text (asm-wire.md 2.3), and Get Deployment shows ``Locked=true``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.http import Request, Response
from airflow_sm_provider.emulator.routes import Route
from airflow_sm_provider.emulator.state import Doc, Operation, Store
from airflow_sm_provider.emulator.timings import duration
from airflow_sm_provider.emulator.xmlio import Builder, Node, XmlError, parse, unb64


class AsmError(Exception):
    """An ASM error answer: HTTP status + ``<Error><Code/><Message/></Error>``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad_request(message: str, code: str = p.ERR_BAD_REQUEST) -> AsmError:
    return AsmError(400, code, message)


def require_version(version: str, minimum: str) -> None:
    """400 MissingOrIncorrectVersionHeader when ``version`` predates ``minimum`` (ASM versions are
    dates, so they compare as text): what the operation or value needs did not exist before it
    (asm-wire.md 1.2). The message is the emulator's; no recording has the real one."""
    if version < minimum:
        raise AsmError(
            400,
            p.ERR_MISSING_VERSION,
            f"The versioning header {version} is not valid for this operation: it needs {minimum} or later.",
        )


def not_found(message: str) -> AsmError:
    return AsmError(404, p.ERR_NOT_FOUND, message)


def conflict(message: str = p.MSG_CONFLICT_GENERIC) -> AsmError:
    return AsmError(409, p.ERR_CONFLICT, message)


#: HTTP status of a failed operation per injected error code.
FAIL_STATUS = {
    p.ERR_BAD_REQUEST: 400,
    p.ERR_NOT_FOUND: 404,
    p.ERR_CONFLICT: 409,
    p.ERR_TOO_MANY_REQUESTS: 429,
    p.ERR_INTERNAL: 500,
    p.ERR_OPERATION_TIMED_OUT: 500,
    p.ERR_SERVER_BUSY: 503,
}
FAIL_MESSAGE = {
    p.ERR_CONFLICT: p.MSG_CONFLICT_GENERIC,
    p.ERR_INTERNAL: p.MSG_INTERNAL,
    p.ERR_SERVER_BUSY: p.MSG_SERVER_BUSY,
    p.ERR_TOO_MANY_REQUESTS: p.MSG_THROTTLED,
    p.ERR_OPERATION_TIMED_OUT: "The operation could not be completed within the permitted time.",
}


@dataclass
class Ctx:
    """One request being handled, inside the store's transaction."""

    request: Request
    route: Route
    store: Store
    now: float
    speed: float
    request_id: str
    public_images: int
    _body: Node | None = field(default=None, repr=False)

    @property
    def sub(self) -> str:
        return self.route.sub

    @property
    def host(self) -> str:
        return self.request.server_host

    @property
    def version(self) -> str:
        """The request's x-ms-version (already checked to be a known one)."""
        return self.request.headers.get(p.HEADER_VERSION, "").strip()

    def body(self, root: str | None = None) -> Node:
        """The parsed request body (400 InvalidXmlRequest when malformed or of the wrong root)."""
        if self._body is None:
            try:
                self._body = parse(self.request.body)
            except XmlError as exc:
                raise bad_request(f"The request body is not valid XML: {exc}", p.ERR_INVALID_XML) from exc
        if root is not None and self._body.name.strip() != root:
            raise bad_request(f"The request body's root element must be {root}.", p.ERR_INVALID_XML)
        return self._body

    def mgmt_url(self, *parts: str) -> str:
        """Url fields: the real path shape on the emulator's host (the real host would not resolve)."""
        return f"https://{self.host}/{self.sub}/" + "/".join(parts)

    def start_operation(
        self,
        kind: str,
        completion: Doc | None = None,
        *,
        locks: list[str] | None = None,
        on_fail: Doc | None = None,
        seconds: float | None = None,
        created: str | None = None,
    ) -> Operation:
        """Record the operation this request starts; sync kinds (0 s) finish right away.

        ``created``: the name a create adds under the collection it was POSTed to. List Subscription
        Operations reports as ``OperationObjectId`` "the URL for performing an HTTP GET on the
        object" (and filters on it), which for a create is the new resource's URL, not the
        collection's: filtering by a hosted service must find the operation that created it.
        """
        length = duration(kind, self.speed) if seconds is None else seconds
        if self.request.operation_seconds is not None:  # a long_operation fault rule
            length = self.request.operation_seconds
        fail = self.request.fail_operation
        op = Operation(
            id=self.request_id,
            sub=self.sub,
            kind=kind,
            lock_key=("|" + "|".join(k.lower() for k in locks) + "|") if locks else None,
            started=self.now,
            ends=self.now + length,
            status=p.OP_IN_PROGRESS,
            fail_code=fail,
            http_status=None,
            error_code=None,
            error_message=self.request.fail_operation_message if fail else None,
            completion={
                "effect": completion or {},
                "on_fail": on_fail or {},
                # For List Subscription Operations: what the operation was done to, and by whom.
                "object": self.request.path.rstrip("/") + (f"/{created}" if created else ""),
                "params": dict(self.route.params),
                "caller": caller_thumbprint(self.request.client_cert_der),
            },
        )
        self.store.add_operation(op)
        if length <= 0:
            finish_operation(self.store, op, self.now)
        return op

    def failing(self) -> bool:
        """True when a fault rule says the operation this request starts must fail."""
        return self.request.fail_operation is not None


Handler = Callable[[Ctx], Response]
Completion = Callable[[Store, Operation, Doc, float], None]
HANDLERS: dict[str, Handler] = {}
COMPLETIONS: dict[str, Completion] = {}


def handler(*kinds: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = fn
        return fn

    return register


def completion(action: str) -> Callable[[Completion], Completion]:
    def register(fn: Completion) -> Completion:
        COMPLETIONS[action] = fn
        return fn

    return register


def finish_operation(store: Store, op: Operation, now: float) -> None:
    """Apply an operation's effect (or its rollback when it was made to fail) and close it."""
    part = "on_fail" if op.fail_code else "effect"
    step: Doc = op.completion.get(part) or {}
    action = step.get("action")
    if action:
        COMPLETIONS[action](store, op, step, now)
    if op.fail_code:
        op.status = p.OP_FAILED
        op.http_status = FAIL_STATUS.get(op.fail_code, 500)
        op.error_code = op.fail_code
        op.error_message = op.error_message or FAIL_MESSAGE.get(
            op.fail_code, f"The operation failed with {op.fail_code}."
        )
    else:
        op.status, op.http_status = p.OP_SUCCEEDED, 200
    store.update_operation(op)


def advance(store: Store, now: float) -> None:
    """Finish every operation whose end time has passed, oldest first (call inside a transaction)."""
    for op in store.due_operations(now):
        finish_operation(store, op, now)


# --- responses -----------------------------------------------------------------------------------
def xml(status: int, builder: Builder, headers: dict[str, str] | None = None) -> Response:
    return Response(status, builder.tobytes(), {"Content-Type": p.RESPONSE_CONTENT_TYPE, **(headers or {})})


def empty(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(status, b"", dict(headers or {}))


def error_body(code: str, message: str) -> bytes:
    return Builder.root("Error").add("Code", code).add("Message", message).tobytes()


#: Writes one resource's elements into the element it is given (the same for a Get and a List entry).
Render = Callable[[Builder, Doc], None]


def render_one(tag: str, render: Render, doc: Doc) -> Response:
    """200 with ``<tag>`` holding one resource: Get X, and the writes that answer with the resource."""
    root = Builder.root(tag)
    render(root, doc)
    return xml(200, root)


def render_kind(tag: str, item: str, render: Render, docs: Iterable[Doc]) -> Response:
    """200 with ``<tag><item/>...</tag>``, one ``item`` per resource: List X."""
    root = Builder.root(tag)
    for doc in docs:
        render(root.child(item), doc)
    return xml(200, root)


# --- lookups and the effects most writes have ----------------------------------------------------
def lookup(ctx: Ctx, kind: str, name: str, missing: str) -> Doc:
    """The stored ``kind`` resource named ``name``, or 404 ResourceNotFound with ``missing`` (each
    resource has its own recorded or chosen text)."""
    doc = ctx.store.get(ctx.sub, kind, name)
    if doc is None:
        raise not_found(missing)
    return doc


@dataclass(frozen=True)
class ResourceKind:
    """A stored kind whose List shows every resource of the subscription and whose Get, by the
    route's ``name``, shows one, each with the same elements (disks, reserved IPs, storage accounts).

    Its lookup, List and Get are written once here, so a kind cannot answer a Get in one shape and
    a List entry in another, or word its 404 differently for a read and a write.
    """

    kind: str  #: the store's kind
    tag: str  #: Get's root element, and each List entry's
    list_tag: str  #: List's root element
    render: Callable[[Ctx, Builder, Doc], None]  #: one resource's elements (``ctx`` for its URLs)
    missing: str  #: the 404 text for an unknown name; ``{name}`` is filled in

    def find(self, ctx: Ctx, name: str | None = None) -> Doc:
        """The resource named ``name`` (default: the route's ``name``), or 404 with ``missing``."""
        wanted = ctx.route.params["name"] if name is None else name
        return lookup(ctx, self.kind, wanted, self.missing.format(name=wanted))

    def answer_one(self, ctx: Ctx, doc: Doc) -> Response:
        """200 with ``<tag>`` holding ``doc``: Get, and a write that answers with the resource."""
        return render_one(self.tag, partial(self.render, ctx), doc)

    def answer_list(self, ctx: Ctx) -> Response:
        docs = ctx.store.list_docs(ctx.sub, self.kind)
        return render_kind(self.list_tag, self.tag, partial(self.render, ctx), docs)

    def answer_get(self, ctx: Ctx) -> Response:
        return self.answer_one(ctx, self.find(ctx))

    def serve(self, list_kind: str, get_kind: str) -> ResourceKind:
        """Register ``answer_list`` and ``answer_get`` as the handlers of these operation kinds."""
        handler(list_kind)(self.answer_list)
        handler(get_kind)(self.answer_get)
        return self


def doc_saved(kind: str, doc: Doc) -> Doc:
    """The completion that stores ``doc`` (a create or update that shows only when its operation ends)."""
    return {"action": "doc_saved", "kind": kind, "doc": doc}


def doc_deleted(kind: str, key: str) -> Doc:
    """The completion that removes the ``kind`` resource stored under ``key`` when its operation ends."""
    return {"action": "doc_deleted", "kind": kind, "key": key}


@completion("doc_saved")
def _doc_saved(store: Store, op: Operation, step: Doc, now: float) -> None:
    store.put(op.sub, step["kind"], step["doc"]["name"], step["doc"])


@completion("doc_deleted")
def _doc_deleted(store: Store, op: Operation, step: Doc, now: float) -> None:
    store.delete(op.sub, step["kind"], step["key"])


# --- validation ------------------------------------------------------------------------------------
_DNS_LABEL = re.compile(r"^[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_STORAGE_NAME = re.compile(rf"^[a-z0-9]{{{p.STORAGE_NAME_MIN},{p.STORAGE_NAME_MAX}}}$")
_PROP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def valid_service_name(name: str) -> bool:
    return len(name) <= p.SERVICE_NAME_MAX and bool(_DNS_LABEL.match(name))


def valid_storage_name(name: str) -> bool:
    return bool(_STORAGE_NAME.match(name))


def storage_name_message(name: str) -> str:
    return (
        f"The name '{name}' is not a valid storage account name. Storage account names must be between "
        f"{p.STORAGE_NAME_MIN} and {p.STORAGE_NAME_MAX} characters in length and use numbers and "
        "lower-case letters only."
    )


def required(node: Node, name: str) -> str:
    value = node.text(name)
    if value is None or not value.strip():
        raise bad_request(f"The {name} parameter is required.")
    return value.strip()


def label_b64(node: Node, name: str = "Label", *, required_: bool = True) -> str | None:
    """A base64 label (hosted service, deployment, storage, affinity group), decoded and limited."""
    raw = node.text(name)
    if raw is None or raw == "":
        if required_:
            raise bad_request(f"The {name} parameter is required.")
        return None
    try:
        text = unb64(raw)
    except ValueError as exc:
        raise bad_request(f"The value of {name} is not a valid base64 string.") from exc
    return check_label(text, name)


def check_label(text: str, name: str = "Label") -> str:
    if len(text) > p.LABEL_MAX_CHARS:
        raise bad_request(f"The {name} is longer than {p.LABEL_MAX_CHARS} characters.")
    return text


def description(node: Node) -> str | None:
    text = node.text("Description")
    if text is not None and len(text) > p.DESCRIPTION_MAX_CHARS:
        raise bad_request(f"The Description is longer than {p.DESCRIPTION_MAX_CHARS} characters.")
    return text


def extended_properties(node: Node) -> dict[str, str] | None:
    props = node.extended_properties()
    if props is None:
        return None
    if len(props) > p.EXTENDED_PROPERTIES_MAX:
        raise bad_request(f"At most {p.EXTENDED_PROPERTIES_MAX} extended properties are allowed.")
    for key, value in props.items():
        if len(key) > p.EXTENDED_PROPERTY_NAME_MAX or not _PROP_NAME.match(key):
            raise bad_request(f"The extended property name '{key}' is not valid.")
        if len(value) > p.EXTENDED_PROPERTY_VALUE_MAX:
            raise bad_request(f"The value of extended property '{key}' is longer than 255 characters.")
    return props


def caller_thumbprint(der: bytes | None) -> str:
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper() if der else ""


def new_id() -> str:
    return uuid.uuid4().hex


def lock_key(sub: str, service: str, deployment: str | None = None) -> str:
    return f"{sub}/{service}" + (f"/{deployment}" if deployment else "")


def ensure_unlocked(store: Store, *keys: str) -> None:
    for key in keys:
        if store.locking_operation(key) is not None:
            raise conflict(p.MSG_EXCLUSIVE_ACCESS)


def deployment_lock(ctx: Ctx, dep: Doc) -> str:
    """The lock key of a deployment (what its operations hold, what Get Deployment's Locked reads)."""
    return lock_key(ctx.sub, dep["service"], dep["name"])


def hold_deployment(ctx: Ctx, dep: Doc) -> list[str]:
    """409 ConflictError while another operation holds ``dep``; else the ``locks`` the operation this
    request starts takes. Called where the handler checks the lock, so the order of its checks (which
    error a bad request gets first) stays the handler's."""
    key = deployment_lock(ctx, dep)
    ensure_unlocked(ctx.store, key)
    return [key]


def capitalise_slot(slot: str) -> str:
    for known in p.DEPLOYMENT_SLOTS:
        if slot.lower() == known.lower():
            return known
    raise bad_request(f"The deployment slot '{slot}' is not valid. Valid values are Production and Staging.")


def first(items: list[Any]) -> Any:
    return items[0] if items else None

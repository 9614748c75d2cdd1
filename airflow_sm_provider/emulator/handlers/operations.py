"""Get Operation Status (asm-wire.md 2.2).

``ID`` is the request id re-formatted with dashes; no ``HttpStatusCode`` while InProgress;
``HttpStatusCode`` 200 on Succeeded whatever the submitting call answered; Failed carries the failure
code and ``<Error><Code/><Message/></Error>``. An unknown id (or one of another subscription) is
answered 404 ResourceNotFound "The operation was not found." (unverified; the most likely answer).
The id is matched case-insensitively and with or without dashes.
"""

from __future__ import annotations

from airflow_sm_provider import protocol as p
from airflow_sm_provider.emulator.handlers.common import Ctx, handler, not_found, xml
from airflow_sm_provider.emulator.http import Response
from airflow_sm_provider.emulator.xmlio import Builder

MSG_OPERATION_NOT_FOUND = "The operation was not found."


def dashed(request_id: str) -> str:
    h = request_id
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@handler("get_operation_status")
def get_status(ctx: Ctx) -> Response:
    raw = ctx.route.params["id"].replace("-", "").lower()
    op = ctx.store.operation(raw) if len(raw) == 32 else None
    if op is None or op.sub != ctx.sub.lower():
        raise not_found(MSG_OPERATION_NOT_FOUND)
    root = Builder.root("Operation").add("ID", dashed(op.id)).add("Status", op.status)
    if op.status != p.OP_IN_PROGRESS:
        root.add("HttpStatusCode", op.http_status or 200)
    if op.status == p.OP_FAILED:
        err = root.child("Error")
        err.add("Code", op.error_code or p.ERR_INTERNAL).add("Message", op.error_message or p.MSG_INTERNAL)
    return xml(200, root)

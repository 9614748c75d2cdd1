"""The manual promotion gate of the release operators, on Airflow's own human-in-the-loop operator.

A release operator asks for approval by delegating to Airflow's
:class:`~airflow.providers.standard.operators.hitl.ApprovalOperator` for its own task instance: the
request appears in Airflow's "Required Actions" view and HITL REST API like any approval task, the task
waits parked (``awaiting_input``: no worker, no trigger), and Airflow's operator validates the answer.
Keeping it inside the release task (rather than as a task of its own between two release tasks) means
the approval sits exactly between the gate and the flip (or between two upgrade domains), nothing can
change in between unseen (the gates are re-checked after it), and the release report records it.
"Reject", and a timeout (whose default is "Reject"), leave production untouched.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow_sm_provider._rendering import boolean, duration, optional
from airflow_sm_provider.operators._arguments import DeclaredArguments, argument

__all__ = [
    "APPROVE",
    "ApprovalArgsMixin",
    "approval_operator",
    "approval_request",
    "cscfg_changes",
    "gate_lines",
    "why_not_approved",
]

APPROVE = "Approve"


class ApprovalArgsMixin(DeclaredArguments):
    """The approval arguments of a release operator, declared once (each operator documents them).

    ``require_approval`` is read strictly once rendered (a templated ``"True"`` asks, ``"False"``
    does not); ``approval_timeout`` is the seconds to wait for the answer (None: no limit).
    """

    require_approval: bool | str = argument(False, reader=boolean, templated=True)
    approval_timeout: float | None = argument(None, reader=optional(duration()))


def _settings(xml: str) -> dict[str, str]:
    """``Role/setting -> value`` and ``Role/instances -> count`` of a ``.cscfg`` (XML or its base64)."""
    # The client's hardened parser (no DTD, bounded), imported here: not at DAG parse.
    from airflow_sm_provider.client.errors import InvalidResponseError
    from airflow_sm_provider.client.xmlsafe import parse_xml

    out: dict[str, str] = {}
    text = xml.strip()
    if text and not text.startswith(("<", "\ufeff<")):  # the base64 form a configuration may take
        import base64
        import binascii

        try:
            text = base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return out
    try:
        root = parse_xml(text.encode("utf-8"))
    except InvalidResponseError:
        return out
    for role in root.iter("{*}Role", "Role"):
        name = role.get("name", "?")
        for child in role.iter():
            if not isinstance(child.tag, str):  # comments and processing instructions
                continue
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "Instances":
                out[f"{name}/instances"] = child.get("count", "")
            elif tag == "Setting":
                out[f"{name}/{child.get('name', '?')}"] = child.get("value", "")
    return out


def cscfg_changes(old_xml: str, new_xml: str) -> list[str]:
    """What changed from one ``.cscfg`` to the other, one line per setting (values of settings whose
    names look secret are not shown)."""
    old, new = _settings(old_xml or ""), _settings(new_xml or "")
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        secret = any(
            word in key.lower() for word in ("password", "secret", "key", "token", "connectionstring")
        )
        before = "(hidden)" if secret else old.get(key, "(none)")
        after = "(hidden)" if secret else new.get(key, "(none)")
        lines.append(f"{key}: {before} -> {after}")
    return lines


def gate_lines(checks: list[dict[str, Any]]) -> list[str]:
    return [f"{'ok' if c['ok'] else 'FAILED'} {c['name']}: {c['detail']}" for c in checks]


def approval_request(
    subject: str, heading: list[str], changes: list[str], direction: str, if_rejected: str
) -> dict[str, str]:
    """What a release operator asks a human (``Next(approval=...)``): the subject, and a body of the
    operator's own lines, then what changes in the ``.cscfg`` (``direction`` says from what to what)
    and what Reject (or no answer) does."""
    listed = [f"- {line}" for line in changes] or ["- (none)"]
    body = "\n".join([*heading, "", f"Changes in the .cscfg ({direction}):", *listed, "", if_rejected])
    return {"subject": subject, "body": body}


def why_not_approved(event: dict[str, Any]) -> str:
    """The report's words for an answer that was not "Approve"."""
    return "no answer in time" if event.get("timed_out") else str(event.get("message", "rejected"))


def approval_operator(task_id: str, subject: str, body: str, timeout_seconds: float | None) -> Any:
    """Airflow's ApprovalOperator for this task instance (timeout: the default "Reject" is taken)."""
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    return ApprovalOperator(
        task_id=task_id,
        subject=subject,
        body=body,
        defaults="Reject",
        response_timeout=timedelta(seconds=timeout_seconds) if timeout_seconds else None,
    )

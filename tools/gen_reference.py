"""Generate docs/reference.md from the code: signatures, docstrings, templated fields, XCom keys.

    python tools/gen_reference.py            # rewrite docs/reference.md
    python tools/gen_reference.py --check    # exit 1 if docs/reference.md is stale or a class is
                                             # missing documentation for an __init__ argument

What comes from where:
* classes: the modules listed in ``get_provider_info()`` (hooks, operators, sensors, triggers), each
  module's ``__all__``, keeping Airflow operators, sensors, triggers and hooks;
* arguments: ``inspect.signature(cls.__init__)`` (names, annotations, defaults) and the ``:param``
  lines of the class docstring (or of a base class for inherited arguments);
* templated fields: ``cls.template_fields``; default wait: ``default_poll_interval`` / ``default_timeout``;
* XCom keys of operators: the dict literals returned by ``build_result`` / ``check_existing`` (read with
  ``ast``, following the module's ``_..._result`` helpers);
* the few facts a docstring cannot carry (sensor/trigger event shape, exceptions raised) are in
  ``NOTES`` below and must exist for every documented class.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib
import inspect
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "docs" / "reference.md"

BASES = (
    "airflow_sm_provider.operators.base.AsmBaseOperator",
    "airflow_sm_provider.sensors._base.AsmBaseSensor",
)

OPERATOR_ERRORS = (
    "Before any request: `InvalidInputError` (a `ValueError`) for a bad argument, also after "
    "templating. Then the client's `AsmError` subclasses (`AuthenticationError`, `NotFoundError`, "
    "`ConflictError`, ...). The operation ending `Failed`: `OperationFailedError` with ASM's "
    "error code; the deadline passing: `OperationTimeoutError` (the request id is kept, a retry "
    "resumes waiting on it)."
)
SENSOR_ERRORS = (
    "Operation `Failed` / instance `FailedStarting*`: `AirflowFailException` (no retry). Timeout: "
    "`AirflowSensorTimeout` (`soft_fail` skips). The wait itself broken in the trigger (certificate, "
    "connection): `AsmWaitError`; in poke mode the client's own exception."
)
TRIGGER_EVENT = (
    'Yields exactly one `TriggerEvent`: `{"status": "success" | "failed" | "timeout", "message": ..., '
    '<its own arguments>, <last progress payload>, "error_code"?: ...}`; an exception while polling '
    "becomes a `failed` event with `error_type`."
)

#: Facts that live in behaviour, not in a docstring: one entry per documented class.
NOTES: dict[str, str] = {
    "ServiceManagementHook": (
        "**Returns**: `get_conn()` -> a cached `ServiceManagementClient`; `await get_async_conn()` -> a "
        "new `AsyncServiceManagementClient` (close it); `test_connection()` -> `(ok, message)` after "
        "Get Subscription, the message naming the fix on failure.\n\n"
        "**Errors**: `InvalidInputError` (a `ValueError`; `.field` is the connection field) naming "
        "the field to fix (no certificate, both certificate "
        "fields, no subscription, bad `verify`/`timeout`/`max_retries`); `CertificateError` for a bad "
        "certificate (expired, under 2048 bits, key mismatch, wrong password)."
    ),
    "AsmBaseOperator": "**Errors**: " + OPERATOR_ERRORS,
    "AsmRegenerateStorageKeysOperator": (
        "**Waits**: no. Regenerate Storage Account Keys is synchronous (ASM answers with the new keys, "
        "which the task masks and drops), so `wait_for_completion`, `deferrable`, `poll_interval` and "
        "`timeout` change nothing.\n\n"
        "**XCom** (`return_value`): a dict with `service_name`, `key_type`, `regenerated_at` (ISO 8601, "
        "UTC), `by_previous_try` (a retry found the key already rotated by the try it follows and sent "
        "nothing), `request_id` (None), `status`. Never a key.\n\n"
        "**Errors**: as for [`AsmBaseOperator`](#asmbaseoperator)."
    ),
    "AsmGuardedSwapOperator": (
        "**XCom**: the release report (JSON, no secrets; docs/blue-green.md) as `return_value` and "
        "under keys `release_report` and `swap_report`, on every outcome: the keys of every release report "
        "(`release_report.py`: `strategy` `vip_swap`, `service_name`, `started_at`, `ended_at`, "
        "`outcome` released / refused / "
        "rolled_back / failed, `events`) and the swap's own (`swap_outcome`, `mode`, `message`, "
        "`old_production`, `new_production`, `before` / `after`, `swapped`, `rolled_back`, "
        "`swap_request_id`, `rollback_request_id`, `swapped_at`, `finished_at`, `checks`; `approval` "
        "with `require_approval`).\n\n"
        "**Deferrable**: yes: the lock wait, the health gate, the swap, the verification and the whole "
        "bake run in `AsmReleaseTrigger`; the worker decides and sends requests. A gate that passes at "
        "its first look does not defer. `require_approval` parks the task (Airflow's ApprovalOperator).\n\n"
        "**Errors**: `InvalidInputError` for a bad argument, before any request; `AirflowException` "
        "when a gate refuses the swap before any flip (a retry may "
        "succeed later); `AirflowFailException` (no retry) after a flip that was swapped back, or when "
        "production is unhealthy and rollback was off or impossible."
    ),
    "AsmGuardedRollingUpgradeOperator": (
        "**XCom**: the release report (`strategy` `rolling_upgrade`, one lane per upgrade domain; "
        "docs/rolling-upgrade.md) as `return_value` and `release_report`.\n\n"
        "**Deferrable**: yes: every walk, domain readiness, health check and domain bake runs in "
        "`AsmReleaseTrigger`.\n\n"
        "**Errors**: `InvalidInputError` for a bad argument, before any request, and for a "
        "`role_to_upgrade` the deployment does not have, before the upgrade request; `AirflowException` "
        "when refused before any change (e.g. production already unhealthy without "
        "`allow_unhealthy_start`); `AirflowFailException` after "
        "a rollback (`rolled_back`, `rolled_back_unhealthy` when production still fails its checks, "
        "`rolled_back_unverified` when they could not be run) "
        "or a failure once the upgrade started."
    ),
    "AsmBaseSensor": "**Errors**: " + SENSOR_ERRORS,
    "AsmOperationSensor": (
        "**XCom**: the success event: `request_id`, `operation_id`, `operation_status`, "
        "`http_status_code`, `status` (`success`), `message`.\n\n"
        "**Deferrable**: one immediate check, then `AsmOperationTrigger`."
    ),
    "AsmDeploymentReadySensor": (
        "**XCom**: the success event: `service_name`, `deployment_slot`, `deployment_name`, "
        "`deployment_status`, `instances_ready`, `instances_total`, `status` (`success`), `message`.\n\n"
        "**Deferrable**: one immediate check, then `AsmDeploymentReadyTrigger`."
    ),
    "AsmPollTrigger": TRIGGER_EVENT,
    "AsmDeploymentTrigger": (
        "**Event payload**: `service_name`, `checks`, the last seen deployment state (`deployment_name`, "
        "`deployment_status`, `instances_ready`, `instances_total`, `roles`); `error_code` = the deciding "
        "state (e.g. `UnresponsiveRole`, `slot_changed`)."
    ),
    "AsmReleaseTrigger": (
        "**Event payload**: `status`, `message`, `steps` (each step's `name`, `kind`, `outcome`, "
        "`message`, `reason`, `at`, `target`?, `samples`? for a bake), `error_code`?, `error_type`?, and "
        "the `carry` data (`phase`). Only reads."
    ),
    "AsmOperationTrigger": (
        "**Event payload**: `request_id`, `operation_id`, `operation_status`, `http_status_code`, and "
        "on failure `error_code`, `error_message`."
    ),
    "AsmDeploymentReadyTrigger": (
        "**Event payload**: `service_name`, `deployment_slot`, `deployment_name`, `deployment_status`, "
        "`instances_ready`, `instances_total`; `error_code` = the failed instance state."
    ),
}


# ---------------------------------------------------------------------------------------------
def rst_to_md(text: str) -> str:
    """The reST bits our docstrings use -> Markdown."""

    def role(match: re.Match[str]) -> str:
        target = match.group(2)
        return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"

    text = re.sub(r":(?:class|meth|func|attr|mod|exc):`(~?)([^`]+)`", role, text)
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def cell(text: str) -> str:
    """Escape a Markdown table cell."""
    return text.replace("|", "\\|")


def split_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Return (body without :param: lines, {param: description})."""
    body: list[str] = []
    params: dict[str, str] = {}
    current: str | None = None
    for line in inspect.cleandoc(doc or "").splitlines():
        match = re.match(r":param (\w+):\s*(.*)", line)
        if match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif current and line.startswith(" ") and line.strip():
            params[current] += " " + line.strip()
        else:
            current = None
            body.append(line)
    return "\n".join(body).strip(), {k: rst_to_md(v) for k, v in params.items()}


def inherited_params(cls: type) -> dict[str, str]:
    """:param docs of the class and all its bases in this package (own first)."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is cls or klass.__module__.startswith("airflow_sm_provider"):
            found.update(split_docstring(klass.__doc__ or "")[1])
    return found


def own_init_params(cls: type) -> list[inspect.Parameter]:
    """The arguments ``cls.__init__`` itself declares (``**kwargs`` goes to the base). A
    ``**kw: Unpack[...]`` (the triggers' shared keyword arguments) lists the keyword-only arguments
    of the nearest base that declares ``__init__``: the caller passes them to this class."""
    if "__init__" not in vars(cls):
        return []
    sig = inspect.signature(cls.__init__)
    skip = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    params = [p for name, p in sig.parameters.items() if name != "self" and p.kind not in skip]
    if any(p.kind is p.VAR_KEYWORD and "Unpack[" in str(p.annotation) for p in sig.parameters.values()):
        base = next(b for b in cls.__mro__[1:] if "__init__" in vars(b))
        params += [p for p in own_init_params(base) if p.kind is p.KEYWORD_ONLY]
    return params


def fmt_default(param: inspect.Parameter) -> str:
    if param.default is inspect.Parameter.empty:
        return "**required**"
    if param.name == "deferrable" and isinstance(param.default, bool):
        return "`[operators] default_deferrable`"
    return f"`{param.default!r}`"


def fmt_annotation(param: inspect.Parameter) -> str:
    ann = param.annotation
    if ann is inspect.Parameter.empty:
        return ""
    return str(ann) if isinstance(ann, str) else getattr(ann, "__name__", repr(ann))


# --- XCom keys from the source --------------------------------------------------------------------
def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _class_methods(tree: ast.Module, name: str) -> dict[str, ast.FunctionDef]:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
    return {}


def _keys_of(node: ast.AST | None, helpers: dict[str, ast.FunctionDef], methods: dict[str, Any]) -> set[str]:
    if isinstance(node, ast.Dict):
        keys: set[str] = set()
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                keys |= _keys_of(value, helpers, methods)
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                keys.add(key.value)
        return keys
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in helpers:
            return _returned_keys(helpers[func.id], helpers, methods)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            target = methods.get(func.attr)
            if target is not None:
                return target()
    return set()


def _returned_keys(
    fn: ast.FunctionDef, helpers: dict[str, ast.FunctionDef], methods: dict[str, Any]
) -> set[str]:
    keys: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Return):
            keys |= _keys_of(node.value, helpers, methods)
    return keys


def xcom_keys(cls: type) -> list[str]:
    """Keys of the dict an operator returns (``build_result`` and ``check_existing``), from the AST."""
    cache: dict[tuple[str, str], set[str]] = {}

    def method_keys(name: str) -> set[str]:
        for klass in cls.__mro__:
            if name in vars(klass) and klass.__module__.startswith("airflow_sm_provider"):
                key = (klass.__qualname__, name)
                if key not in cache:
                    cache[key] = set()
                    tree = ast.parse(inspect.getsource(sys.modules[klass.__module__]))
                    fn = _class_methods(tree, klass.__name__)[name]
                    methods = {"build_result": lambda: method_keys("build_result")}
                    cache[key] = _returned_keys(fn, _functions(tree), methods)
                return cache[key]
        return set()

    return sorted(method_keys("build_result") | method_keys("check_existing"))


# --- discovery ----------------------------------------------------------------------------------
def _import(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def discover() -> dict[str, list[type]]:
    """Public classes by kind, in provider-info order."""
    from airflow.sdk import BaseHook, BaseOperator
    from airflow.triggers.base import BaseTrigger

    from airflow_sm_provider.get_provider_info import get_provider_info

    info = get_provider_info()
    kinds = {
        "hooks": [m for h in info.get("hooks", []) for m in h["python-modules"]],
        "operators": [m for o in info.get("operators", []) for m in o["python-modules"]],
        "sensors": [m for s in info.get("sensors", []) for m in s["python-modules"]],
        "triggers": [m for t in info.get("triggers", []) for m in t["python-modules"]],
    }
    wanted = {"hooks": BaseHook, "operators": BaseOperator, "sensors": BaseOperator, "triggers": BaseTrigger}
    found: dict[str, list[type]] = {}
    for kind, modules in kinds.items():
        classes: list[type] = []
        for module_name in modules:
            module = importlib.import_module(module_name)
            for name in getattr(module, "__all__", []):
                obj = getattr(module, name)
                if inspect.isclass(obj) and issubclass(obj, wanted[kind]) and obj.__module__ == module_name:
                    classes.append(obj)
        found[kind] = classes
    return found


# --- rendering ----------------------------------------------------------------------------------
def render_class(cls: type, problems: list[str], *, kind: str) -> list[str]:
    body, own_docs = split_docstring(cls.__doc__ or "")
    docs = inherited_params(cls)
    out = [f"### `{cls.__name__}`", "", f"`from {cls.__module__} import {cls.__name__}`", ""]
    if body:
        out += [rst_to_md(body), ""]
    params = own_init_params(cls)
    templated = set(getattr(cls, "template_fields", ()) or ())
    if params:
        out += ["| argument | type | default | templated | description |", "|---|---|---|---|---|"]
        for p in params:
            text = docs.get(p.name)
            if not text:
                problems.append(
                    f"{cls.__module__}.{cls.__name__}: __init__ argument {p.name!r} has no :param"
                )
                text = "(undocumented)"
            mark = "yes" if p.name in templated else ""
            ann = fmt_annotation(p).replace("|", "\\|")
            out.append(f"| `{p.name}` | `{ann}` | {fmt_default(p)} | {mark} | {cell(text)} |")
        out.append("")
    known = {p.name for klass in cls.__mro__ if "__init__" in vars(klass) for p in own_init_params(klass)}
    for name in own_docs:
        if name not in known:
            problems.append(f"{cls.__module__}.{cls.__name__}: :param {name} is not an __init__ argument")
    if templated:
        out += ["**Templated fields**: " + ", ".join(f"`{t}`" for t in sorted(templated)), ""]
    note = NOTES.get(cls.__name__)
    # A release operator's own note replaces the one-request operators' waits/XCom/errors block.
    generic = note is None and hasattr(cls, "default_poll_interval") and hasattr(cls, "submit")
    if kind == "operators" and generic:
        out += [
            f"**Waits** by default every {cls.default_poll_interval:g} s for up to "
            f"{cls.default_timeout:g} s (`poll_interval`, `timeout`). **Deferrable**: with "
            "`deferrable=True` the request is sent by the worker, then `AsmOperationTrigger` polls.",
            "",
        ]
        keys = xcom_keys(cls)
        out += [
            "**XCom** (`return_value`): a dict with " + ", ".join(f"`{k}`" for k in keys) + ".",
            "",
            "**Errors**: as for [`AsmBaseOperator`](#asmbaseoperator).",
            "",
        ]
    if note is None and kind not in ("operators",):
        problems.append(f"tools/gen_reference.py: no NOTES entry for {cls.__name__}")
    if note:
        out += [note, ""]
    return out


def render() -> tuple[str, list[str]]:
    problems: list[str] = []
    found = discover()
    out = [
        "# Reference",
        "",
        "<!-- Generated by tools/gen_reference.py from the code; do not edit by hand. "
        "`make docs-check` fails when this file is stale. -->",
        "",
        "Every hook, operator, sensor and trigger of `airflow_sm_provider`: arguments (with their "
        "types and defaults), templated fields, what goes to XCom, how it waits, what it raises. "
        "Operators also take every `BaseOperator` argument (`task_id`, `retries`, `pool`, ...), "
        "sensors every `BaseSensorOperator` argument (`poke_interval`, `timeout`, `mode`, `soft_fail`).",
        "",
        "Contents: [Hook](#hook) · [Operators](#operators) · [Sensors](#sensors) · [Triggers](#triggers) "
        "· [Errors](#errors)",
        "",
        "## Hook",
        "",
    ]
    for cls in found["hooks"]:
        out += render_class(cls, problems, kind="hooks")
    out += [
        "## Operators",
        "",
        "All ASM operators but the guarded swap derive from `AsmBaseOperator`: its arguments apply to "
        "each of them. The request is always sent by the worker; only the wait is deferred.",
        "",
    ]
    out += render_class(_import(BASES[0]), problems, kind="base")
    for cls in found["operators"]:
        out += render_class(cls, problems, kind="operators")
    out += [
        "## Sensors",
        "",
        "Both sensors work in poke, reschedule and deferrable mode with the same verdicts.",
        "",
    ]
    out += render_class(_import(BASES[1]), problems, kind="base")
    for cls in found["sensors"]:
        out += render_class(cls, problems, kind="sensors")
    out += ["## Triggers", ""]
    for cls in found["triggers"]:
        out += render_class(cls, problems, kind="triggers")
    out += render_errors()
    text = "\n".join(out).rstrip() + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text, problems


def render_errors() -> list[str]:
    from airflow_sm_provider.client import errors

    out = [
        "## Errors",
        "",
        "`from airflow_sm_provider.client.errors import ...` "
        "(also exported by `airflow_sm_provider.client`).",
        "",
        "| exception | base | meaning |",
        "|---|---|---|",
    ]
    for name in sorted(n for n in dir(errors) if not n.startswith("_")):
        obj = getattr(errors, name)
        if inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == errors.__name__:
            first = rst_to_md(inspect.cleandoc(obj.__doc__ or "").split("\n\n")[0]).replace("\n", " ")
            out.append(f"| `{name}` | `{obj.__bases__[0].__name__}` | {cell(first)} |")
    return [*out, ""]


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/reference.md is stale")
    args = parser.parse_args(list(argv) if argv is not None else None)
    text, problems = render()
    for problem in problems:
        print(f"reference: {problem}", file=sys.stderr)
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(), text.splitlines(), "docs/reference.md", "generated", lineterm="", n=1
            )
            print("\n".join(list(diff)[:60]), file=sys.stderr)
            print("docs/reference.md is stale: run python tools/gen_reference.py", file=sys.stderr)
            return 1
        return 1 if problems else 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(REPO)}" + (f" ({len(problems)} problems)" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

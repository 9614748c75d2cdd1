"""The one place where ASM operators submit, remember and wait for an operation.

Every mutating ASM call returns a request id and runs asynchronously on the server. All
operators share the same life cycle, implemented here once:

1. render and validate the arguments (before any request);
2. resume: if a previous try of this task already submitted an operation (its request id is in
   Airflow 3.3's task state store), wait on that one instead of submitting again;
3. look before leaping (``check_existing``): ``if_exists`` / ``if_missing`` decide whether the
   request is needed at all;
4. submit in the worker, store the request id right away;
5. wait: synchronously through the client's polling loop, or deferred to
   :class:`~airflow_sm_provider.triggers.operation.AsmOperationTrigger` (only polling runs in the
   triggerer), or not at all (``wait_for_completion=False``).

The client and hook are imported lazily so that parsing a DAG file that imports an operator does
not pull in requests/lxml.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow.sdk import BaseOperator, conf

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import Reader, TypedFields, boolean, duration, text
from airflow_sm_provider.operators._arguments import DeclaredArguments
from airflow_sm_provider.operators._memo import OperationMemo
from airflow_sm_provider.operators.links import ASM_LINKS, RETURN_KEY, forget_link_values, keep_for_links

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context

    from airflow_sm_provider.client import ServiceManagementClient
    from airflow_sm_provider.client.polling import PollResult, Probe
    from airflow_sm_provider.hooks.service_management import ServiceManagementHook
    from airflow_sm_provider.triggers.base import AsmPollTrigger

__all__ = [
    "IF_EXISTS",
    "IF_MISSING",
    "AsmBaseOperator",
    "AsmUpdateOperator",
    "SettleProbe",
    "diff",
    "get_or_none",
]

#: What :meth:`AsmBaseOperator.settle_probe` returns: the sync probe, and the trigger that runs the
#: same wait in the triggerer (None: the wait cannot be deferred and runs in the worker).
SettleProbe = tuple["Probe[Any]", "Callable[[float], AsmPollTrigger] | None"]

IF_EXISTS = ("fail", "reuse")
IF_MISSING = ("ignore", "fail")


class AsmBaseOperator(DeclaredArguments, TypedFields, BaseOperator):
    """Base of every ASM operator: submit in the worker, then wait, defer or return.

    Subclasses declare their arguments on the class (``name: str = argument(reader=text)``,
    ``operators/_arguments.py``: no hand-written constructor), implement :meth:`submit` and
    :meth:`build_result`, and usually :meth:`check_existing` and :meth:`validate_inputs`. The
    arguments are stored, read and validated here, and the wait logic lives only here.

    Every argument is read strictly once rendered, before any request (Airflow renders templates
    to strings): booleans accept ``True/False``, ``true/false``, ``1/0``, ``yes/no`` in any case;
    numbers and durations their text (``"30"``, ``"90s"``, ``"5m"``); mappings and lists their
    printed form (JSON or a Python literal); an optional argument rendered to ``""`` or ``"None"``
    is not given -- except a safety argument (its description says so: ``expected_new_deployment``,
    a delete's ``deployment_name``...), whose template rendering blank fails instead of turning its
    check off (``blank_means_not_given`` names those a DAG makes optional on purpose). Anything else
    fails with ``InvalidInputError`` naming the argument.

    ASM cannot cancel an operation: when the task is killed the operation keeps running on the
    server; :meth:`on_kill` says so and logs its request id, and a retry resumes waiting on it.

    :param asm_conn_id: Airflow connection to the ASM endpoint (subscription + certificate).
    :param wait_for_completion: wait until the operation succeeded (default). When False the task
        ends right after submission and returns the request id, e.g. for ``AsmOperationSensor``.
    :param deferrable: wait in the triggerer instead of holding a worker slot. The request itself
        is always sent by the worker. Default from ``[operators] default_deferrable``.
    :param poll_interval: seconds between two status checks; defaults to the operator's kind
        (short for quick metadata operations, longer for deployments). Templated, like ``timeout``:
        a number, or text such as ``"30"``, ``"90s"``, ``"5m"``.
    :param timeout: seconds the task waits for the operation, counted from submission. The
        deadline is absolute: it survives deferral and triggerer restarts. Timing out fails the
        task but does not stop the operation (ASM cannot cancel); a retry resumes waiting on it.
    :param durable: remember the request id in the task state store so a retry after a worker
        crash resumes the same operation instead of submitting a second one.
    :param blank_means_not_given: safety arguments (``expected_new_deployment``, a delete's
        ``deployment_name``...) that may render to ``""`` / ``"None"`` on purpose, turning their
        check off for that run (e.g. an optional param). Without it such a template rendering blank
        fails before any request: a missing param must not silently turn a check off.

    The XCom value is a dict; each of its keys is also pushed as its own XCom
    (``multiple_outputs``), so ``create.output["request_id"]`` feeds ``AsmOperationSensor``.
    """

    template_fields: Sequence[str] = ("asm_conn_id", "poll_interval", "timeout")
    #: The type of each argument, read strictly after rendering (``_rendering.TypedFields``);
    #: subclasses declare only their own.
    field_readers: ClassVar[Mapping[str, Reader]] = {
        "asm_conn_id": text,
        "poll_interval": duration(),
        "timeout": duration(),
        "wait_for_completion": boolean,
        "deferrable": boolean,
        "durable": boolean,
    }
    ui_color = "#0078d4"
    operator_extra_links = ASM_LINKS
    ui_fgcolor = "#ffffff"

    #: Human words for logs, e.g. "create cloud service".
    operation_name: ClassVar[str] = "ASM operation"
    default_poll_interval: ClassVar[float] = 15.0
    default_timeout: ClassVar[float] = 1800.0

    def __init__(
        self,
        *,
        asm_conn_id: str = "asm_default",
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float | str | None = None,
        timeout: float | str | None = None,
        durable: bool = True,
        blank_means_not_given: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        # Each key of the XCom dict is also its own XCom, so ``op.output["request_id"]`` is an
        # XComArg a sensor can take (as with TaskFlow's multiple_outputs).
        passed = set(kwargs)
        declared = self.take_arguments(kwargs)  # the subclass's own arguments (``argument()``)
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        self.asm_conn_id = asm_conn_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval: Any = poll_interval if poll_interval is not None else self.default_poll_interval
        self.timeout: Any = timeout if timeout is not None else self.default_timeout
        self.durable = durable
        self.blank_means_not_given = self._check_blank_allowed(blank_means_not_given)
        for name, value in declared.items():
            setattr(self, name, value)
        self.init_arguments()
        self.read_fields(final=False)  # typed values, unless still a template
        if self._from_mapped:  # a mapped task's operator: expand() handed over resolved values
            self.note_mapped_guards(passed)
        self._in_flight: str | None = None
        self.validate_inputs()  # bad input fails while the DAG file is parsed

    @classmethod
    def _check_blank_allowed(cls, names: Sequence[str]) -> tuple[str, ...]:
        """``blank_means_not_given`` may only name this operator's safety arguments (a typo would
        otherwise leave the check it meant to relax strict, or worse, look relaxed and not be)."""
        from airflow_sm_provider._rendering import Guard, invalid

        listed = (names,) if isinstance(names, str) else tuple(names)
        guards = sorted(f for f, r in cls.all_field_readers().items() if isinstance(r, Guard))
        for name in listed:
            if name not in guards:
                invalid(
                    "blank_means_not_given",
                    f"{name!r} is not a safety argument of {cls.__name__}; they are: "
                    + (", ".join(guards) or "(none)"),
                )
        return listed

    # ------------------------------------------------------------------ subclass interface
    def validate_inputs(self) -> None:
        """Check the arguments; skip values that are still templates (see :func:`is_template`).

        Called at construction and again after templating, before any request.
        """

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        """Look before leaping: return the XCom value to finish without a request, or None.

        ``adopt`` is True when a previous try of this task may have sent the request but never
        learned its request id (worker crash, connection dropped after sending): an existing
        resource matching the request is then this task's own earlier work.
        """
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        """Send the mutating request; return the client's ``OperationHandle``."""
        raise NotImplementedError

    def settle_probe(self, client: ServiceManagementClient) -> SettleProbe | None:
        """How to tell that a resource :meth:`check_existing` reused is usable: ``(probe, trigger)``.

        A reused resource may still be mid-creation -- adopted after a crash before the request id
        was stored, or created by another run. None (the default): nothing to wait for.
        """
        return None

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        """Return the XCom value (names, slot, url, request id, status; never secrets)."""
        return {"request_id": request_id, "status": status}

    def settled_result(self, client: ServiceManagementClient, result: Any) -> Any:
        """The XCom value once what :meth:`check_existing` returned has settled (:meth:`settle_probe`):
        ``result`` itself by default; an operator that adopted an interrupted try's operation judges
        the resource again after the wait (it may have ended otherwise than asked)."""
        return result

    # ------------------------------------------------------------------ Airflow entry points
    @cached_property
    def hook(self) -> ServiceManagementHook:
        """The connection hook, created on first use (keeps DAG parsing light)."""
        from airflow_sm_provider.hooks.service_management import ServiceManagementHook

        return ServiceManagementHook(asm_conn_id=self.asm_conn_id)

    def render_template_fields(self, context: Context, jinja_env: jinja2.Environment | None = None) -> None:
        """Render, then validate the final values so bad input fails before any request."""
        super().render_template_fields(context, jinja_env)
        self.validate_inputs()

    @property
    def _from_mapped(self) -> bool:
        """Made by Airflow from a mapped task (``MappedOperator.unmap``), not by the DAG file."""
        return bool(getattr(self, "_BaseOperator__from_mapped", False))

    def final_inputs(self) -> None:
        """Typed, checked arguments at run time, whoever rendered them: ``execute()`` may be called
        without rendering, and a mapped task is rendered without :meth:`render_template_fields`."""
        self.read_fields()
        if self._from_mapped:
            self.validate_inputs()

    def execute(self, context: Context) -> Any:
        """Run :meth:`_execute`; keep its result for the operator links (``operators/links.py``)."""
        forget_link_values(self)
        return self.keep_result(self._execute(context))

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Every resume (after the triggerer or an approval answer): keep the result for the links."""
        return self.keep_result(super().resume_execution(next_method, next_kwargs, context))

    def keep_result(self, result: Any) -> Any:
        """Tell the links what the task runner pushes to XCom ``return_value``; return ``result``."""
        if result is not None and self.do_xcom_push:
            keep_for_links(self, RETURN_KEY, result)
        return result

    def _execute(self, context: Context) -> Any:
        """Resume an in-flight operation, or check, submit and wait (see the module docstring)."""
        self.final_inputs()
        memo = OperationMemo(context, enabled=self.durable, log=self.log)
        client = self.hook.get_conn()
        prior = memo.get()
        adopt = False
        if prior and prior.get("request_id"):
            self.restore_facts(prior.get("facts") or {})
            resumed = self._resume(context, client, memo, str(prior["request_id"]))
            if resumed is _ADOPT:
                adopt = True
            elif resumed is not _SUBMIT:
                return resumed
        elif prior and prior.get("phase") == "submitting":
            adopt = True
            self.restore_facts(prior.get("facts") or {})
            self.log.warning(
                "A previous try of this task was interrupted while submitting %s; checking what exists "
                "before sending anything.",
                self.operation_name,
            )
        existing = self.check_existing(client, adopt=adopt)
        if existing is not None:
            # The mark stays while a reused (or adopted) resource settles: a crash in that wait
            # leaves the retry adopting it again instead of starting fresh and sending.
            self._settle(context, client, existing, memo)
            memo.clear()
            return self.settled_result(client, existing)

        memo.set({"phase": "submitting", "at": time.time(), "facts": self.submitted_facts()})
        handle = self.submit(client)
        request_id = getattr(handle, "request_id", None)
        deadline = time.time() + self.timeout
        if request_id:
            memo.set(
                {
                    "phase": "submitted",
                    "request_id": request_id,
                    "target": getattr(handle, "target", ""),
                    "facts": self.submitted_facts(),
                }
            )
        self._in_flight = request_id
        self.log.info("Submitted %s (request %s).", self.operation_name, _rid(request_id))
        self.after_submit(context, request_id)
        if not request_id:  # synchronous call: done already
            memo.clear()
            return self.build_result(client, None, protocol.OP_SUCCEEDED)
        if not self.wait_for_completion:
            memo.clear()
            self.log.info(
                "Not waiting for request %s; watch it with AsmOperationSensor(request_id=...).",
                _rid(request_id),
            )
            return self.build_result(client, request_id, protocol.OP_IN_PROGRESS)
        return self._wait(context, client, memo, request_id, deadline)

    def submitted_facts(self) -> dict[str, Any]:
        """What ``check_existing`` learned that ``build_result`` reports (names, the slot), kept from
        just before sending and with the request id: a resume after deferral or a crash runs on a
        fresh instance that never ran ``check_existing`` (a retry that adopts an interrupted
        submission gets them back before its ``check_existing``). JSON-safe values only."""
        return {}

    def restore_facts(self, facts: Mapping[str, Any]) -> None:
        """Take back what :meth:`submitted_facts` kept (on resume)."""

    def after_submit(self, context: Context, request_id: str | None) -> None:
        """Called right after the request id is stored; a seam for tests that simulate a crash."""

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the operation trigger: read its outcome, raise on failure/timeout, return XCom."""
        from airflow_sm_provider.client.polling import PollResult

        if not event:
            raise RuntimeError(
                f"{self.operation_name}: the trigger returned no event; cannot tell the outcome."
            )
        request_id = event.get("request_id")
        if not request_id:
            raise RuntimeError(f"{self.operation_name}: the trigger event carries no request id: {event!r}")
        memo = OperationMemo(context, enabled=self.durable, log=self.log)
        return self._finish(memo, str(request_id), PollResult.from_event(event))

    def settle_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the settle trigger: the reused resource is usable (its result) or raise."""
        from airflow_sm_provider.client.polling import PollResult

        self.final_inputs()
        memo = OperationMemo(context, enabled=self.durable, log=self.log)
        self.restore_facts((memo.get() or {}).get("facts") or {})
        self._raise_unless_settled(PollResult.from_event(event), memo)
        memo.clear()
        return self.settled_result(self.hook.get_conn(), (event or {}).get("result"))

    def on_kill(self) -> None:
        """ASM has no cancel: log the in-flight request id; the operation continues on the server."""
        if self._in_flight:
            self.log.warning(
                "ASM cannot cancel an operation: request %s (%s) keeps running on the server. A retry of "
                "this task resumes waiting on it; check it with AsmOperationSensor(request_id=%r).",
                _rid(self._in_flight),
                self.operation_name,
                self._in_flight,
            )
        else:
            self.log.info("Killed before any ASM request was in flight; nothing is left running.")

    # ------------------------------------------------------------------ internals
    def _resume(
        self, context: Context, client: ServiceManagementClient, memo: OperationMemo, request_id: str
    ) -> Any:
        """Decide what to do with the operation a previous try submitted."""
        from airflow_sm_provider.client.errors import NotFoundError

        try:
            op = client.get_operation_status(request_id)
        except NotFoundError:
            self.log.warning(
                "Request %s of a previous try is unknown to ASM; checking state.", _rid(request_id)
            )
            return _ADOPT
        self._in_flight = request_id
        if op.status == protocol.OP_IN_PROGRESS:
            self.log.info(
                "Resuming: a previous try already submitted %s (request %s); waiting on it instead of "
                "submitting again.",
                self.operation_name,
                _rid(request_id),
            )
            if not self.wait_for_completion:
                return self.build_result(client, request_id, protocol.OP_IN_PROGRESS)
            return self._wait(context, client, memo, request_id, time.time() + self.timeout)
        if op.status == protocol.OP_SUCCEEDED:
            self.log.info(
                "Request %s of a previous try already succeeded; not submitting again.", _rid(request_id)
            )
            memo.clear()
            return self.build_result(client, request_id, protocol.OP_SUCCEEDED)
        error = getattr(op, "error", None)
        self.log.warning(
            "Request %s of a previous try failed (%s: %s); submitting again.",
            request_id,
            getattr(error, "code", ""),
            getattr(error, "message", ""),
        )
        memo.clear()
        return _SUBMIT

    def _wait(
        self,
        context: Context,
        client: ServiceManagementClient,
        memo: OperationMemo,
        request_id: str,
        deadline: float,
    ) -> Any:
        """Wait for ``request_id`` until ``deadline`` (epoch seconds): deferred or synchronously."""
        if self.deferrable:
            from airflow_sm_provider.triggers.operation import AsmOperationTrigger

            self.defer_wait(
                AsmOperationTrigger(
                    request_id=request_id,
                    asm_conn_id=self.asm_conn_id,
                    deadline=deadline,
                    poll_interval=self.poll_interval,
                    what=self.operation_name,
                ),
                "execute_complete",
            )
        return self._finish(memo, request_id, self._poll(client, request_id, deadline))

    def defer_wait(self, trigger: AsmPollTrigger, method_name: str) -> NoReturn:
        """Hand a wait to the triggerer; ``method_name`` resumes with the trigger's event.

        The deadline travels in the trigger (absolute, so it survives triggerer restarts); the
        deferral itself has no timeout, so the resume method reports a timeout with the last state
        seen instead of a bare TaskDeferralTimeout.
        """
        self.log.info("Deferring to the triggerer: %s", trigger.describe())
        self.defer(trigger=trigger, method_name=method_name, timeout=None)

    def wait_sync(self, probe: Probe[Any], deadline: float, *, max_checks: int | None = None) -> PollResult:
        """Wait in the worker on the one polling loop (operators that do not defer)."""
        from airflow_sm_provider.client.polling import Schedule, run_sync

        return run_sync(
            probe,
            deadline=deadline,
            schedule=Schedule(self.poll_interval),
            max_checks=max_checks,
            on_progress=self.log.info,
        )

    def operation_probe(self, client: ServiceManagementClient, request_id: str, what: str = "") -> Probe[Any]:
        """The probe of one ASM operation: Get Operation Status judged by ``operation_condition``."""
        from airflow_sm_provider.client.polling import Probe, format_request_id, operation_condition

        label = f"{what or self.operation_name} (request {format_request_id(request_id)})"
        return Probe(label, operation_condition, lambda: client.get_operation_status(request_id))

    def _poll(self, client: ServiceManagementClient, request_id: str, deadline: float) -> PollResult:
        """Block on the shared polling loop until the operation ends or ``deadline``."""
        return self.wait_sync(self.operation_probe(client, request_id), deadline)

    def _settle(
        self, context: Context, client: ServiceManagementClient, result: Any, memo: OperationMemo
    ) -> None:
        """Wait until a reused resource is usable: deferred (resumes in ``settle_complete``) or here.

        No request id exists for work this try did not submit, so the resource's own state is polled.
        """
        probe_and_trigger = self.settle_probe(client)
        if probe_and_trigger is None or not self.wait_for_completion:
            return
        probe, make_trigger = probe_and_trigger
        deadline = time.time() + self.timeout
        if self.deferrable and make_trigger is not None:
            first = self.wait_sync(probe, deadline, max_checks=1)  # already settled: no deferral
            if first.ok:
                return
            if first.reason or first.timed_out:  # judged failed (max_checks alone leaves no reason)
                self._raise_unless_settled(first, memo)
            trigger = make_trigger(deadline)
            trigger.carry = {"result": result}
            self.defer_wait(trigger, "settle_complete")
        self._raise_unless_settled(self.wait_sync(probe, deadline), memo)

    def _raise_unless_settled(self, result: PollResult, memo: OperationMemo) -> None:
        """Raise unless settled. Only a failure the readiness condition judged is terminal (the mark
        goes); a timeout, or a wait that broke (``error_type``: the trigger lost ASM, a certificate
        error), keeps the mark, so the retry judges the resource again instead of sending anew (the
        rule of :meth:`_finish`)."""
        from airflow_sm_provider.client.errors import AsmError, OperationFailedError, OperationTimeoutError

        if result.ok:
            return
        if result.error_type:
            raise AsmError(
                f"{self.operation_name}: could not watch the existing resource: {result.message}. It may "
                "still be changing; a retry checks it again and sends nothing it already sent"
            )
        if result.timed_out:
            raise OperationTimeoutError(f"{self.operation_name}: the existing resource {result.message}")
        memo.clear()
        raise OperationFailedError(f"{self.operation_name}: the existing resource {result.message}")

    def run_step(self, client: ServiceManagementClient, handle: Any, what: str) -> None:
        """Wait in the worker for a preparatory operation of a multi-step operator.

        E.g. creating the cloud service before the VM deployment. The main operation (returned by
        :meth:`submit`) is the one that defers; steps are short and idempotent by state checks.
        """
        from airflow_sm_provider.client.errors import OperationFailedError, OperationTimeoutError
        from airflow_sm_provider.client.polling import format_request_id

        request_id = getattr(handle, "request_id", None)
        self.log.info("Step: %s (request %s).", what, format_request_id(request_id))
        if not request_id:
            return
        self._in_flight = request_id
        result = self.wait_sync(self.operation_probe(client, request_id, what), time.time() + self.timeout)
        self._in_flight = None
        if result.ok:
            return
        if result.timed_out:
            raise OperationTimeoutError(f"{what} did not finish: {result.message}", request_id=request_id)
        raise OperationFailedError(
            f"{what} failed: {result.message}", code=result.reason or None, request_id=request_id
        )

    def _finish(self, memo: OperationMemo, request_id: str, result: PollResult) -> Any:
        """Turn a terminal outcome into the XCom value or an exception carrying the ASM code."""
        from airflow_sm_provider.client.errors import AsmError, OperationFailedError, OperationTimeoutError

        self._in_flight = None
        if result.ok:
            self.restore_facts((memo.get() or {}).get("facts") or {})
            memo.clear()
            self.log.info("%s succeeded (request %s).", self.operation_name, _rid(request_id))
            return self.build_result(self.hook.get_conn(), request_id, protocol.OP_SUCCEEDED)
        if result.error_type:
            # The wait could not poll (bad connection, certificate, ...): the operation's fate is
            # unknown, so keep its request id for the retry instead of submitting again.
            raise AsmError(
                f"{self.operation_name}: could not watch request {request_id}: {result.message}. The "
                "operation may still be running; a retry resumes waiting on it",
                code=result.reason or None,
                request_id=request_id,
            )
        if result.timed_out:
            # Keep the request id: ASM may still finish it and a retry resumes waiting on it.
            raise OperationTimeoutError(
                f"{self.operation_name} did not finish within {self.timeout:g}s: {result.message}. ASM "
                "cannot cancel it; it may still complete. A retry of this task resumes waiting on it",
                request_id=request_id,
            )
        memo.clear()
        raise OperationFailedError(
            f"{self.operation_name} failed: {result.message}",
            code=result.reason or None,
            request_id=request_id,
        )

    # ------------------------------------------------------------------ helpers for subclasses
    def mismatch(self, what: str, diffs: Mapping[str, tuple[Any, Any]]) -> NoReturn:
        """Raise for ``if_exists='reuse'`` when the existing resource differs from the request."""
        from airflow_sm_provider.client.errors import ConflictError

        listing = "; ".join(f"{k}: requested {want!r}, found {have!r}" for k, (want, have) in diffs.items())
        raise ConflictError(
            f"{what} already exists but differs from the request ({listing}). Delete it first, or change "
            "the arguments to match it",
            code="ResourceMismatch",
            before_request=True,
        )

    def reuse_existing(self, what: str, differing: Mapping[str, tuple[Any, Any]], *, adopt: bool) -> None:
        """``if_exists`` for a resource found by a create's ``check_existing``: "fail" raises (unless
        ``adopt``: a retry finding its own interrupted work), a differing one is refused naming the
        fields (``diff``), an identical one is reused."""
        if getattr(self, "if_exists", "fail") == "fail" and not adopt:
            self.exists_error(what)
        if differing:
            self.mismatch(what, differing)
        self.log.info("%s already exists as requested; reusing it.", what)

    def nothing_to_delete(self, what: str, *, adopt: bool) -> None:
        """``if_missing`` for a resource a delete's ``check_existing`` did not find: "fail" raises
        (unless ``adopt``: the interrupted try may have deleted it), "ignore" logs it."""
        if getattr(self, "if_missing", "ignore") == "fail" and not adopt:
            self.missing_error(what)
        self.log.info("%s does not exist; nothing to delete.", what)

    def exists_error(self, what: str) -> NoReturn:
        """Raise for ``if_exists='fail'``."""
        from airflow_sm_provider.client.errors import ConflictError

        raise ConflictError(
            f"{what} already exists (if_exists='fail'). Use if_exists='reuse' to accept an identical one",
            code="ConflictError",
            before_request=True,
        )

    def missing_error(self, what: str) -> NoReturn:
        """Raise for ``if_missing='fail'``."""
        from airflow_sm_provider.client.errors import NotFoundError

        raise NotFoundError(
            f"{what} does not exist (if_missing='fail')", code=protocol.ERR_NOT_FOUND, before_request=True
        )


class AsmUpdateOperator(AsmBaseOperator):
    """Base of the operators that change a resource in place and send only what differs.

    A subclass names the arguments that say what to change (``update_fields``: at least one must be
    given), reads the resource in ``check_existing`` and hands :meth:`changes` the ``diff`` of what
    was asked against what it found: nothing differing means no request (the subclass returns its
    result with ``status`` "Unchanged"), so a re-run or a retry does not redo the update. The names
    of the changed arguments are kept with the request id (``changed`` in the XCom value). A retry
    that adopts an interrupted update and finds nothing differing reports the interrupted try's
    ``changed``, ``by_previous_try`` True and ``status`` "Succeeded" (:attr:`unchanged_status`).
    """

    #: The arguments that say what to change; at least one of them must be given.
    update_fields: ClassVar[tuple[str, ...]] = ()
    #: The arguments whose value differs from the resource (set by :meth:`changes`).
    _changed: tuple[str, ...] = ()
    #: A retry found the update already done by the interrupted try it adopted (set by :meth:`changes`).
    _by_previous_try: bool = False

    def validate_inputs(self) -> None:
        super().validate_inputs()
        from airflow_sm_provider._rendering import invalid, is_template

        values = [getattr(self, name) for name in self.update_fields]
        if not values or any(is_template(v) for v in values) or any(v is not None for v in values):
            return
        *first, last = self.update_fields
        listed = f"{', '.join(first)} or {last}" if first else last
        invalid(self.update_fields[0], f"give at least one of {listed} to update")

    def changes(self, what: str, differing: Mapping[str, Any], *, adopt: bool) -> bool:
        """Note which arguments differ from ``what`` (a resource's description); True when any do.

        ``adopt`` (``check_existing``'s): nothing differing after an interrupted try that meant to
        change something (its ``changed``, back from :meth:`restore_facts`) is that try's work."""
        earlier = self._changed if adopt else ()
        self._changed = tuple(differing)
        if self._changed:
            self.log.info("%s: updating %s.", what, ", ".join(self._changed))
            return True
        if earlier:
            self._changed, self._by_previous_try = earlier, True
            self.log.info(
                "%s is already as requested: a previous try updated %s; not sending again.",
                what,
                ", ".join(earlier),
            )
            return False
        self.log.info("%s is already as requested; nothing to send.", what)
        return False

    @property
    def unchanged_status(self) -> str:
        """``status`` when nothing is sent: "Unchanged", or "Succeeded" when a previous try did it."""
        return "Succeeded" if self._by_previous_try else "Unchanged"

    def submitted_facts(self) -> dict[str, Any]:
        return {"changed": list(self._changed)}

    def restore_facts(self, facts: Mapping[str, Any]) -> None:
        self._changed = tuple(facts.get("changed") or ())


_SUBMIT = object()  # resume decision: send a fresh request
_ADOPT = object()  # resume decision: the earlier request may have taken effect; check first


def _rid(request_id: str | None) -> str:
    """The one spelling of a request id in logs (``client.polling.format_request_id``)."""
    from airflow_sm_provider.client.polling import format_request_id

    return format_request_id(request_id)


def get_or_none(fetch: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a client read method; None when ASM answers 404 (an absent resource is a state)."""
    from airflow_sm_provider.client.errors import NotFoundError

    try:
        return fetch(*args, **kwargs)
    except NotFoundError:
        return None


def diff(pairs: Mapping[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """Keep the ``{field: (requested, found)}`` pairs that differ; None requested means "any"."""
    return {k: (want, have) for k, (want, have) in pairs.items() if want is not None and want != have}

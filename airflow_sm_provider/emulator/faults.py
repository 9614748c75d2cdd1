"""Fault injection: seeded, reproducible rules that make the emulator misbehave like the real service.

Why: the real ASM front end throttled (429/503), failed (500), redirected (307), held deployments
locked (409), dropped connections and ended operations ``Failed``. Clients must survive all of that,
so tests need to provoke each case on demand ("the next create_deployment fails") or at a rate
("throttle 30% of calls") and get the same sequence again from the same ``--seed``.

Each rule owns its own random generator seeded from ``(seed, rule id)``, so whether a rule fires on
its N-th match does not depend on what other rules or other traffic did.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from airflow_sm_provider import protocol as p

from .http import Request, Response

#: Fault actions. ``drop`` closes the connection before the App sees the request; ``drop_after`` lets
#: the App execute it and then closes without answering (the client cannot know whether it happened).
ACTIONS = (
    "503",
    "429",
    "500",
    "409",
    "307",
    "drop",
    "drop_after",
    "slow",
    "fail_operation",
    "long_operation",
)

#: A redirected request repeated within this many seconds passes (the real service's 307 is
#: transient: following it once works). Bounds the loop even for a ``rate: 1`` redirect rule.
REDIRECT_MEMORY_SECONDS = 60.0


#: The ``Server`` header of the recorded real responses (asm-wire.md 1.3).
RECORDED_SERVER = "1.0.6198.243 (rd_rdfe_stable.150618-1025) Microsoft-HTTPAPI/2.0"


def asm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error response in the real service's shape: namespaced ``<Error>``, no XML declaration,
    ``x-ms-request-id`` (32 lower-case hex) and the usual ASM headers."""
    body = (
        f'<Error xmlns="{p.NS}" xmlns:i="{p.NS_I}"><Code>{_esc(code)}</Code>'
        f"<Message>{_esc(message)}</Message></Error>"
    ).encode()
    all_headers = {
        "Content-Type": p.RESPONSE_CONTENT_TYPE,
        p.HEADER_REQUEST_ID: uuid.uuid4().hex,
        "x-ms-servedbyregion": "ussouth3",
        "Cache-Control": "no-cache",
        "Server": RECORDED_SERVER,
    }
    all_headers.update(headers or {})
    return Response(status=status, body=body, headers=all_headers)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class FaultRule:
    """One rule. Matching: every given criterion must hold (``method``, ``path`` regex searched
    case-insensitively in the request target, ``operation`` = the App's route name). Firing: the first
    ``after`` matches are skipped, then each match fires with probability ``rate``, at most ``count``
    times in total (None = unlimited)."""

    action: str
    method: str | None = None
    path: str | None = None
    operation: str | None = None
    rate: float = 1.0
    count: int | None = None
    after: int = 0
    retry_after: int = 1  # seconds, for 503/429
    delay: float = 1.0  # seconds, for slow (answer delay) and long_operation (operation duration)
    error_code: str = p.ERR_INTERNAL  # for fail_operation
    message: str | None = None  # overrides the default error message
    id: int = 0
    matched: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        self.action = str(self.action)
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; expected one of {', '.join(ACTIONS)}")
        if not 0.0 <= float(self.rate) <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate!r}")
        if self.count is not None and int(self.count) < 0:
            raise ValueError("count must be >= 0")
        if self.path is not None:
            re.compile(self.path)
        if self.method is not None:
            self.method = self.method.upper()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        allowed = {"action", "method", "path", "operation", "rate", "count", "after"}
        allowed |= {"retry_after", "delay", "error_code", "message"}
        unknown = set(data) - allowed - {"id", "matched", "fired"}
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(sorted(unknown))}")
        if "action" not in data:
            raise ValueError("a fault rule needs an 'action'")
        return cls(**{k: v for k, v in data.items() if k in allowed})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Decision:
    """What the server must do with one request."""

    rule: FaultRule
    response: Response | None = None  # answer this instead of calling the App
    drop_before: bool = False
    drop_after: bool = False
    delay: float = 0.0
    fail_operation: str | None = None
    fail_message: str | None = None
    operation_seconds: float | None = None


@dataclass
class _State:
    rules: list[FaultRule] = field(default_factory=list)
    rngs: dict[int, random.Random] = field(default_factory=dict)


class FaultInjector:
    """Thread-safe rule set consulted by the server for every non-admin request."""

    def __init__(self, seed: int = 0, rules: list[dict[str, Any]] | None = None) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._state = _State()
        self._redirected: dict[tuple[str, str, str], float] = {}
        if rules:
            self.add(rules)

    def add(self, rules: list[dict[str, Any]]) -> list[FaultRule]:
        """Validate all rules first, then add them (all or nothing)."""
        parsed = [FaultRule.from_dict(r) for r in rules]
        with self._lock:
            for rule in parsed:
                rule.id = next(self._ids)
                self._state.rngs[rule.id] = random.Random(f"{self.seed}:{rule.id}")
                self._state.rules.append(rule)
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._state = _State()
            self._redirected.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._state.rules]

    @property
    def needs_route_name(self) -> bool:
        with self._lock:
            return any(r.operation is not None for r in self._state.rules)

    def decide(self, request: Request, operation: str | None, peer: str = "") -> Decision | None:
        """The first rule that matches and fires decides; None = pass the request through untouched."""
        with self._lock:
            for rule in self._state.rules:
                if not self._matches(rule, request, operation):
                    continue
                rule.matched += 1
                if rule.matched <= rule.after:
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if rule.rate < 1.0 and self._state.rngs[rule.id].random() >= rule.rate:
                    continue
                if rule.action == "307" and not self._redirect_allowed(request, peer):
                    continue
                rule.fired += 1
                return _decision(rule, request)
        return None

    @staticmethod
    def _matches(rule: FaultRule, request: Request, operation: str | None) -> bool:
        if rule.method is not None and rule.method != request.method:
            return False
        if rule.path is not None and not re.search(rule.path, request.target, re.IGNORECASE):
            return False
        return rule.operation is None or rule.operation == operation

    def _redirect_allowed(self, request: Request, peer: str) -> bool:
        """Redirect a request once; its repetition (the client following Location) passes."""
        now = time.monotonic()
        for key, when in list(self._redirected.items()):
            if now - when > REDIRECT_MEMORY_SECONDS:
                del self._redirected[key]
        key = (peer, request.method, request.target)
        if key in self._redirected:
            del self._redirected[key]
            return False
        self._redirected[key] = now
        return True


def _decision(rule: FaultRule, request: Request) -> Decision:
    retry = {"Retry-After": str(rule.retry_after)}
    if rule.action == "503":
        return Decision(rule, asm_error(503, p.ERR_SERVER_BUSY, rule.message or p.MSG_SERVER_BUSY, retry))
    if rule.action == "429":
        msg = rule.message or p.MSG_THROTTLED
        return Decision(rule, asm_error(429, p.ERR_TOO_MANY_REQUESTS, msg, retry))
    if rule.action == "500":
        return Decision(rule, asm_error(500, p.ERR_INTERNAL, rule.message or p.MSG_INTERNAL))
    if rule.action == "409":
        return Decision(rule, asm_error(409, p.ERR_CONFLICT, rule.message or p.MSG_EXCLUSIVE_ACCESS))
    if rule.action == "307":
        location = f"https://{request.server_host}{request.target}"
        msg = rule.message or "The requested object has been temporarily moved."
        return Decision(rule, asm_error(307, p.ERR_TEMPORARY_REDIRECT, msg, {"Location": location}))
    if rule.action == "drop":
        return Decision(rule, drop_before=True)
    if rule.action == "drop_after":
        return Decision(rule, drop_after=True)
    if rule.action == "slow":
        return Decision(rule, delay=float(rule.delay))
    if rule.action == "long_operation":
        return Decision(rule, operation_seconds=float(rule.delay))
    return Decision(rule, fail_operation=rule.error_code, fail_message=rule.message)


#: Mild rates of every transient fault, for soak tests (``--faults chaos``). Writes are never
#: dropped after execution here: that case is opt-in because it needs client-side reconciliation.
CHAOS_PROFILE: list[dict[str, Any]] = [
    {"action": "503", "rate": 0.03, "retry_after": 1},
    {"action": "429", "rate": 0.03, "retry_after": 1},
    {"action": "500", "rate": 0.02},
    {"action": "409", "method": "POST", "path": r"/deployments/", "rate": 0.03},
    {"action": "307", "rate": 0.02},
    {"action": "drop", "rate": 0.01},
    {"action": "slow", "rate": 0.03, "delay": 0.2},
]

BUILTIN_PROFILES: dict[str, list[dict[str, Any]]] = {"chaos": CHAOS_PROFILE}


def load_profile(spec: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rules from a built-in profile name (``chaos``) or a JSON file: a list of rules or
    ``{"rules": [...]}``. Validated here so a typo fails at start-up, not at the first request."""
    name = str(spec)
    if name in BUILTIN_PROFILES:
        return [dict(r) for r in BUILTIN_PROFILES[name]]
    path = Path(spec)
    if not path.is_file():
        builtins = ", ".join(sorted(BUILTIN_PROFILES))
        raise ValueError(
            f"fault profile {name!r} is neither a built-in profile ({builtins}) nor a JSON file"
            + (" (it is a directory)" if path.is_dir() else "")
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{spec}: not a JSON fault profile ({exc})") from None
    rules = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ValueError(f"{spec}: expected a JSON list of rules or {{'rules': [...]}}")
    for rule in rules:
        FaultRule.from_dict(rule)
    return rules

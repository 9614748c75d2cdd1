"""The release report: what a guarded swap or a rolling upgrade did, as a JSON-safe dict in XCom.

One shape for every release strategy (defined here), so one timeline view, one text
renderer and one set of links can read them all. :class:`ReleaseRecorder` is the only writer: the
release operators call :meth:`ReleaseRecorder.event` at each step and :meth:`ReleaseRecorder.finish`
once, then push :attr:`ReleaseRecorder.report` to XCom key ``release_report``. The recorder adds its
keys to the operator's existing report dict (today's keys stay), coerces every value it stores to a
JSON type and bounds the detail text, so a report always serialises and stays small.

Standard library only: the module is imported by operators at run time and by the UI plugin in the
api-server, never at DAG-parse time, but it must stay cheap anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "EVENT_OUTCOMES",
    "OUTCOMES",
    "STRATEGIES",
    "XCOM_KEY",
    "ReleaseRecorder",
    "format_timeline",
    "ordered_lanes",
    "parse_time",
    "report_problems",
    "utcnow_iso",
]

#: The XCom key every release operator pushes its report under.
XCOM_KEY = "release_report"
STRATEGIES = ("vip_swap", "rolling_upgrade")
#: How a release ended; "running" only while it is still going (never pushed as final).
OUTCOMES = ("released", "refused", "rolled_back", "failed")
EVENT_OUTCOMES = ("ok", "failed", "info", "skipped")
#: Longest detail text kept per event: a report is XCom, read by people, not a log sink.
MAX_DETAIL = 500


def utcnow_iso(epoch: float | None = None) -> str:
    """Now (or ``epoch`` seconds) as an ISO-8601 UTC string with milliseconds: the one time format of
    a report, its events and the step outcomes and bake samples it is built from."""
    at = datetime.now(timezone.utc) if epoch is None else datetime.fromtimestamp(epoch, tz=timezone.utc)
    return at.isoformat(timespec="milliseconds")


def parse_time(value: Any) -> datetime | None:
    """A report time back to an aware datetime; None for anything unreadable (reports are data)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ValueError(f"{field} must be one of {', '.join(allowed)}; got {value!r}")
    return value


class ReleaseRecorder:
    """Records one release into a report dict.

    :param strategy: ``"vip_swap"`` or ``"rolling_upgrade"``.
    :param service_name: the cloud service being released.
    :param report: the operator's existing report to extend in place (its keys stay); a new dict if
        omitted. A ``started_at`` already in it is kept, so a swap's own start time stays the start.
    :param clock: returns "now" as an ISO-8601 UTC string (tests pass a fixed clock).
    """

    def __init__(
        self,
        strategy: str,
        service_name: str,
        *,
        report: dict[str, Any] | None = None,
        clock: Callable[[], str] = utcnow_iso,
    ) -> None:
        self.clock = clock
        self.report: dict[str, Any] = report if report is not None else {}
        self.report["strategy"] = _choice(strategy, STRATEGIES, "strategy")
        self.report["service_name"] = str(service_name)
        if not self.report.get("started_at"):
            self.report["started_at"] = clock()
        self.report.setdefault("ended_at", None)
        if self.report.get("outcome") not in OUTCOMES:
            self.report["outcome"] = "running"
        self.report.setdefault("events", [])

    @property
    def events(self) -> list[dict[str, str]]:
        events: list[dict[str, str]] = self.report["events"]
        return events

    def event(self, lane: str, step: str, outcome: str = "info", detail: Any = "") -> dict[str, str]:
        """Append one step of the release; returns the stored event.

        :param lane: where it happened: ``"production"``, ``"staging"``, ``"domain 0"``, ...
        :param step: what happened: ``"gate"``, ``"flip"``, ``"bake"``, ``"sample"``, ...
        :param outcome: ``"ok"``, ``"failed"``, ``"info"`` or ``"skipped"``.
        :param detail: one human sentence; stringified and cut to :data:`MAX_DETAIL` characters.
        """
        text = str(detail)
        if len(text) > MAX_DETAIL:
            text = text[: MAX_DETAIL - 3] + "..."
        stored = {
            "at": self.clock(),
            "lane": str(lane),
            "step": str(step),
            "outcome": _choice(outcome, EVENT_OUTCOMES, "event outcome"),
            "detail": text,
        }
        self.events.append(stored)
        return stored

    def finish(self, outcome: str) -> dict[str, Any]:
        """Close the report with its final outcome and end time; returns the report."""
        self.report["outcome"] = _choice(outcome, OUTCOMES, "outcome")
        self.report["ended_at"] = self.clock()
        return self.report


_LANE_HEAD = ("production", "staging")


def _lane_key(lane: str, first_seen: int) -> tuple[int, int, str]:
    if lane in _LANE_HEAD:
        return (0, _LANE_HEAD.index(lane), lane)
    head, _, number = lane.partition(" ")
    if head == "domain" and number.isdigit():
        return (1, int(number), lane)
    return (2, first_seen, lane)


def ordered_lanes(report: Mapping[str, Any]) -> list[str]:
    """The report's lanes in reading order: production, staging, domain 0..n, then the rest as seen."""
    seen: dict[str, int] = {}
    for event in report.get("events") or []:
        if isinstance(event, Mapping):
            seen.setdefault(str(event.get("lane", "")), len(seen))
    return sorted(seen, key=lambda lane: _lane_key(lane, seen[lane]))


def report_problems(report: Any) -> list[str]:
    """What makes ``report`` not a release report (empty when it is one); readers show these."""
    if not isinstance(report, Mapping):
        return [f"a release report is a JSON object, not {type(report).__name__}"]
    problems = []
    if report.get("strategy") not in STRATEGIES:
        problems.append(f"strategy {report.get('strategy')!r} is not one of {', '.join(STRATEGIES)}")
    if report.get("outcome") not in (*OUTCOMES, "running"):
        problems.append(f"outcome {report.get('outcome')!r} is not one of {', '.join(OUTCOMES)}")
    if parse_time(report.get("started_at")) is None:
        problems.append("started_at is not an ISO-8601 time")
    events = report.get("events")
    if not isinstance(events, list):
        return [*problems, "events is not a list"]
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            problems.append(f"events[{index}] is not an object")
            continue
        if parse_time(event.get("at")) is None:
            problems.append(f"events[{index}].at is not an ISO-8601 time")
        if event.get("outcome") not in EVENT_OUTCOMES:
            problems.append(f"events[{index}].outcome {event.get('outcome')!r} is not an event outcome")
    return problems


_MARK = {"ok": "ok", "failed": "FAIL", "info": "..", "skipped": "skip"}


def _offset(at: Any, start: datetime | None) -> str:
    when = parse_time(at)
    if when is None or start is None:
        return "?"
    return f"+{(when - start).total_seconds():.1f}s"


def format_timeline(report: Mapping[str, Any]) -> str:
    """The report as a plain-text timeline: a header, then one line per event in time order.

    Each line shows the time since the start, the lane, the step, the outcome and the detail, so a
    terminal (``make demo``, a task log) shows the same story as the UI's timeline picture.
    """
    problems = report_problems(report)
    if problems and not isinstance(report, Mapping):
        return f"(not a release report: {problems[0]})"
    start = parse_time(report.get("started_at"))
    end = parse_time(report.get("ended_at"))
    took = f", {(end - start).total_seconds():.1f} s" if start and end else ""
    lines = [
        f"{report.get('strategy', '?')} of {report.get('service_name', '?')}: "
        f"{report.get('outcome', '?')}  ({report.get('started_at')} -> {report.get('ended_at')}{took})"
    ]
    events = [e for e in report.get("events") or [] if isinstance(e, Mapping)]
    width = max([len(str(e.get("lane", ""))) for e in events] + [4])
    step_width = max([len(str(e.get("step", ""))) for e in events] + [4])
    never = datetime.min.replace(tzinfo=timezone.utc)
    for event in sorted(events, key=lambda e: parse_time(e.get("at")) or never):
        lines.append(
            f"  {_offset(event.get('at'), start):>8}  {event.get('lane', '')!s:<{width}}  "
            f"{event.get('step', '')!s:<{step_width}}  {_MARK.get(str(event.get('outcome')), '?'):<4}  "
            f"{event.get('detail', '')}"
        )
    if not events:
        lines.append("  (no events recorded)")
    lines.extend(f"  ! {problem}" for problem in problems)
    return "\n".join(lines)

"""Draw a release report as a timeline: an SVG picture and the HTML page around it.

Server-rendered on purpose: no JavaScript, no build step, nothing fetched by the browser, so the
page works inside the Airflow UI's sandboxed iframe and in a screenshot alike. One lane per slot
or upgrade domain (``release_report.ordered_lanes``); each event is a dot coloured by its outcome
at its time; a step that lasts (a bake, a lock wait, an approval, a domain bake) is a bar from its
event to the lane's next non-sample event; health samples are small ticks on the bar. Every dot
has a tooltip, and the same events follow as a table, so nothing depends on the picture alone.

Standard library only (plus :mod:`airflow_sm_provider.release_report`): tests and the demo use it
without Airflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from airflow_sm_provider.release_report import (
    format_timeline,
    ordered_lanes,
    parse_time,
    report_problems,
)

__all__ = ["render_page", "render_svg"]

#: Colours of an event outcome (dot) and of a release outcome (badge).
EVENT_COLOURS = {"ok": "#2e7d32", "failed": "#c62828", "info": "#1565c0", "skipped": "#9e9e9e"}
OUTCOME_COLOURS = {
    "released": "#2e7d32",
    "refused": "#ef6c00",
    "rolled_back": "#ad1457",
    "failed": "#c62828",
    "running": "#1565c0",
}
#: Steps that last until the lane's next (non-sample) event: drawn as bars.
SPAN_STEPS = frozenset({"bake", "domain_bake", "lock_wait", "approval", "walk", "upgrade_start"})
#: Steps drawn as small ticks on a bar rather than full dots.
TICK_STEPS = frozenset({"sample"})

WIDTH = 980
LABEL_W = 118
RIGHT_PAD = 28
TOP = 64
LANE_H = 74
AXIS_H = 44


class _Scale:
    """Maps report times to x pixels; a zero-length release still gets a one-second axis."""

    def __init__(self, report: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> None:
        times = [t for t in (parse_time(e.get("at")) for e in events) if t is not None]
        start = parse_time(report.get("started_at")) or (min(times) if times else None)
        end = parse_time(report.get("ended_at")) or (max(times) if times else None)
        if start is None:
            start = end = datetime.fromtimestamp(0).astimezone()
        end = max([t for t in (end, *times) if t is not None])
        self.start = start
        self.seconds = max((end - start).total_seconds(), 1.0)
        self.x0, self.x1 = LABEL_W + 12, WIDTH - RIGHT_PAD

    def offset(self, when: datetime) -> float:
        return (when - self.start).total_seconds()

    def x(self, when: datetime | None) -> float:
        if when is None:
            return float(self.x0)
        share = min(max(self.offset(when) / self.seconds, 0.0), 1.0)
        return self.x0 + share * (self.x1 - self.x0)


def _events(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = report.get("events")
    events = [e for e in raw if isinstance(e, Mapping)] if isinstance(raw, list) else []
    return sorted(events, key=lambda e: (parse_time(e.get("at")) is None, parse_time(e.get("at")) or 0))


def _tooltip(event: Mapping[str, Any], scale: _Scale) -> str:
    when = parse_time(event.get("at"))
    offset = f"+{scale.offset(when):.1f}s " if when else ""
    return (
        f"{event.get('at', '?')} ({offset.strip() or 'time unknown'}) {event.get('lane', '')} "
        f"{event.get('step', '')}: {event.get('outcome', '?')} - {event.get('detail', '')}"
    )


def _axis(scale: _Scale, y: float) -> list[str]:
    parts = [f'<line x1="{scale.x0}" y1="{y}" x2="{scale.x1}" y2="{y}" stroke="#607d8b"/>']
    raw_step = scale.seconds / 6
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600) if s >= raw_step), 7200)
    tick = 0.0
    while tick <= scale.seconds + 1e-9:
        x = scale.x0 + tick / scale.seconds * (scale.x1 - scale.x0)
        label = f"+{tick:g}s" if step < 60 else f"+{tick / 60:g}min"
        parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 5}" stroke="#607d8b"/>')
        parts.append(f'<text x="{x:.1f}" y="{y + 18}" class="axis" text-anchor="middle">{label}</text>')
        tick += step
    return parts


def _span_end(events: Sequence[Mapping[str, Any]], index: int, scale: _Scale) -> datetime | None:
    """A lasting step ends at the lane's next non-sample event, else at the report's end."""
    lane = events[index].get("lane")
    for later in events[index + 1 :]:
        if later.get("lane") == lane and later.get("step") not in TICK_STEPS:
            return parse_time(later.get("at"))
    ticks = [parse_time(e.get("at")) for e in events[index + 1 :] if e.get("lane") == lane]
    known = [t for t in ticks if t is not None]
    return max(known) if known else None


#: Labels closer than this (px) on one lane would overlap: they go to another level or are merged.
LABEL_GAP = 78
#: Label offsets from the lane's line: above, below, higher above.
LABEL_LEVELS = (-13, 24, -25)


class _Label:
    """A step label already drawn on a lane: where, which step, and its index in the output."""

    def __init__(self, x: float, level: int, step: str, index: int) -> None:
        self.x, self.level, self.step, self.index, self.count = x, level, step, index, 1


def _label(out: list[str], drawn: list[_Label], x: float, y: float, step: str) -> None:
    """Name an event's step without overlapping its neighbours' names.

    The same step repeated close by is one label with a count (``gate x3``); otherwise the label
    takes the first level (above, below, higher) with room, and when none has room it is left out:
    the dot's tooltip and the events table still name it.
    """
    near = [d for d in drawn if x - d.x < LABEL_GAP]
    same = next((d for d in reversed(near) if d.step == step), None)
    if same is not None:
        same.count += 1
        out[same.index] = _label_text(same.x, y + LABEL_LEVELS[same.level], f"{step} x{same.count}")
        return
    used = {d.level for d in near}
    level = next((lvl for lvl in range(len(LABEL_LEVELS)) if lvl not in used), None)
    if level is None:
        return
    drawn.append(_Label(x, level, step, len(out)))
    out.append(_label_text(x, y + LABEL_LEVELS[level], step))


def _label_text(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y}" class="step" text-anchor="middle">{escape(text)}</text>'


def render_svg(report: Mapping[str, Any]) -> str:
    """The timeline picture of one release report, as a standalone ``<svg>`` element."""
    events = _events(report)
    lanes = ordered_lanes(report) or ["(no events)"]
    scale = _Scale(report, events)
    height = TOP + LANE_H * len(lanes) + AXIS_H
    title = (
        f"{report.get('strategy', '?')} of {report.get('service_name', '?')}: {report.get('outcome', '?')}"
    )
    badge = OUTCOME_COLOURS.get(str(report.get("outcome")), "#546e7a")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
        f"<title>{escape(title)}</title>",
        "<style>text{font-family:system-ui,sans-serif;font-size:12px;fill:#263238}"
        ".lane{font-weight:600}.axis{font-size:11px;fill:#546e7a}.step{font-size:11px}"
        ".head{font-size:15px;font-weight:600}</style>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="12" y="24" class="head">{escape(title)}</text>',
        f'<rect x="{WIDTH - 150}" y="9" width="122" height="22" rx="11" fill="{badge}"/>',
        f'<text x="{WIDTH - 89}" y="24" text-anchor="middle" style="fill:#fff;font-weight:600">'
        f"{escape(str(report.get('outcome', '?')))}</text>",
    ]
    for name, colour in EVENT_COLOURS.items():
        index = list(EVENT_COLOURS).index(name)
        out.append(f'<circle cx="{20 + index * 90}" cy="44" r="5" fill="{colour}"/>')
        out.append(f'<text x="{29 + index * 90}" y="48" class="axis">{name}</text>')
    lane_y = {lane: TOP + LANE_H * i + LANE_H / 2 for i, lane in enumerate(lanes)}
    for i, lane in enumerate(lanes):
        y = lane_y[lane]
        if i % 2 == 0:
            out.append(f'<rect x="0" y="{y - LANE_H / 2}" width="{WIDTH}" height="{LANE_H}" fill="#f5f7f8"/>')
        out.append(f'<text x="12" y="{y + 4}" class="lane">{escape(lane)}</text>')
        out.append(f'<line x1="{scale.x0}" y1="{y}" x2="{scale.x1}" y2="{y}" stroke="#cfd8dc"/>')
    labels: dict[str, list[_Label]] = {}
    for index, event in enumerate(events):
        lane = str(event.get("lane", ""))
        y = lane_y.get(lane, lane_y[lanes[0]])
        when = parse_time(event.get("at"))
        x = scale.x(when)
        colour = EVENT_COLOURS.get(str(event.get("outcome")), "#546e7a")
        step = str(event.get("step", ""))
        tip = escape(_tooltip(event, scale))
        if step in SPAN_STEPS:
            end_x = scale.x(_span_end(events, index, scale) or when)
            out.append(
                f'<rect x="{x:.1f}" y="{y - 7}" width="{max(end_x - x, 2):.1f}" height="14" rx="4" '
                f'fill="{colour}" fill-opacity="0.22" stroke="{colour}"><title>{tip}</title></rect>'
            )
        if step in TICK_STEPS:
            out.append(
                f'<line x1="{x:.1f}" y1="{y - 9}" x2="{x:.1f}" y2="{y + 9}" stroke="{colour}" '
                f'stroke-width="3" class="event" data-step="{escape(step)}"><title>{tip}</title></line>'
            )
            continue
        out.append(
            f'<circle cx="{x:.1f}" cy="{y}" r="7" fill="{colour}" stroke="#fff" stroke-width="1.5" '
            f'class="event" data-step="{escape(step)}" data-outcome="{escape(str(event.get("outcome")))}">'
            f"<title>{tip}</title></circle>"
        )
        _label(out, labels.setdefault(lane, []), x, y, step)
    out.extend(_axis(scale, TOP + LANE_H * len(lanes) + 8))
    out.append("</svg>")
    return "\n".join(out)


_PAGE_CSS = (
    "body{font-family:system-ui,sans-serif;margin:16px;color:#263238;background:#fff}"
    "h1{font-size:18px;margin:0 0 8px}table{border-collapse:collapse;margin-top:14px;font-size:13px}"
    "td,th{border-bottom:1px solid #eceff1;padding:4px 8px;text-align:left;vertical-align:top}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px}"
    "dt{color:#546e7a}.problems{color:#c62828}.empty{color:#546e7a}"
    "nav a{margin-right:12px;font-size:13px}svg.timeline{max-width:100%;height:auto}"
)


def _summary(report: Mapping[str, Any]) -> str:
    start, end = parse_time(report.get("started_at")), parse_time(report.get("ended_at"))
    took = f"{(end - start).total_seconds():.1f} s" if start and end else "-"
    rows = [
        ("service", report.get("service_name")),
        ("strategy", report.get("strategy")),
        ("outcome", report.get("outcome")),
        ("message", report.get("message")),
        ("started", report.get("started_at")),
        ("ended", report.get("ended_at")),
        ("took", took),
    ]
    cells = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in rows if v not in (None, ""))
    return f"<dl>{cells}</dl>"


def _table(report: Mapping[str, Any]) -> str:
    events = _events(report)
    start = parse_time(report.get("started_at"))
    body = []
    for event in events:
        when = parse_time(event.get("at"))
        offset = f"+{(when - start).total_seconds():.1f}s" if when and start else "?"
        cells = (offset, event.get("at"), event.get("lane"), event.get("step"), event.get("outcome"))
        tds = "".join(f"<td>{escape(str(c))}</td>" for c in cells)
        body.append(f"<tr>{tds}<td>{escape(str(event.get('detail', '')))}</td></tr>")
    head = "<tr><th>+t</th><th>at (UTC)</th><th>lane</th><th>step</th><th>outcome</th><th>detail</th></tr>"
    return f'<table class="events">{head}{"".join(body)}</table>'


def render_page(
    report: Mapping[str, Any] | None,
    *,
    heading: str,
    links: Sequence[tuple[str, str]] = (),
    empty_message: str = "",
) -> str:
    """The whole HTML page: heading, summary, picture, event table, and plain links (no script).

    :param report: the release report, or None when the task has none (``empty_message`` says why).
    :param heading: names the task instance, e.g. ``dag / run / task``.
    :param links: (label, href) pairs shown above the picture, e.g. the JSON and text forms.
    """
    nav = "".join(f'<a href="{escape(href)}">{escape(label)}</a>' for label, href in links)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Release timeline - {escape(heading)}</title><style>{_PAGE_CSS}</style></head><body>",
        f"<h1>Release timeline <small>{escape(heading)}</small></h1>",
    ]
    if report is None:
        parts.append(f'<p class="empty">{escape(empty_message)}</p></body></html>')
        return "".join(parts)
    if nav:
        parts.append(f"<nav>{nav}</nav>")
    parts.append(_summary(report))
    problems = report_problems(report)
    if problems:
        items = "".join(f"<li>{escape(p)}</li>" for p in problems)
        parts.append(f'<ul class="problems">{items}</ul>')
    parts.append(render_svg(report))
    parts.append(_table(report))
    parts.append(f"<details><summary>text timeline</summary><pre>{escape(format_timeline(report))}</pre>")
    parts.append("</details></body></html>")
    return "".join(parts)

"""The SVG timeline and its page, rendered from reports shaped per CONTRACTS.md (no Airflow)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from airflow_sm_provider.release_report import ReleaseRecorder
from airflow_sm_provider.ui.timeline import EVENT_COLOURS, render_page, render_svg

from .reports import REPORTS, Clock

SVG = "{http://www.w3.org/2000/svg}"


def _svg(report: dict[str, object]) -> ET.Element:
    return ET.fromstring(render_svg(report))  # well-formed XML, or this raises


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_event_is_drawn_once_in_its_lane_with_a_tooltip(name: str) -> None:
    report = REPORTS[name]()
    root = _svg(report)
    marks = [el for el in root.iter() if el.get("class") == "event"]
    assert len(marks) == len(report["events"])
    tips = [el.find(f"{SVG}title") for el in marks]
    assert all(tip is not None and tip.text for tip in tips)
    details = {e["detail"] for e in report["events"]}
    assert {next(d for d in details if d in (tip.text or "")) for tip in tips if tip is not None} == details
    lanes = [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "lane"]
    assert lanes == ["production", "staging"]


def test_dots_are_coloured_by_outcome_and_placed_by_time() -> None:
    report = REPORTS["rolled_back"]()
    root = _svg(report)
    dots = [el for el in root.iter(f"{SVG}circle") if el.get("class") == "event"]
    by_step = {el.get("data-step"): el for el in dots}
    assert by_step["flip"].get("fill") == EVENT_COLOURS["ok"]
    assert float(by_step["gate"].get("cx", 0)) < float(by_step["flip"].get("cx", 0))
    assert float(by_step["flip"].get("cx", 0)) < float(by_step["swap_back"].get("cx", 0))
    failed_ticks = [
        el
        for el in root.iter(f"{SVG}line")
        if el.get("data-step") == "sample" and el.get("stroke") == "#c62828"
    ]
    assert len(failed_ticks) == 2


def test_a_bake_is_a_bar_from_its_start_to_the_lanes_next_step() -> None:
    root = _svg(REPORTS["released"]())
    dots = {el.get("data-step"): el for el in root.iter(f"{SVG}circle") if el.get("class") == "event"}
    bars = [el for el in root.iter(f"{SVG}rect") if el.find(f"{SVG}title") is not None]
    bake = next(b for b in bars if "baking" in (b.find(f"{SVG}title").text or ""))  # type: ignore[union-attr]
    start, width = float(bake.get("x", 0)), float(bake.get("width", 0))
    assert start == pytest.approx(float(dots["bake"].get("cx", 0)), abs=0.2)
    # the released report's last production event is "verify": the bar ends there
    verify_x = max(
        float(el.get("cx", 0)) for el in root.iter(f"{SVG}circle") if el.get("data-step") == "verify"
    )
    assert start + width == pytest.approx(verify_x, abs=0.2)


def test_hostile_text_is_escaped_everywhere() -> None:
    rec = ReleaseRecorder("vip_swap", "<svc>", clock=Clock().at(1))
    rec.event("production", "gate", "failed", '<script>alert(1)</script> & "quotes"')
    page = render_page(rec.finish("failed"), heading="d<x> / r / t", links=[("json", "?a=1&b=<2>")])
    assert "<script>" not in page and "<svc>" not in page and "d<x>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_broken_report_still_renders_and_lists_its_problems() -> None:
    page = render_page({"strategy": "vip_swap", "events": [{"at": "soon", "lane": "x"}]}, heading="h")
    assert "<svg" in page
    assert re.search(r"events\[0\]\.at is not an ISO-8601 time", page)


def test_no_report_says_why_and_draws_nothing() -> None:
    page = render_page(None, heading="h", empty_message="no release report here")
    assert "no release report here" in page and "<svg" not in page


def test_a_single_instant_release_still_has_an_axis() -> None:
    rec = ReleaseRecorder("rolling_upgrade", "svc", clock=Clock().at(0))
    rec.event("domain 0", "walk", "ok")
    root = _svg(rec.finish("released"))
    assert any(el.text == "+0s" for el in root.iter(f"{SVG}text"))
    assert [el.text for el in root.iter(f"{SVG}text") if el.get("class") == "lane"] == ["domain 0"]


def _label_boxes(root: ET.Element) -> list[tuple[float, float, str]]:
    return [
        (float(el.get("x", 0)), float(el.get("y", 0)), el.text or "")
        for el in root.iter(f"{SVG}text")
        if el.get("class") == "step"
    ]


def test_step_labels_never_overlap_and_repeats_are_counted() -> None:
    """Four gates and a flip with two verifies within a tenth of a second (as the demo's v1 has):
    each label has its own place or is merged as ``gate x4``, never drawn over another."""
    clock = Clock().at(0)
    rec = ReleaseRecorder("vip_swap", "svc", clock=clock)
    for i in range(4):
        rec.event("staging", "gate", "ok", "a gate")
        clock.at(0.01 * (i + 1))
    rec.event("staging", "lock_wait", "ok", "no lock")
    for i, step in enumerate(("flip", "verify", "verify", "verify")):
        rec.event("production", step, "ok", step)
        clock.at(0.1 + 0.01 * i)
    clock.at(30)
    rec.event("production", "bake", "ok", "baked")
    root = _svg(rec.finish("released"))
    boxes = _label_boxes(root)
    texts = sorted(t for _, _, t in boxes)
    assert texts == ["bake", "flip", "gate x4", "lock_wait", "verify x3"], texts
    for i, (x1, y1, _a) in enumerate(boxes):
        for x2, y2, _b in boxes[i + 1 :]:
            assert not (abs(x1 - x2) < 78 and y1 == y2), boxes

"""ReleaseRecorder: the report shape of CONTRACTS.md, JSON-safe, with a readable text timeline."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from airflow_sm_provider.release_report import (
    MAX_DETAIL,
    ReleaseRecorder,
    format_timeline,
    ordered_lanes,
    report_problems,
)


def ticking_clock(start_second: int = 0) -> Callable[[], str]:
    """A clock that moves one second per call, so event times are distinct and predictable."""
    seconds: Iterator[int] = iter(range(start_second, 10_000))
    return lambda: f"2026-12-01T09:00:{next(seconds):02d}.000+00:00"


def test_new_report_has_the_contract_keys_and_keeps_existing_ones() -> None:
    existing = {"service_name": "svc", "checks": [], "started_at": "2026-12-01T08:00:00.000+00:00"}
    rec = ReleaseRecorder("vip_swap", "svc", report=existing, clock=ticking_clock())
    assert rec.report is existing  # extended in place: the operator's report and ours are one dict
    assert existing["checks"] == [] and existing["started_at"] == "2026-12-01T08:00:00.000+00:00"
    assert existing["strategy"] == "vip_swap"
    assert existing["outcome"] == "running" and existing["ended_at"] is None
    assert existing["events"] == []


def test_events_and_finish_make_a_json_safe_report() -> None:
    rec = ReleaseRecorder("rolling_upgrade", "svc", clock=ticking_clock())
    rec.event("domain 0", "walk", "ok", detail=ValueError("not a string"))
    rec.event("domain 1", "domain_bake", "failed", detail="x" * (MAX_DETAIL + 50))
    report = rec.finish("rolled_back")
    assert json.loads(json.dumps(report)) == report
    assert report["started_at"] == "2026-12-01T09:00:00.000+00:00"
    assert report["ended_at"] == "2026-12-01T09:00:03.000+00:00"
    assert report["events"][0] == {
        "at": "2026-12-01T09:00:01.000+00:00",
        "lane": "domain 0",
        "step": "walk",
        "outcome": "ok",
        "detail": "not a string",
    }
    assert len(report["events"][1]["detail"]) == MAX_DETAIL
    assert report_problems(report) == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda r: r.event("production", "flip", "maybe"), "event outcome"),
        (lambda r: r.finish("swapped"), "outcome"),
    ],
)
def test_values_outside_the_contract_are_refused_with_the_field_named(
    call: Callable[[ReleaseRecorder], object], field: str
) -> None:
    rec = ReleaseRecorder("vip_swap", "svc")
    with pytest.raises(ValueError, match=f"^{field} must be one of"):
        call(rec)


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="strategy must be one of vip_swap, rolling_upgrade"):
        ReleaseRecorder("canary", "svc")


def test_lanes_read_production_staging_then_domains_in_number_order() -> None:
    rec = ReleaseRecorder("rolling_upgrade", "svc")
    for lane in ("domain 10", "release", "domain 2", "staging", "production", "domain 2"):
        rec.event(lane, "walk")
    assert ordered_lanes(rec.report) == ["production", "staging", "domain 2", "domain 10", "release"]


def test_report_problems_names_what_is_wrong() -> None:
    assert report_problems([1]) == ["a release report is a JSON object, not list"]
    problems = report_problems(
        {
            "strategy": "x",
            "outcome": "released",
            "started_at": "yesterday",
            "events": [{"at": "", "outcome": "ok"}],
        }
    )
    assert problems == [
        "strategy 'x' is not one of vip_swap, rolling_upgrade",
        "started_at is not an ISO-8601 time",
        "events[0].at is not an ISO-8601 time",
    ]


def test_text_timeline_shows_offsets_lanes_steps_and_outcomes_in_time_order() -> None:
    rec = ReleaseRecorder("vip_swap", "svc", clock=ticking_clock())
    rec.event("staging", "gate", "ok", "staging v2 Running, 2/2 ReadyRole")
    rec.event("production", "flip", "ok", "swap request 0123")
    rec.event("production", "sample", "failed", "GET /health -> 503")
    rec.event("production", "swap_back", "ok", "v1 back in production")
    rec.report["events"].insert(0, rec.report["events"].pop())  # stored out of order: still sorted
    text = format_timeline(rec.finish("rolled_back"))
    lines = text.splitlines()
    assert lines[0] == (
        "vip_swap of svc: rolled_back  (2026-12-01T09:00:00.000+00:00 -> "
        "2026-12-01T09:00:05.000+00:00, 5.0 s)"
    )
    assert [line.split()[:4] for line in lines[1:]] == [
        ["+1.0s", "staging", "gate", "ok"],
        ["+2.0s", "production", "flip", "ok"],
        ["+3.0s", "production", "sample", "FAIL"],
        ["+4.0s", "production", "swap_back", "ok"],
    ]
    assert lines[3].endswith("GET /health -> 503")


def test_text_timeline_of_a_broken_report_says_so_instead_of_raising() -> None:
    text = format_timeline({"strategy": "vip_swap", "events": "nope"})
    assert "(no events recorded)" in text and "! events is not a list" in text


def test_module_imports_only_the_standard_library() -> None:
    code = (
        "import sys; import airflow_sm_provider.release_report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('airflow', 'httpx', 'cryptography')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_one_time_format_for_report_events_and_bake_samples() -> None:
    """``utcnow_iso`` formats now or a given epoch (a bake sample's); the step runner has no twin."""
    import airflow_sm_provider.triggers.release as steps
    from airflow_sm_provider.client.polling import PollResult
    from airflow_sm_provider.release_report import parse_time, utcnow_iso

    assert utcnow_iso(0.0) == "1970-01-01T00:00:00.000+00:00"  # the epoch itself, not "now"
    assert parse_time(utcnow_iso(1764583200.25)).timestamp() == 1764583200.25  # type: ignore[union-attr]
    assert not hasattr(steps, "_iso")
    io = steps.ReleaseIO("svc", None)  # type: ignore[arg-type]
    condition = steps._bake_condition({"until": 1764583300.0, "seconds": 100}, io)
    ok = PollResult.success("fine")
    condition(steps.BakeSample(ok, ok, 1764583200.5))
    assert io.samples[0]["at"] == utcnow_iso(1764583200.5) == "2025-12-01T10:00:00.500+00:00"

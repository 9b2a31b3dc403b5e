"""``Event``, ``EventKind`` and ``Severity``: closed vocabularies, frozen, JSON-safe, round-trips through dicts."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganlab.diagnostics import DETECTORS
from ganlab.schema import EVENT_KINDS, SEVERITIES, Event, EventKind, EventSummary, Severity, read_events, write_events


def test_round_trip_and_json_safety() -> None:
    event = Event("non_finite", np.int64(12), "failure",
                  {"value": float("nan"), "count": np.int64(3), "ratio": np.float32(2.5), "column": "loss_d"},
                  "nan in loss_d at step 12")
    data = event.to_dict()
    assert data == {
        "kind": "non_finite", "step": 12, "severity": "failure",
        "evidence": {"value": "nan", "count": 3, "ratio": 2.5, "column": "loss_d"},
        "message": "nan in loss_d at step 12",
    }
    json.dumps(data, allow_nan=False)
    assert Event.from_dict(data) == event


def test_frozen_and_validated() -> None:
    event = Event("oscillation", 5, "warning", {"until": 50}, "m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.step = 6  # type: ignore[misc]
    assert event.until == 50 and Event("oscillation", 5, "warning").until == 5
    with pytest.raises(ValueError, match="severity"):
        Event("oscillation", 5, "error")


@given(st.text(max_size=12))
def test_only_the_two_documented_severities_are_accepted(severity: str) -> None:
    # docs/diagnostics.md: "warning" (degraded, may still be useful) and "failure" (not producing a generator).
    if severity in ("warning", "failure"):
        assert Event("oscillation", 1, severity).severity in SEVERITIES
    else:
        with pytest.raises(ValueError, match="severity"):
            Event("oscillation", 1, severity)


scalars = st.one_of(st.integers(-(2**62), 2**62), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                    st.booleans())


@given(st.integers(0, 10**9), st.dictionaries(st.text(min_size=1, max_size=8), scalars, max_size=5))
def test_any_evidence_becomes_strict_json_and_round_trips(step: int, evidence: dict) -> None:
    event = Event("non_finite", np.int64(step), "failure", evidence, "m")
    text = json.dumps(event.to_dict(), allow_nan=False)  # raises on NaN/Inf left as floats
    back = Event.from_dict(json.loads(text))
    assert back == event and type(back.step) is int
    for key, value in evidence.items():
        if isinstance(value, float) and not np.isfinite(value):
            assert back.evidence[key] == str(value)


def test_kinds_and_severities_are_members_and_plain_strings_on_disk(tmp_path) -> None:
    event = Event("mode_collapse", 3, "warning", {"until": 9}, "m")
    assert event.kind is EventKind.MODE_COLLAPSE and event.severity is Severity.WARNING
    assert event == Event(EventKind.MODE_COLLAPSE, 3, Severity.WARNING, {"until": 9}, "m")
    assert tuple(DETECTORS) == EVENT_KINDS  # one detector per kind, in the same order
    write_events(tmp_path / "events.json", [event])
    assert json.loads((tmp_path / "events.json").read_text())[0]["kind"] == "mode_collapse"
    assert read_events(tmp_path / "events.json") == [event]
    with pytest.raises(ValueError, match="kind must be one of"):
        Event("mode_colapse", 1, "failure")


def test_run_json_event_summaries_take_only_known_kinds_and_severities() -> None:
    summary = EventSummary(kind="oscillation", step=4, severity="warning")
    assert summary.kind is EventKind.OSCILLATION and summary.model_dump(mode="json")["severity"] == "warning"
    for bad in ({"kind": "oscillation", "step": 4, "severity": "error"},
                {"kind": "nan", "step": 4, "severity": "failure"}):
        with pytest.raises(ValueError):
            EventSummary.model_validate(bad)

"""``Event``: frozen, JSON-safe, round-trips through dicts."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganlab.diagnostics import SEVERITIES, Event


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

"""``Event``: frozen, JSON-safe, round-trips through dicts."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

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
    assert SEVERITIES == ("warning", "failure")

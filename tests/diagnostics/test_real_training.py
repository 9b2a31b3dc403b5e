"""Short real trainings (16x16, width 32, CPU): the detectors on logs a real DCGAN writes.

Each run takes a few seconds; they check the wiring trainer -> log -> detect -> events.json/run.json
and two calls that must not go wrong: a diverged run is ``non_finite``, the baseline has no event.
"""

from __future__ import annotations

import json

import pytest

from ganlab.config import GanlabConfig
from ganlab.diagnostics import diagnose_path

train = pytest.importorskip("ganlab.train").train


def _config(**train_overrides) -> GanlabConfig:
    return GanlabConfig.model_validate({
        "seed": 0,
        "data": {"dataset": "gaussian-grid", "resolution": 16},
        "model": {"width": 32},
        "train": {"steps": 300, "threads": 1, "checkpoint_every": 1000, **train_overrides},
        "diagnostics": {"final_samples": 1000},  # the events are under test here, not the final metrics
    })


def test_huge_learning_rate_is_non_finite(tmp_path) -> None:
    result = train(_config(steps=50, lr_d=1e30, lr_g=1e30), tmp_path / "run", progress=False)
    assert result.status == "failed"
    assert [e["kind"] for e in result.events] == ["non_finite"]
    (event,) = diagnose_path(result.run_dir)
    assert event.kind == "non_finite" and event.severity == "failure"
    assert event.evidence.get("tensor") == json.loads((result.run_dir / "run.json").read_text())[
        "non_finite_tensor"
    ]


def test_paper_baseline_has_no_events(tmp_path) -> None:
    result = train(_config(), tmp_path / "run", progress=False)
    assert result.status == "completed"
    assert result.events == []
    assert diagnose_path(result.run_dir) == []

"""``quality_collapse``: known answers, and a brute-force restatement of the rule on random logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics import detect
from ganlab.diagnostics.quality import quality_collapse
from ganlab.schema import GATE_PASS_RATE, EventKind, Severity

SHORT = DiagnosticsConfig(collapse_min_steps=100)  # 3 evals spanning 100 steps, as a fitted 300-step run


def log_of(shares: list[float], every: int = 50, rows_between: int = 1) -> pd.DataFrame:
    """A log with an evaluation every ``every`` steps (``rows_between`` log rows per evaluation)."""
    steps = np.arange(every // rows_between, every * len(shares) + 1, every // rows_between)
    share = np.full(len(steps), np.nan)
    share[np.flatnonzero(steps % every == 0)] = shares
    return pd.DataFrame({"step": steps, "loss_d": 1.0, "loss_g": 1.0, "eval_manifold_share": share})


def test_samples_that_never_reach_the_manifold_are_one_failure_from_the_first_evaluation() -> None:
    (event,) = quality_collapse(log_of([0.0] * 6), SHORT)
    assert (event.kind, event.step, event.severity) == (EventKind.QUALITY_COLLAPSE, 50, Severity.FAILURE)
    assert event.evidence["evals"] == 6 and event.evidence["until"] == 300
    assert event.evidence["real_share"] == GATE_PASS_RATE and event.evidence["level"] == 0.1 * GATE_PASS_RATE


def test_a_healthy_start_climbs_off_zero_and_is_not_reported() -> None:
    assert quality_collapse(log_of([0.0, 0.07, 0.15, 0.31, 0.32, 0.32]), SHORT) == []  # digits seed 3
    assert quality_collapse(log_of([0.0, 0.0, 0.3, 0.66, 0.97, 0.98], rows_between=5), SHORT) == []


def test_samples_that_leave_the_manifold_after_a_good_start_are_reported_from_where_they_left() -> None:
    (event,) = quality_collapse(log_of([0.0, 0.4, 0.6, 0.01, 0.0, 0.02, 0.0]), SHORT)
    assert event.step == 200 and event.evidence["best_manifold_share"] == 0.6
    assert event.evidence["manifold_share"] == 0.0


def test_a_short_dip_or_a_log_without_the_column_is_no_event() -> None:
    assert quality_collapse(log_of([0.5, 0.0, 0.0, 0.5, 0.6]), SHORT) == []
    assert quality_collapse(log_of([0.0] * 6).drop(columns="eval_manifold_share"), SHORT) == []
    # every detector runs on the same log: only this one reads the column
    kinds = {e.kind for e in detect(log_of([0.0] * 6), SHORT)}
    assert kinds == {EventKind.QUALITY_COLLAPSE}


def brute_force(steps: np.ndarray, share: np.ndarray, config: DiagnosticsConfig) -> list[int]:
    """The onset steps of the rule, row by row in plain Python: a row t confirms rows s..t when s is the
    latest start giving ``collapse_persist`` rows spanning ``collapse_min_steps``, every share in s..t is at
    or below the level, and no share after s beat the best up to s by the gain while above the level."""
    level = config.quality_min_share * GATE_PASS_RATE
    n, confirmed = len(share), [False] * len(share)
    for t in range(n):
        starts = [s for s in range(t + 1)
                  if t - s + 1 >= config.collapse_persist and steps[t] - steps[s] >= config.collapse_min_steps]
        if not starts:
            continue
        s = max(starts)
        if not all(share[i] <= level for i in range(s, t + 1)):
            continue
        best = max(share[: s + 1])
        if any(share[i] > best + config.collapse_min_coverage_gain and share[i] > level for i in range(s + 1, t + 1)):
            continue
        for i in range(s, t + 1):
            confirmed[i] = True
    return [int(steps[i]) for i in range(n) if confirmed[i] and (i == 0 or not confirmed[i - 1])]


@settings(max_examples=200, deadline=None)
@given(shares=st.lists(st.sampled_from([0.0, 0.01, 0.05, 0.08, 0.09, 0.2, 0.5, 0.9]), min_size=1, max_size=14),
       persist=st.integers(1, 4), min_steps=st.sampled_from([0, 50, 100, 250, 500]),
       gain=st.sampled_from([0.0, 0.05, 0.2]), level=st.sampled_from([0.0, 0.1, 0.5]))
def test_the_detector_is_the_rule(shares, persist, min_steps, gain, level) -> None:
    config = DiagnosticsConfig(collapse_persist=persist, collapse_min_steps=min_steps,
                               collapse_min_coverage_gain=gain, quality_min_share=level)
    log = log_of(shares, rows_between=2)
    ev = log[log["eval_manifold_share"].notna()]
    expected = brute_force(ev["step"].to_numpy(), ev["eval_manifold_share"].to_numpy(), config)
    found = quality_collapse(log, config)
    assert [e.step for e in found] == expected
    assert all(e.severity == Severity.FAILURE and e.evidence["manifold_share"] <= config.quality_min_share * 0.8
               for e in found)

"""The incremental detectors equal ``detect`` on the log so far, at every check, on random logs.

Two kinds of logs: realistic traces (``traces.py``) with one failure injected, under the default or
random thresholds, and rough random logs (drifts, steps, spikes, swings, NaN/Inf, irregular steps,
sparse and partial eval columns, dropped columns) under random thresholds small enough that every
detector fires somewhere. Hypothesis draws the log, the thresholds, the detectors that run and the
points at which the monitor is checked; at each point the events must be exactly ``detect``'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganlab.config import DiagnosticsConfig
from ganlab.diagnostics import IncrementalDetector, OnlineMonitor, detect
from ganlab.diagnostics.incremental.buffer import LogBuffer, Runs
from ganlab.diagnostics.log import prepare, true_runs
from ganlab.diagnostics.rolling import centred_mean
from ganlab.schema import EVENT_KINDS

from .traces import (
    Shape,
    healthy,
    inject_collapse,
    inject_dominance,
    inject_explosion,
    inject_nan,
    inject_oscillation,
    recovering_log,
    without_copies,
)

PROPERTY = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def rows_of(log: pd.DataFrame) -> list[dict]:
    """The rows as a training loop logs them: eval keys only on eval rows."""
    return [{k: v for k, v in r.items() if not (k.startswith("eval_") and np.isnan(v))}
            for r in log.to_dict("records")]


def random_log(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    gaps = rng.choice([1, 1, 1, 2, 5], size=n) if rng.random() < 0.3 else np.full(n, rng.choice([1, 2, 5]))
    t = np.arange(n)
    data: dict[str, np.ndarray] = {"step": np.cumsum(gaps)}
    for column in ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g"):
        x = np.abs(np.cumsum(rng.normal(0, 0.1, n))) + rng.uniform(0.01, 2)
        if rng.random() < 0.3:  # a jump up or a collapse towards 0
            x[rng.integers(0, n):] *= rng.choice([1e-3, 50.0])
        if rng.random() < 0.3:  # swings
            x = x * (1 + rng.uniform(0.2, 1) * np.sin(2 * np.pi * t / rng.uniform(10, 80)))
        data[column] = np.clip(x, 0, 1) if column.startswith("d_") else x
    if rng.random() < 0.2:
        data[str(rng.choice(list(data)[1:]))][rng.integers(0, n):] = rng.choice([np.nan, np.inf])
    log = pd.DataFrame(data)
    if rng.random() < 0.7:
        evals = t % int(rng.integers(5, 60)) == 0
        total = float(rng.choice([10, 100, 1000]))
        modes = np.round(rng.uniform(0, 1, n) ** rng.uniform(0.3, 3) * total * rng.uniform(0.1, 1))
        log["eval_modes"] = np.where(evals, modes, np.nan)
        log["eval_modes_total"] = np.where(evals, total, np.nan)
        if rng.random() < 0.7:
            log["eval_kl"] = np.where(evals & (modes > 0), rng.uniform(0, 3, n), np.nan)
        if rng.random() < 0.7:
            log["eval_diversity"] = np.where(evals, rng.uniform(0, 1.2, n), np.nan)
        if rng.random() < 0.5:
            log["eval_dup_rate"] = np.where(evals, rng.uniform(0, 1, n), np.nan)
        if rng.random() < 0.5:  # the realism gate's share: near 0 (off the manifold) or anywhere
            log["eval_manifold_share"] = np.where(evals, rng.uniform(0, rng.choice([0.1, 1.0]), n), np.nan)
            log["eval_modes_ungated"] = np.where(evals, np.maximum(modes, np.round(rng.uniform(0, total, n))),
                                                 np.nan)
        if rng.random() < 0.5:  # NDB/K; read only where there are no mode counts, so often without them
            log["eval_ndb_k"] = np.where(evals, rng.uniform(0, 1, n), np.nan)
            if rng.random() < 0.5:
                log = log.drop(columns=[c for c in log.columns if c.startswith("eval_mode") or c == "eval_kl"])
    dropped = [c for c in log.columns[1:] if rng.random() < 0.05]
    log = log.drop(columns=dropped)
    if "eval_dup_rate" in log.columns and rng.random() < 0.5:  # held-out real data's duplicates: G's recovery
        log["eval_dup_rate_real"] = np.where(log["eval_dup_rate"].notna(), rng.uniform(0, 0.3, n), np.nan)
    return log


def trace_log(shape: Shape, failure: int, at: float) -> pd.DataFrame:
    log = healthy(shape)
    rng = np.random.default_rng(shape.seed)
    k = max(1, int(at * shape.steps / shape.log_every)) * shape.log_every
    if failure == 1:
        return inject_nan(log, k, "grad_norm_g")
    if failure == 2:
        return inject_dominance(log, k, str(rng.choice(["grad_norm_d", "grad_norm_g"])), rng)
    if failure == 3:
        return inject_collapse(log, k, bool(rng.random() < 0.5), rng)
    if failure == 4:
        return inject_explosion(log, k, ("grad_norm_d",), 1.5, 1000.0)
    if failure == 5:
        return inject_oscillation(log, k, 100.0, 0.8)
    if failure == 6:  # D wins for a while, then the game resumes: no event where a later evaluation is healthy
        won = inject_dominance(log, k, "grad_norm_g", rng)  # D's gradient alone needs G low: a healthy G is not
        return without_copies(won.where(won.step < k + int(rng.integers(1, 4)) * 100, log))
    return log


def random_config(draw) -> DiagnosticsConfig:
    i, f = st.integers, st.floats
    return DiagnosticsConfig(
        dominance_window=draw(i(5, 200)), dominance_d_real=draw(f(0.6, 0.99)), dominance_d_fake=draw(f(0.01, 0.4)),
        dominance_loss_d=draw(f(0.05, 2.0)), dominance_grad_ratio=draw(f(0.05, 0.9)),
        dominance_copies_rate=draw(f(0.001, 0.5)), collapse_partial_ndb_k=draw(f(0.05, 1.0)),
        explosion_window=draw(i(20, 200)), explosion_sustain=draw(i(1, 20)), explosion_factor=draw(f(1.5, 20.0)),
        explosion_burn_in=draw(i(0, 100)),
        oscillation_smooth=draw(i(1, 30)), oscillation_window=draw(i(4, 200)), oscillation_amplitude=draw(f(0.05, 1.0)),
        oscillation_floor=draw(f(0.01, 1.0)), oscillation_swings=draw(i(2, 6)), oscillation_eval_drop=draw(f(0.3, 1.0)),
        collapse_persist=draw(i(1, 5)), collapse_min_steps=draw(i(0, 300)),
        collapse_partial_coverage=draw(f(0.35, 0.9)), collapse_partial_diversity=draw(f(0.5, 1.0)),
        collapse_partial_dup_rate=draw(f(0.1, 0.5)), quality_min_share=draw(f(0.0, 1.0)),
        # a short run's rule: G's side (and whether G recovered) is then read on a second eval core
        collapse_needs_duplicates=draw(st.booleans()),
    )


@st.composite
def cases(draw):
    if draw(st.booleans()):
        log = random_log(draw(st.integers(0, 2**32 - 1)), draw(st.integers(1, 500)))
        config = random_config(draw)
    else:
        shape = Shape(steps=draw(st.integers(300, 1200)), log_every=draw(st.sampled_from([1, 1, 2, 5])),
                      modes_total=draw(st.sampled_from([None, 10, 1000])), features=draw(st.booleans()),
                      seed=draw(st.integers(0, 2**32 - 1)))
        log = trace_log(shape, draw(st.integers(0, 6)), draw(st.floats(0.05, 0.9)))
        config = DiagnosticsConfig() if draw(st.booleans()) else random_config(draw)
    n = len(log)
    checks = sorted(set(draw(st.lists(st.integers(1, n), max_size=6))) | {n})
    kinds = draw(st.one_of(st.none(), st.lists(st.sampled_from(EVENT_KINDS), min_size=1, unique=True)))
    return log, config, checks, kinds


def assert_equal_at_every_check(log, config, checks, kinds) -> None:
    rows = rows_of(log)
    incremental = IncrementalDetector(config, kinds)
    offline = config if kinds is None else config.model_copy(update={"detectors": incremental.kinds})
    done = 0
    for n in checks:
        incremental.extend(rows[done:n])
        done = n
        expected = detect(pd.DataFrame(rows[:n]), offline)
        assert incremental.events() == expected, f"after {n} rows"
        assert [(e.kind, e.step, e.until, e.severity) for e in incremental.episodes()] == [
            (e.kind, e.step, e.until, e.severity) for e in expected]


@settings(PROPERTY, max_examples=60)
@given(case=cases())
def test_incremental_events_equal_detect_at_every_check(case) -> None:
    assert_equal_at_every_check(*case)


# The campaign (marker ``fuzz``): 2,000 examples in two halves of 1,000, this one and the one in
# test_incremental_campaign.py, so that on two test workers both cores draw (a file runs on one worker).
CAMPAIGN = settings(PROPERTY, max_examples=1000)


@pytest.mark.fuzz
@CAMPAIGN
@given(case=cases())
def test_incremental_events_equal_detect_at_every_check_campaign(case) -> None:
    assert_equal_at_every_check(*case)


def test_checked_every_row_on_dominance_shown_by_the_realism_share() -> None:
    """D wins with its gradient gone, and G's side is the realism share alone (carried forward between
    evaluations): one row at a time, every check equals ``detect``, and the event is there."""
    shape = Shape(steps=600, modes_total=None, seed=2)
    log = inject_dominance(healthy(shape), 200, "grad_norm_d", np.random.default_rng(0))
    evals = log["eval_diversity"].notna()
    log.loc[evals, "eval_manifold_share"] = np.where(log.loc[evals, "step"] >= 200, 0.03, 0.5)
    assert "d_dominance" in [e.kind for e in detect(log, DiagnosticsConfig())]
    assert_equal_at_every_check(log, DiagnosticsConfig(), list(range(1, len(log) + 1, 7)) + [len(log)], None)


def test_checked_every_row_on_dominance_that_g_recovers_from() -> None:
    """The episode is a failure at every check until the evaluation that shows G back arrives, a window after
    it ended; then it is withdrawn. Each check equals ``detect``."""
    log = recovering_log(0.3)
    incremental = IncrementalDetector(DiagnosticsConfig(), ["d_dominance"])
    seen = []
    for row in rows_of(log):
        incremental.extend([row])
        seen.append((row["step"], [e.severity for e in incremental.episodes()]))
    assert {s for step, found in seen if 400 < step < 1000 for s in found} == {"failure"}
    assert all(len(found) == 1 for step, found in seen if 800 < step < 1000)
    assert seen[-1] == (1000, [])
    assert_equal_at_every_check(log, DiagnosticsConfig(), list(range(1, len(log) + 1, 7)) + [len(log)], None)


@pytest.mark.parametrize("real_dup", [None, 0.07])
def test_checked_every_row_on_a_partial_collapse_that_g_recovers_from(real_dup: float | None) -> None:
    """The warning stands at every check from its third stuck evaluation until the one that shows G back;
    then it is withdrawn. Each check equals ``detect``. With data that repeats itself (``eval_dup_rate_real``
    0.07), G repeating itself as much (0.05) is back too."""
    log = recovering_log(0.3)
    if real_dup is not None:
        evals = log["eval_dup_rate"].notna()
        log["eval_dup_rate_real"] = np.where(evals, real_dup, np.nan)
        log.loc[log.step == 1000, "eval_dup_rate"] = 0.05
    incremental = IncrementalDetector(DiagnosticsConfig(), ["mode_collapse"])
    seen = []
    for row in rows_of(log):
        incremental.extend([row])
        seen.append((row["step"], [e.severity for e in incremental.episodes()]))
    assert all(found == ["warning"] for step, found in seen if 750 <= step < 1000)
    assert seen[-1] == (1000, [])
    assert_equal_at_every_check(log, DiagnosticsConfig(), list(range(1, len(log) + 1, 7)) + [len(log)], None)


@pytest.mark.parametrize("seed", range(4))
def test_checked_every_row_on_a_failing_trace(seed: int) -> None:
    """One row at a time, the worst case for carried state: every check equals ``detect``."""
    shape = Shape(steps=600, seed=seed)
    log = trace_log(shape, 1 + seed, 0.3)
    assert_equal_at_every_check(log, DiagnosticsConfig(), list(range(1, len(log) + 1, 7)) + [len(log)], None)


# --- the parts ----------------------------------------------------------------------------------


@settings(PROPERTY, max_examples=200)
@given(gap=st.integers(0, 4),
       edits=st.lists(st.tuples(st.integers(0, 40), st.lists(st.booleans(), max_size=30)), min_size=1, max_size=8))
def test_runs_tracker_equals_true_runs_whatever_the_updates(gap, edits) -> None:
    """Each update keeps the first ``cut`` rows and rewrites or appends the rest (as the detectors' tails
    move); after each, ``Runs`` equals ``true_runs`` of the mask."""
    runs, mask = Runs(gap), np.zeros(0, bool)
    for cut, rest in edits:
        cut = min(cut, len(mask))
        mask = np.concatenate((mask[:cut], np.array(rest, dtype=bool)))
        before = runs.pairs()
        runs.update(mask, cut)
        assert runs.pairs() == true_runs(mask, gap)
        assert runs.pairs()[: runs.changed] == before[: runs.changed]  # what it says it left alone


@settings(PROPERTY, max_examples=100)
@given(values=st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=1, max_size=80),
       window=st.integers(1, 12), cut=st.integers(0, 80))
def test_centred_mean_is_pandas_rolling_mean_and_the_same_on_a_slice(values, window, cut) -> None:
    x = np.array(values)
    whole = centred_mean(x, window)
    expected = pd.Series(x).rolling(window, center=True, min_periods=1).mean().to_numpy()
    np.testing.assert_allclose(whole, expected, rtol=1e-9, atol=1e-6)
    cut = min(cut, len(x))
    begin = max(0, cut - window // 2)
    assert np.array_equal(centred_mean(x[begin:], window)[cut - begin :], whole[cut:], equal_nan=True)


def test_log_buffer_reads_rows_as_prepare_does() -> None:
    rows = [{"step": 1, "loss_d": 1.0, "extra": "x"}, {"step": 2.0, "loss_d": "0.5"},
            {"step": float("nan"), "loss_d": 9.0}, {"step": 3, "loss_d": "n/a", "eval_modes": 4}]
    buffer = LogBuffer()
    buffer.add(rows[:2])
    assert buffer.add(rows[2:])  # eval_modes appeared: earlier rows now read NaN in it
    pd.testing.assert_frame_equal(buffer.frame(), prepare(pd.DataFrame(rows)))
    assert buffer.add([{"step": 2, "loss_d": 7.0}])  # a resumed run rewrote step 2: re-read, the last row wins
    pd.testing.assert_frame_equal(buffer.frame(), prepare(pd.DataFrame([*rows, {"step": 2, "loss_d": 7.0}])))
    assert buffer.stride() == 1.0 and buffer.seen == {"loss_d", "eval_modes"}


def test_monitor_reads_only_new_rows_and_rebuilds_only_when_it_must() -> None:
    log = inject_dominance(healthy(Shape(steps=1500, seed=5)), 700, "grad_norm_g", np.random.default_rng(5))
    rows = rows_of(log)
    monitor = OnlineMonitor(DiagnosticsConfig(stop_on=("d_dominance",), patience=10**6))
    for n in range(50, len(rows) + 1, 50):
        monitor.check(rows[:n], n)
    # Rebuilt once when the eval columns first appeared (step 38, the first eval), never again.
    assert monitor.detector.rebuilds == 1
    assert monitor.events == [e for e in detect(log) if e.kind == "d_dominance"] != []

"""Property tests: healthy traces give no events; each injected failure is found, near its onset.

Traces come from ``traces.py``; hypothesis draws their shape (length 300-3000 steps, log_every,
which eval columns exist, a seed) and the failure's parameters. Examples are derandomised so CI
is deterministic; ``docs/diagnostics.md`` reports the rates from larger sweeps.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganlab.config import DiagnosticsConfig
from ganlab.diagnostics import detect

from .traces import (
    Shape,
    expected_modes,
    healthy,
    inject_collapse,
    inject_dominance,
    inject_explosion,
    inject_nan,
    inject_oscillation,
    without_copies,
)

CONFIG = DiagnosticsConfig()
PROPERTY = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

shapes = st.builds(
    Shape,
    steps=st.integers(300, 3000),
    log_every=st.sampled_from([1, 1, 2, 5]),
    modes_total=st.sampled_from([None, 10, 25, 1000]),
    features=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
# Label-free traces that carry eval_ndb_k as well (a folder run's log); the shapes above keep their examples.
label_free = shapes.map(lambda s: replace(s, modes_total=None, features=True, ndb=True))


def logged_step(shape: Shape, fraction: float) -> int:
    """The logged step nearest ``fraction`` of the run."""
    return max(shape.log_every, int(round(fraction * shape.steps / shape.log_every)) * shape.log_every)


def assert_found(events, kind: str, k: int, shape: Shape, severity: str | None = None) -> None:
    kinds = [(e.kind, e.step, e.severity) for e in events]
    found = [e for e in events if e.kind == kind]
    assert found, f"{kind} injected at step {k} not found; events: {kinds}"
    assert abs(found[0].step - k) <= 0.05 * shape.steps, f"onset {found[0].step} vs injected {k}: {kinds}"
    assert {e.kind for e in events} == {kind}, f"false alarms alongside {kind}: {kinds}"
    if severity is not None:
        assert found[0].severity == severity, kinds


@settings(PROPERTY, max_examples=200)
@given(shape=shapes)
def test_healthy_traces_raise_no_events(shape: Shape) -> None:
    events = detect(healthy(shape), CONFIG)
    assert events == [], [e.message for e in events]


@settings(PROPERTY, max_examples=50)
@given(
    shape=shapes,
    at=st.floats(0.05, 0.95),
    column=st.sampled_from(["loss_d", "loss_g", "grad_norm_d", "grad_norm_g", "d_fake"]),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
)
def test_non_finite_found_at_its_step(shape: Shape, at: float, column: str, value: float) -> None:
    k = logged_step(shape, at)
    events = detect(inject_nan(healthy(shape), k, column, value), CONFIG)
    assert_found(events, "non_finite", k, shape, "failure")
    assert events[0].step == k and events[0].evidence["column"] == column


@settings(PROPERTY, max_examples=50)
@given(shape=shapes, at=st.floats(0.1, 0.7), vanishing=st.sampled_from(["grad_norm_d", "grad_norm_g"]))
def test_d_dominance_found_near_onset(shape: Shape, at: float, vanishing: str) -> None:
    # Reported once it has lasted dominance_window (100) steps: leave it room to.
    k = logged_step(shape, min(at, (shape.steps - CONFIG.dominance_window - 50) / shape.steps))
    rng = np.random.default_rng(shape.seed)
    log = inject_dominance(healthy(shape), k, vanishing, rng)
    if vanishing == "grad_norm_g":
        assert_found(detect(log, CONFIG), "d_dominance", k, shape, "failure")
    else:
        # Only D's gradient vanished (nonsaturating loss): dominance needs G's samples to stop
        # improving too. Without that evidence it is a strong D that still teaches G.
        assert detect(log, CONFIG) == []
        if shape.modes_total is None and not shape.features:
            return  # no eval columns: nothing can show G's side
        events = detect(inject_collapse(log, k, False, rng), CONFIG)
        found = [e for e in events if e.kind == "d_dominance"]
        assert found, [(e.kind, e.step) for e in events]
        assert abs(found[0].step - k) <= 0.05 * shape.steps + shape.eval_every
        assert {e.kind for e in events} <= {"d_dominance", "mode_collapse"}
        assert found[0].evidence["vanished"] == vanishing
        return
    assert detect(log, CONFIG)[0].evidence["vanished"] == vanishing


@settings(PROPERTY, max_examples=50)
@given(shape=shapes.filter(lambda s: (s.modes_total is not None or s.features) and s.steps >= 900),
       at=st.floats(0.1, 0.4), length=st.integers(100, 400))
def test_d_dominance_that_g_recovers_from_is_no_event(shape: Shape, at: float, length: int) -> None:
    """D wins with G's gradient gone for ``length`` steps, then the game resumes and G's evaluations read healthy
    (no copies, as every healthy run of the validation corpus reads; the traces' 0.01-0.03 would count): no event
    once the episode ended a window (plus its smoothing) before the last evaluation; D winning on to the end is
    a failure near the onset."""
    k = logged_step(shape, at)
    log = without_copies(healthy(shape))
    won = inject_dominance(log, k, "grad_norm_g", np.random.default_rng(shape.seed))
    assert_found(detect(won, CONFIG), "d_dominance", k, shape, "failure")
    paused = won.where(won["step"] < k + length, log)
    evals = log.loc[log.filter(like="eval_").notna().any(axis=1), "step"]
    smooth = CONFIG.dominance_window // 5
    if evals.max() - (k + length) >= CONFIG.dominance_window + smooth:
        events = detect(paused, CONFIG)
        assert events == [], [(e.kind, e.step, e.evidence.get("until")) for e in events]


@settings(PROPERTY, max_examples=50)
@given(shape=shapes.filter(lambda s: (s.modes_total is not None or s.features) and s.steps >= 1500),
       at=st.floats(0.1, 0.3), full=st.booleans())
def test_mode_collapse_that_g_recovers_from(shape: Shape, at: float, full: bool) -> None:
    """A collapse confirmed from step k, after which G's evaluations read healthy again (no copies, as above):
    a partial one is no event, G did not stay collapsed; a full one stays a failure."""
    k = logged_step(shape, at)
    log = without_copies(healthy(shape))
    collapsed = inject_collapse(log, k, full, np.random.default_rng(shape.seed))
    severity = "failure" if full else "warning"
    assert_found(detect(collapsed, CONFIG), "mode_collapse", k, shape, severity)
    back = collapsed.where(collapsed["step"] < k + CONFIG.collapse_min_steps + 2 * shape.eval_every, log)
    events = detect(back, CONFIG)
    if full:
        assert_found(events, "mode_collapse", k, shape, "failure")
    else:
        assert events == [], [(e.kind, e.step, e.evidence.get("until")) for e in events]


@settings(PROPERTY, max_examples=100)
@given(shape=label_free)
def test_label_free_healthy_traces_with_ndb_raise_no_events(shape: Shape) -> None:
    """A healthy G's NDB/K starts as high as a collapsed one's and falls as it learns (0.6-0.9 to 0.05-0.4)."""
    events = detect(healthy(shape), CONFIG)
    assert events == [], [e.message for e in events]


@settings(PROPERTY, max_examples=50)
@given(shape=label_free.filter(lambda s: s.steps >= 900), at=st.floats(0.3, 0.7))
def test_ndb_stuck_high_is_g_side_evidence_when_nothing_else_shows(shape: Shape, at: float) -> None:
    """D wins with its own gradient vanished while G's spread and copies stay healthy: no G side, no event.
    NDB/K jumping to 0.6-0.9 from then on (the stacked-digits folder's G without batchnorm) is the G side."""
    k = logged_step(shape, min(at, (shape.steps - CONFIG.dominance_window - 50) / shape.steps))
    log = inject_dominance(healthy(shape), k, "grad_norm_d", np.random.default_rng(shape.seed))
    assert detect(log, CONFIG) == []
    after = log["eval_ndb_k"].notna() & (log["step"] >= k)
    log.loc[after, "eval_ndb_k"] = np.random.default_rng(shape.seed).uniform(0.6, 0.9, int(after.sum()))
    events = detect(log, CONFIG)
    found = [e for e in events if e.kind == "d_dominance"]
    assert found, [(e.kind, e.step) for e in events]
    assert abs(found[0].step - k) <= 0.05 * shape.steps + shape.eval_every
    assert {e.kind for e in events} <= {"d_dominance", "mode_collapse"}


@settings(PROPERTY, max_examples=50)
@given(
    shape=st.one_of(shapes.filter(lambda s: (s.modes_total is not None or s.features) and s.steps >= 900),
                    label_free.filter(lambda s: s.steps >= 900)),
    at=st.floats(0.1, 0.8),
    full=st.booleans(),
)
def test_mode_collapse_found_with_its_severity(shape: Shape, at: float, full: bool) -> None:
    # A collapse is reported once it has lasted collapse_min_steps (500): leave it room to.
    last = shape.steps - CONFIG.collapse_min_steps - 2 * shape.eval_every
    k = logged_step(shape, min(at, last / shape.steps))
    log = inject_collapse(healthy(shape), k, full, np.random.default_rng(shape.seed))
    assert_found(detect(log, CONFIG), "mode_collapse", k, shape, "failure" if full else "warning")


@settings(PROPERTY, max_examples=50)
@given(
    shape=shapes.filter(lambda s: s.steps >= 2 * CONFIG.explosion_burn_in),
    at=st.floats(0.15, 0.9),
    columns=st.sampled_from([("grad_norm_d",), ("grad_norm_g",), ("grad_norm_d", "grad_norm_g")]),
    rate=st.floats(1.2, 3.0),
    cap=st.floats(30.0, 1e4),
)
def test_gradient_explosion_found_near_onset(shape, at, columns, rate, cap) -> None:
    # After the burn-in: growth in the first explosion_burn_in steps is warm-up by definition.
    burn_in = CONFIG.explosion_burn_in
    k = logged_step(shape, (burn_in + at * (shape.steps - burn_in)) / shape.steps)
    log = inject_explosion(healthy(shape), k, columns, rate, cap)
    assert_found(detect(log, CONFIG), "gradient_explosion", k, shape, "failure")


@settings(PROPERTY, max_examples=30)
@given(shape=shapes, cap=st.floats(10.0, 300.0), reach=st.floats(20.0, 1.0 * CONFIG.explosion_burn_in))
def test_warm_up_growth_in_the_burn_in_is_not_an_explosion(shape, cap, reach) -> None:
    """No-batchnorm warm-up (issue 10): gradients start ``cap`` times below their level and grow to it
    exponentially by step ``reach``, inside the burn-in."""
    log = healthy(shape)
    growth = cap ** (np.minimum(log["step"].to_numpy() / reach, 1.0) - 1.0)
    for column in ("grad_norm_d", "grad_norm_g"):
        log[column] = log[column] * growth
    assert [e for e in detect(log, CONFIG) if e.kind == "gradient_explosion"] == []


@settings(PROPERTY, max_examples=50)
@given(
    shape=shapes.filter(lambda s: s.steps >= 600),
    at=st.floats(0.1, 0.5),
    period=st.floats(50.0, 200.0),
    amplitude=st.floats(0.6, 1.0),
)
def test_oscillation_found_near_onset(shape, at, period, amplitude) -> None:
    k = logged_step(shape, at)
    if shape.steps - k < 3 * period:  # at least three full swings after the onset
        k = logged_step(shape, (shape.steps - 3 * period) / shape.steps)
    log = inject_oscillation(healthy(shape), k, period, amplitude)
    assert_found(detect(log, CONFIG), "oscillation", k, shape, "warning")


@settings(PROPERTY, max_examples=30)
@given(
    shape=shapes.filter(lambda s: s.steps >= 600 and (s.modes_total is not None or s.features)),
    at=st.floats(0.1, 0.5),
    period=st.floats(50.0, 200.0),
    amplitude=st.floats(0.6, 1.0),
)
def test_losses_swinging_while_g_keeps_improving_is_not_oscillation(shape, at, period, amplitude) -> None:
    """The same swings as above, but G's periodic evaluation never falls (each eval at least its best so
    far): D and G trading the lead while G keeps improving."""
    k = logged_step(shape, at)
    if shape.steps - k < 3 * period:
        k = logged_step(shape, (shape.steps - 3 * period) / shape.steps)
    log = inject_oscillation(healthy(shape), k, period, amplitude, dip=None)
    for column in ("eval_modes", "eval_diversity"):
        if column in log.columns:
            log[column] = log[column].cummax()  # NaN rows (no eval) stay NaN
    assert [e for e in detect(log, CONFIG) if e.kind == "oscillation"] == []
    without_evals = log.drop(columns=[c for c in log.columns if c.startswith("eval_")])
    assert "oscillation" in {e.kind for e in detect(without_evals, CONFIG)}  # the losses alone would say so


def thousand_mode_shapes(min_steps: int) -> st.SearchStrategy[Shape]:
    return st.builds(Shape, steps=st.integers(min_steps, 3000), log_every=st.sampled_from([1, 2, 5]),
                     modes_total=st.just(1000), features=st.booleans(), seed=st.integers(0, 2**32 - 1))


def set_eval_coverage(log, coverage: np.ndarray) -> None:
    """The eval rows of ``log`` cover ``coverage`` ``(evals,)`` of a perfect generator's 1000 modes, evenly."""
    rows = log["eval_modes"].notna().to_numpy()
    log.loc[rows, "eval_modes"] = np.maximum(np.round(coverage * expected_modes(1000)), 1)
    log.loc[rows, "eval_kl"] = np.log(1000 / log.loc[rows, "eval_modes"])


@settings(PROPERTY, max_examples=40)
@given(shape=thousand_mode_shapes(1200), start=st.floats(0.005, 0.08), creep=st.floats(0.0, 0.8))
def test_coverage_stuck_low_is_collapse_even_while_creeping_up(shape: Shape, start: float, creep: float) -> None:
    """Issue 10's no-batchnorm runs: ~5% of a perfect generator's modes, rising slowly. The gain per
    eval stays under collapse_min_coverage_gain (``creep`` of it), so it is stuck, not improving."""
    log = healthy(shape)
    steps = log.loc[log["eval_modes"].notna(), "step"].to_numpy()
    # The gain over any window of collapse_min_steps (plus an eval either side) stays below the margin.
    per_step = creep * CONFIG.collapse_min_coverage_gain / (CONFIG.collapse_min_steps + 2 * shape.eval_every)
    set_eval_coverage(log, np.minimum(start + per_step * (steps - steps[0]), CONFIG.collapse_partial_coverage - 0.01))
    events = [e for e in detect(log, CONFIG) if e.kind == "mode_collapse"]
    assert events, f"stuck at {start:.3f} creeping {per_step:.2e}/step over {len(steps)} evals not reported"
    assert events[0].step <= steps[0] + CONFIG.collapse_min_steps


@settings(PROPERTY, max_examples=40)
@given(shape=thousand_mode_shapes(1500), start=st.floats(0.005, 0.03), stuck=st.floats(0.0, 0.2),
       draws=st.integers(0, 2**32 - 1))
def test_gains_that_stay_at_a_handful_of_modes_are_full_collapse(shape: Shape, start: float, stuck: float,
                                                                  draws: int) -> None:
    """The corpus's batchnorm-in-G-only seed 1: 2% -> 4% -> 8% of a perfect generator's modes over 600
    steps, more than collapse_min_coverage_gain per window, yet still a handful of modes; then it
    recovers. Any rise that stays under collapse_full_coverage for collapse_min_steps is a full
    collapse from the first eval of that stretch."""
    log = healthy(shape)
    steps = log.loc[log["eval_modes"].notna(), "step"].to_numpy()
    low_until = steps[0] + CONFIG.collapse_min_steps + shape.eval_every + stuck * shape.steps
    low = steps <= low_until
    rng = np.random.default_rng(draws)
    rise = np.sort(rng.uniform(0.0, 1.0, low.sum()))  # any non-decreasing path, big jumps included
    after = steps[~low] - low_until
    coverage = np.concatenate([start + (0.095 - start) * rise,
                               0.095 + 0.6 * (1 - np.exp(-after / (0.05 * shape.steps)))])
    set_eval_coverage(log, coverage)
    events = [e for e in detect(log, CONFIG) if e.kind == "mode_collapse"]
    assert events, f"{low.sum()} evals at {coverage[low].min():.3f}-{coverage[low].max():.3f} of the modes not reported"
    assert events[0].step == steps[0] and events[0].severity == "failure", [(e.step, e.severity) for e in events]


@st.composite
def eval_signals(draw):
    """Per-eval-row signals as ``collapse.signals`` returns them: some of coverage, diversity and dup rate,
    with NaN rows (an evaluation that did not read that signal)."""
    n = draw(st.integers(1, 10))
    value = st.one_of(st.just(np.nan), st.floats(0.0, 1.5))
    names = draw(st.lists(st.sampled_from(["coverage", "diversity", "dup_rate"]), min_size=1, unique=True))
    return {name: (np.array(draw(st.lists(value, min_size=n, max_size=n))), name != "dup_rate") for name in names}


@PROPERTY
@given(sig=eval_signals())
def test_fresh_best_is_a_new_best_over_the_earlier_rows(sig) -> None:
    """``collapse.fresh_best`` against a direct loop over Python floats: row t is fresh when some signal that
    counts (only coverage, when the log has it) beat its best over rows < t by the documented margin, or had
    no finite value before t; the first row is always fresh."""
    from ganlab.diagnostics.collapse import fresh_best

    counted = ["coverage"] if "coverage" in sig else list(sig)
    n = len(next(iter(sig.values()))[0])
    expected = []
    for t in range(n):
        fresh = t == 0
        for name in counted:
            values, higher = sig[name]
            earlier = [v if higher else -v for v in values[:t] if np.isfinite(v)]
            now = values[t] if higher else -values[t]
            if t and not earlier:
                fresh = True
            elif earlier and np.isfinite(now):
                best = max(earlier)
                if name == "coverage":
                    fresh |= now > best + CONFIG.collapse_min_coverage_gain and now > CONFIG.collapse_full_coverage
                else:
                    fresh |= now > best + max(CONFIG.collapse_min_gain * abs(best), 0.01)
        expected.append(fresh)
    assert fresh_best(sig, CONFIG).tolist() == expected

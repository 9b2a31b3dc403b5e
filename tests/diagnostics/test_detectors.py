"""Unit tests of each detector, the log helpers and ``detect``'s tolerance of odd logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganlab.config import DiagnosticsConfig
from ganlab.diagnostics import DETECTORS, REQUIRED_COLUMNS, detect
from ganlab.diagnostics.collapse import expected_modes
from ganlab.diagnostics.dominance import vanish_ratio
from ganlab.diagnostics.log import prepare, true_runs
from ganlab.errors import DataError
from ganlab.schema import EVENT_KINDS

from .traces import (
    Shape,
    g_low_log,
    healthy,
    inject_collapse,
    inject_dominance,
    inject_explosion,
    inject_nan,
    ndb_log,
    recovering_log,
)

CONFIG = DiagnosticsConfig()


def test_registry_matches_the_config_kinds() -> None:
    assert tuple(DETECTORS) == EVENT_KINDS


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_each_detector_tolerates_empty_short_and_sparse_logs(kind: str) -> None:
    detector = DETECTORS[kind]
    empty = prepare(pd.DataFrame(columns=list(REQUIRED_COLUMNS)))
    assert detector(empty, CONFIG) == []
    short = prepare(healthy(Shape(steps=300, seed=1)).head(7))  # shorter than every window
    assert detector(short, CONFIG) == []
    only_losses = prepare(healthy(Shape(steps=300, seed=1))[["step", "loss_d", "loss_g"]])
    assert detector(only_losses, CONFIG) == []


def test_detect_on_empty_and_columnless_logs() -> None:
    assert detect(pd.DataFrame(), CONFIG) == []
    assert detect(pd.DataFrame(columns=list(REQUIRED_COLUMNS)), CONFIG) == []


def test_detect_without_step_is_a_data_error() -> None:
    with pytest.raises(DataError, match="step"):
        detect(pd.DataFrame({"loss_d": [1.0]}), CONFIG)


def test_extra_columns_and_unsorted_duplicate_rows_are_handled() -> None:
    log = inject_nan(healthy(Shape(steps=600, seed=3)), 300, "loss_g")
    messy = log.assign(note="x", loss_ema=1.0).sample(frac=1.0, random_state=0)
    messy = pd.concat([messy, log.iloc[[10]]])  # a repeated step
    assert detect(messy, CONFIG) == detect(log, CONFIG)


def test_detect_output_is_sorted_by_onset() -> None:
    shape = Shape(steps=2000, seed=5)
    log = inject_explosion(healthy(shape), 1500, ("grad_norm_d",), 2.0, 100.0)
    log = inject_collapse(log, 500, True, np.random.default_rng(0))
    events = detect(log, CONFIG)
    assert [e.kind for e in events] == ["mode_collapse", "gradient_explosion"]
    assert [e.step for e in events] == sorted(e.step for e in events)


def test_non_finite_names_first_step_column_and_tensor() -> None:
    log = healthy(Shape(steps=400, seed=2))
    log.loc[log.step == 200, ["grad_norm_g", "loss_g"]] = [np.inf, np.nan]  # both at once: schema order
    context = {"non_finite_tensor": "grad of G.main.3.weight"}
    (event,) = detect(log, CONFIG, context)
    assert (event.kind, event.step, event.severity) == ("non_finite", 200, "failure")
    assert event.evidence["column"] == "loss_g" and event.evidence["value"] == "nan"
    assert event.evidence["tensor"] == "grad of G.main.3.weight"
    assert "grad of G.main.3.weight" in event.message and "\n" not in event.message


def test_non_finite_from_context_alone() -> None:
    log = healthy(Shape(steps=400, seed=2))
    (event,) = detect(log, CONFIG, {"non_finite_tensor": "G output", "non_finite_step": 401})
    assert (event.kind, event.step) == ("non_finite", 401)
    (event,) = detect(log, CONFIG, {"non_finite_tensor": "G output"})
    assert event.step == 400


def test_dominance_needs_a_vanished_gradient() -> None:
    """D(x) ~ 1 with gradients alive (a strong D that still teaches G) is not D dominance."""
    shape = Shape(steps=1000, seed=4)
    log = inject_dominance(healthy(shape), 300, "grad_norm_g", np.random.default_rng(0))
    assert [e.kind for e in detect(log, CONFIG)] == ["d_dominance"]
    alive = log.copy()
    alive[["grad_norm_d", "grad_norm_g"]] = healthy(shape)[["grad_norm_d", "grad_norm_g"]]
    assert detect(alive, CONFIG) == []


def test_dominance_with_only_d_gradient_gone_needs_g_side_evidence() -> None:
    """The ReLU-in-D case of the corpus: D wins and its own gradient vanishes (saturated loss under the
    nonsaturating G loss), but G's coverage stays high: not flagged. The same with coverage falling
    from the onset (G stopped learning) is dominance, and the collapse is reported too."""
    shape = Shape(steps=1000, seed=4)
    log = inject_dominance(healthy(shape), 300, "grad_norm_d", np.random.default_rng(0))
    assert detect(log, CONFIG) == []
    stalled = inject_collapse(log, 300, False, np.random.default_rng(1))
    events = detect(stalled, CONFIG)
    dominance = [e for e in events if e.kind == "d_dominance"]
    assert {e.kind for e in events} == {"d_dominance", "mode_collapse"}
    assert dominance[0].evidence["vanished"] == "grad_norm_d" and abs(dominance[0].step - 300) <= 50
    no_evals = log.drop(columns=[c for c in log.columns if c.startswith("eval_")])
    assert detect(no_evals, CONFIG) == []  # nothing can show G's side: only a vanished G gradient counts


@pytest.mark.parametrize("off", [0.02, 0.079])
def test_dominance_with_d_gradient_gone_and_samples_off_the_manifold(off: float) -> None:
    """The no-batchnorm-in-G case of the stacked-digits cells: D wins, its gradient vanishes, and G's samples
    stay diverse (no mode-collapse evidence) but leave the data's manifold. A realism share at or below
    ``quality_collapse``'s level (``quality_min_share`` x GATE_PASS_RATE = 0.08) from the onset is G-side
    evidence; the same share at 0.5, or falling only after the episode, is not."""
    shape = Shape(steps=1000, seed=4, modes_total=None, features=True)
    log = inject_dominance(healthy(shape), 300, "grad_norm_d", np.random.default_rng(0))
    evals = log["eval_diversity"].notna()
    log.loc[evals, "eval_manifold_share"] = 0.5
    assert detect(log, CONFIG) == []
    stuck = log.copy()
    stuck.loc[evals & (stuck.step >= 300), "eval_manifold_share"] = off
    events = detect(stuck, CONFIG)
    dominance = [e for e in events if e.kind == "d_dominance"]
    assert len(dominance) == 1 and dominance[0].evidence["vanished"] == "grad_norm_d"
    first_eval = int(stuck.loc[evals & (stuck.step >= 300), "step"].min())
    # G's side shows from the first low evaluation; D's levels and gradient need a few steps more
    assert first_eval <= dominance[0].step < first_eval + shape.eval_every
    just_above = log.copy()
    just_above.loc[evals & (just_above.step >= 300), "eval_manifold_share"] = 0.081
    assert [e for e in detect(just_above, CONFIG) if e.kind == "d_dominance"] == []
    late = log.copy()
    late.loc[evals & (late.step >= 950), "eval_manifold_share"] = off  # low for half the dominance window
    assert [e for e in detect(late, CONFIG) if e.kind == "d_dominance"] == []


def dominance_onsets(log: pd.DataFrame, config: DiagnosticsConfig = CONFIG) -> list[int]:
    return [e.step for e in detect(log, config) if e.kind == "d_dominance"]


def test_dominance_reads_g_low_only_when_g_is_stuck_or_repeating_itself() -> None:
    """Healthy shapes and photos baselines whose D won early read diversity 0.17-0.37 at their first
    evaluation (below the partial level 0.5) but no duplicates, and climb: not G-side evidence. The same
    low diversity counts once G repeats itself (duplicates at ``dominance_copies_rate``, as the runs without
    batchnorm in G: 0.026-0.47) or once an evaluation makes no new best (G stuck)."""
    climbing = [0.15, 0.25, 0.35, 0.45]  # each a new best by more than collapse_min_gain (10%)
    assert dominance_onsets(g_low_log(climbing, 0.0)) == []
    assert dominance_onsets(g_low_log(climbing, 0.009)) == []
    (onset,) = dominance_onsets(g_low_log(climbing, 0.01))  # copies from the first evaluation
    assert 300 <= onset < 300 + CONFIG.dominance_window
    assert dominance_onsets(g_low_log(climbing, 0.01), CONFIG.model_copy(update={"dominance_copies_rate": 0.02})) == []
    # Stuck at the second evaluation (no new best by the 10% margin), climbing again at the third, so
    # no collapse is confirmed: the stuck evaluation alone is the evidence.
    for stuck in (0.3, 0.32):
        (onset,) = dominance_onsets(g_low_log([0.3, stuck, 0.45, 0.3], 0.0))
        assert 500 <= onset < 500 + CONFIG.dominance_window
    assert dominance_onsets(g_low_log([0.3, 0.34, 0.45, 0.3], 0.0)) == []  # a new best at every evaluation


def test_label_free_coverage_is_g_side_evidence_and_a_partial_collapse() -> None:
    """Stacked-digits held-out seed 4 without batchnorm in G, read as an unlabelled folder: D won outright
    while G's samples stayed as spread as real data's (diversity ~1, no copies) and 15-26% of them passed the
    realism gate, so nothing on G's side showed; its NDB/K read 0.64 (healthy runs 0.06-0.26). NDB/K stuck
    at or above ``collapse_partial_ndb_k`` is a partial collapse, and so G-side evidence; falling by more than
    ``collapse_min_gain`` per evaluation it is a G still learning; with labelled modes it is not read."""
    stuck = [0.7, 0.66, 0.65, 0.64]  # none a new best by the 10% margin
    collapse = [e for e in detect(ndb_log(stuck), CONFIG) if e.kind == "mode_collapse"]
    assert [(e.step, e.severity, e.evidence["ndb_k"]) for e in collapse] == [(250, "warning", 0.64)]
    (onset,) = dominance_onsets(ndb_log(stuck))
    assert 300 <= onset < 300 + CONFIG.dominance_window
    blank = ndb_log(stuck).assign(eval_modes=np.nan, eval_modes_total=np.nan)  # a folder run's empty mode columns
    assert detect(blank, CONFIG) == detect(ndb_log(stuck), CONFIG)
    assert dominance_onsets(ndb_log(stuck), CONFIG.model_copy(update={"collapse_partial_ndb_k": 0.71})) == []
    falling = [0.9, 0.75, 0.6, 0.5]  # a new best at every evaluation
    assert detect(ndb_log(falling), CONFIG) == []
    assert [e for e in detect(ndb_log(stuck, modes=90), CONFIG) if e.kind in ("mode_collapse", "d_dominance")] == []


def test_dominance_that_g_recovers_from_is_no_event() -> None:
    """Held-out healthy photos (seeds 3 and 4) and glyphs (seed 4) baselines: D won outright for 100-200 steps
    mid-run while G's samples were stuck or off the manifold, then G came back (its last evaluation at NDB/K
    0.36-0.49, diversity 0.84-0.96, no copies). An episode that ended at least ``dominance_window`` steps before
    the log's latest evaluation, where that evaluation reads G at healthy levels, is no event; anything short
    of that keeps it a failure. A stacked-digits G without batchnorm read clean 15 steps after its episode
    and covered 62 labelled modes against a healthy seed's 225: too soon to tell."""
    def dominance(log: pd.DataFrame, config: DiagnosticsConfig = CONFIG) -> list[tuple[int, int, str]]:
        return [(e.step, e.evidence["until"], e.severity) for e in detect(log, config) if e.kind == "d_dominance"]

    assert dominance(recovering_log(0.3)) == []
    assert dominance(recovering_log(0.3, last_share=0.2)) == []
    # Data that repeats itself (held-out real data's duplicate rate 0.07): G at 0.05 is back, at 0.08 (the real
    # rate plus dominance_copies_rate) it repeats itself; without the column 0.05 counts as copies.
    def real_dup(log: pd.DataFrame) -> pd.DataFrame:
        return log.assign(eval_dup_rate_real=np.where(log["eval_dup_rate"].notna(), 0.07, np.nan))

    assert dominance(real_dup(recovering_log(0.3, last_dup=0.05))) == []
    assert len(dominance(real_dup(recovering_log(0.3, last_dup=0.08)))) == 1
    assert len(dominance(recovering_log(0.3, last_dup=0.05))) == 1
    # G's early copies are still its own: read against no real rate (a G without batchnorm on photos reads
    # 0.026-0.47 at step 250, a healthy one 0.000, while real photos read 0.06-0.08).
    early = real_dup(g_low_log([0.15, 0.25, 0.35, 0.45], 0.03))
    assert dominance_onsets(early) == dominance_onsets(g_low_log([0.15, 0.25, 0.35, 0.45], 0.03)) != []
    # Not recovered: still at the partial level, repeating itself, off the manifold, not evaluated yet, or
    # evaluated less than a window after D stopped winning (or while it still wins).
    (kept,) = dominance(recovering_log(0.55))
    assert 300 <= kept[0] < 300 + CONFIG.dominance_window and 790 <= kept[1] < 800 and kept[2] == "failure"
    for log in (recovering_log(0.3, last_dup=CONFIG.dominance_copies_rate), recovering_log(0.3, last_share=0.05),
                recovering_log(0.3).query("step < 1000")):
        assert dominance(log) == [kept]
    (late,) = dominance(recovering_log(0.3, ends=920))
    assert late[0] == kept[0] and 1000 - CONFIG.dominance_window < late[1] < 920 and late[2] == "failure"
    (on,) = dominance(recovering_log(0.3, ends=None))  # D still wins: G's side lifts at the last evaluation
    assert on[0] == kept[0] and on[1] == 999 and on[2] == "failure"
    wide = CONFIG.model_copy(update={"dominance_window": 250})  # the same pause: 1000 - 799 < 250
    assert [(s, u) for s, u, _ in dominance(recovering_log(0.3), wide)] == [(kept[0], kept[1])]
    # A log without eval columns cannot show G back: its episodes stay failures.
    blind = inject_dominance(healthy(Shape(steps=1000, seed=4, modes_total=None)), 300, "grad_norm_g",
                             np.random.default_rng(0))
    blind = blind.drop(columns=[c for c in blind.columns if c.startswith("eval_")])
    assert {e.severity for e in detect(blind, CONFIG) if e.kind == "d_dominance"} == {"failure"}


def test_mode_collapse_that_g_recovers_from() -> None:
    """Held-out healthy photos baselines (set 5 seeds 6 and 7): NDB/K stuck at 0.60-0.85 over steps 250-750,
    a partial collapse, then 0.32-0.35 at step 1,000 with diversity 0.78-0.90, no copies. A collapse is G
    covering far fewer modes than the data *and staying so*: a partial one followed by a latest evaluation
    that reads G at healthy levels is no event. Anything short of that keeps the warning, and a full collapse
    (a handful of modes, near-identical samples) stays a failure whatever follows."""
    def collapses(log: pd.DataFrame) -> list[tuple[int, int, str]]:
        return [(e.step, e.evidence["until"], e.severity) for e in detect(log, CONFIG) if e.kind == "mode_collapse"]

    assert collapses(recovering_log(0.3)) == []
    assert collapses(recovering_log(0.3, last_share=0.2)) == []
    # Data that repeats itself: copies count over what held-out real data reads (eval_dup_rate_real).
    for last_dup, kept in ((0.05, []), (0.08, [(250, 750, "warning")])):
        log = recovering_log(0.3, last_dup=last_dup)
        log["eval_dup_rate_real"] = np.where(log["eval_dup_rate"].notna(), 0.07, np.nan)
        assert collapses(log) == kept
    # Still at the partial level, repeating itself, off the manifold, or no evaluation after the episode.
    for log in (recovering_log(0.55), recovering_log(0.3, last_dup=CONFIG.dominance_copies_rate),
                recovering_log(0.3, last_share=0.05)):
        assert collapses(log) == [(250, 750, "warning")]
    assert collapses(recovering_log(0.3).query("step < 1000")) == [(250, 750, "warning")]
    # A full collapse: G's first three evaluations near-identical (diversity 0.02, copies 0.9).
    full = recovering_log(0.3)
    early = full.step.isin([250, 500, 750])
    full.loc[early, "eval_diversity"], full.loc[early, "eval_dup_rate"] = 0.02, 0.9
    assert collapses(full) == [(250, 750, "failure")]
    # Labelled modes (NDB/K is not read then): 20 of 100 modes, stuck, then 90.
    labelled = recovering_log(0.3)
    evals = labelled.step.isin([250, 500, 750, 1000])
    labelled["eval_modes"] = np.nan
    labelled.loc[evals, "eval_modes"] = [20.0, 21.0, 20.0, 90.0]
    labelled["eval_modes_total"] = np.where(evals, 100.0, np.nan)
    assert collapses(labelled) == []
    labelled.loc[labelled.step == 1000, "eval_modes"] = 20.0
    assert collapses(labelled) == [(250, 1000, "warning")]


def test_d_gradient_is_judged_on_its_level_not_per_step() -> None:
    """Stacked-digits seed 4 without batchnorm in G: from step 1,000 D's gradient sat at a median 6.8% of its
    peak but above 10% on 23% of the steps, so only 77% of the rows met the condition (an episode needs 80%)
    and nothing was reported. D's ratio is now read on its centred rolling median, as D's outputs are."""
    log = g_low_log([0.15, 0.25, 0.35, 0.45], 0.01)  # G repeats itself from the first evaluation
    steps = log.step.to_numpy()
    before = log.loc[log.step < 300, "grad_norm_d"]
    peak = before.rolling(CONFIG.dominance_window // 5).median().max()
    after = steps >= 300
    flicker = np.where(np.arange(after.sum()) % 4 == 3, 0.2, 0.05)  # under 10% on 3 rows of 4
    log.loc[after, "grad_norm_d"] = peak * flicker
    (onset,) = dominance_onsets(log)
    assert 300 <= onset < 300 + CONFIG.dominance_window
    log.loc[after, "grad_norm_d"] = peak * np.where(np.arange(after.sum()) % 4 == 3, 0.05, 0.2)  # over on 3 of 4
    assert dominance_onsets(log) == []


def test_dominance_shorter_than_its_window_is_ignored() -> None:
    shape = Shape(steps=1000, seed=4)
    log = inject_dominance(healthy(shape), 300, "grad_norm_g", np.random.default_rng(0))
    brief = log.where(log.step < 300 + CONFIG.dominance_window // 2, healthy(shape))
    assert detect(brief, CONFIG) == []


def test_explosion_that_recovers_is_a_warning_and_one_step_spikes_are_ignored() -> None:
    shape = Shape(steps=1000, seed=6)
    log = healthy(shape)
    burst = (log.step >= 400) & (log.step < 460)
    log.loc[burst, "grad_norm_d"] *= 50
    (event,) = detect(log, CONFIG)
    assert (event.kind, event.step, event.severity, event.evidence["until"]) == (
        "gradient_explosion", 400, "warning", 459,
    )
    spiky = healthy(shape)
    spiky.loc[spiky.step % 97 == 0, "grad_norm_d"] *= 100
    assert detect(spiky, CONFIG) == []


def test_a_gradient_coming_back_to_its_first_level_is_a_recovery_and_10x_beyond_it_an_explosion() -> None:
    """The healthy 32x32 shapes runs: D's gradient held ~10 in its first steps, saturated to ~1 inside the
    burn-in and stayed there, then came back to ~50 (5x its first level, 50x anything held after the
    burn-in) when the game re-balanced. That is a recovery; a jump to 10x the first level is not."""
    shape = Shape(steps=1000, seed=9)
    log = healthy(shape)
    steps = log.step.to_numpy()
    level = np.where(steps < 60, 10.0, np.where(steps < 600, 1.0, 50.0))
    log["grad_norm_d"] = level * np.random.default_rng(3).uniform(0.8, 1.2, len(log))
    assert [e for e in detect(log, CONFIG) if e.kind == "gradient_explosion"] == []
    log.loc[log.step >= 600, "grad_norm_d"] *= 4  # ~200: 20x the first level
    (event,) = [e for e in detect(log, CONFIG) if e.kind == "gradient_explosion"]
    assert (event.step, event.severity) == (600, "failure")
    assert event.evidence["reference"] == pytest.approx(10.0, rel=0.2)  # the level held in the first steps


def test_explosion_ceiling_is_opt_in() -> None:
    log = healthy(Shape(steps=500, seed=7))
    log["grad_norm_g"] = 150.0 + np.random.default_rng(0).normal(0, 5, len(log))
    assert detect(log, CONFIG) == []
    events = detect(log, CONFIG.model_copy(update={"explosion_ceiling": 100.0}))
    assert [e.kind for e in events] == ["gradient_explosion"]


def test_collapse_onset_is_first_eval_of_the_persisting_condition() -> None:
    shape = Shape(steps=2000, seed=8, modes_total=1000, features=False)
    log = inject_collapse(healthy(shape), 1000, False, np.random.default_rng(1))
    (event,) = detect(log, CONFIG)
    assert (event.kind, event.step, event.severity) == ("mode_collapse", 1000, "warning")
    assert event.evidence["coverage"] < 0.5 and event.evidence["until"] == 2000


def test_collapse_ignores_a_low_but_improving_start_and_a_one_eval_dip() -> None:
    step = np.arange(1, 2001)
    log = healthy(Shape(steps=2000, seed=9, modes_total=None, features=False))
    modes = np.full(len(step), np.nan)
    evals = step % 250 == 0  # the default eval_every: 8 evals, 4% coverage at the first
    modes[evals] = [25, 110, 300, 450, 520, 250, 560, 580]  # one bad eval at 1500
    log["eval_modes"], log["eval_modes_total"] = modes, np.where(evals, 1000.0, np.nan)
    assert detect(log, CONFIG) == []


def test_collapse_from_the_start_is_full() -> None:
    """``z_distribution: constant``: a single mode at every eval, never improving."""
    log = healthy(Shape(steps=1000, seed=10, modes_total=None, features=False))
    evals = log.step % 100 == 0
    log["eval_modes"] = np.where(evals, 1.0, np.nan)
    log["eval_modes_total"] = np.where(evals, 10.0, np.nan)
    (event,) = detect(log, CONFIG)
    assert (event.kind, event.step, event.severity, event.evidence["full_from"]) == (
        "mode_collapse", 100, "failure", 100,
    )


def test_detectors_can_be_switched_off() -> None:
    log = inject_nan(healthy(Shape(steps=400, seed=2)), 200, "loss_d")
    assert detect(log, CONFIG.model_copy(update={"detectors": ("oscillation",)})) == []


def test_a_10k_row_log_gets_its_one_event() -> None:
    """A long log (its speed is benchmarked in tests/benchmarks/bench_detect.py) gets the injected event only."""
    shape = Shape(steps=10_000, seed=11)
    log = inject_dominance(healthy(shape), 6000, "grad_norm_g", np.random.default_rng(0))
    assert [e.kind for e in detect(log, CONFIG)] == ["d_dominance"]


# --- helpers against plain reference implementations ------------------------------------------


def _runs_reference(mask: list[bool], max_gap: int) -> list[tuple[int, int]]:
    runs: list[list[int]] = []
    for i, m in enumerate(mask):
        if not m:
            continue
        if runs and i - runs[-1][1] - 1 <= max_gap:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return [tuple(r) for r in runs]


@pytest.mark.parametrize("max_gap", [0, 1, 3])
def test_true_runs_matches_a_loop(max_gap: int) -> None:
    rng = np.random.default_rng(max_gap)
    for _ in range(50):
        mask = rng.random(int(rng.integers(0, 40))) < rng.random()
        assert true_runs(mask, max_gap) == _runs_reference(list(mask), max_gap)


def test_expected_modes_matches_simulation() -> None:
    rng = np.random.default_rng(0)
    for total, samples in [(10, 1000), (25, 1000), (1000, 1000), (1000, 100)]:
        simulated = np.mean([len(np.unique(rng.integers(0, total, samples))) for _ in range(200)])
        assert expected_modes(np.array([float(total)]), samples)[0] == pytest.approx(simulated, rel=0.01)


def test_vanish_ratio_is_norm_over_running_peak_of_rolling_median() -> None:
    norm = pd.Series([4.0, 4.0, 100.0, 4.0, 4.0, 2.0, 1.0, 0.1, 0.1, 0.1])
    ratio = vanish_ratio(norm, 3)
    medians = [np.median(norm[i - 2 : i + 1]) if i >= 2 else np.nan for i in range(len(norm))]
    peaks = np.fmax.accumulate(np.nan_to_num(medians, nan=-np.inf))
    expected = np.where(np.isfinite(medians) | (peaks > 0), norm / np.where(peaks > 0, peaks, np.nan), np.nan)
    np.testing.assert_allclose(ratio, expected)
    assert ratio[-1] == pytest.approx(0.1 / 4.0)  # the 100x spike never became the reference


def test_unrecognisable_early_samples_and_dense_evals_are_not_collapse() -> None:
    """A real 16x16 gaussian-grid baseline evaluated every 100 steps: no blob sharp enough to have a
    mode (eval_modes 0, eval_kl NaN) and low but growing diversity for the first 300 steps."""
    log = healthy(Shape(steps=1000, seed=13, modes_total=None, features=False))
    evals = log.step % 100 == 0
    n = int(evals.sum())
    log["eval_modes"] = np.where(evals, 0.0, np.nan)
    log["eval_modes_total"] = np.where(evals, 25.0, np.nan)
    log["eval_kl"] = np.nan
    log.loc[evals, "eval_diversity"] = [0.30, 0.21, 0.24, 0.71, 0.8, 0.85, 0.83, 0.86, 0.9, 0.88][:n]
    log.loc[evals, "eval_dup_rate"] = 0.0
    assert detect(log, CONFIG) == []
    # Samples recognised as one mode every time, diversity flat: a full collapse.
    log.loc[evals, "eval_diversity"] = 0.3
    log["eval_modes"] = np.where(evals, 1.0, np.nan)
    log["eval_kl"] = np.where(evals, np.log(25.0), np.nan)
    (event,) = detect(log, CONFIG)
    assert (event.kind, event.step, event.severity) == ("mode_collapse", 100, "failure")


def test_evaluation_fall_says_fell_held_or_cannot_tell() -> None:
    """oscillation's G-side evidence: evals at 100/200/300, an oscillation from 150 to 300."""
    from ganlab.diagnostics.oscillation import eval_signals
    from ganlab.diagnostics.oscillation import evaluation_fall as fall

    def evaluation_fall(log, onset, until, drop):
        return fall(*eval_signals(log), onset, until, drop)

    steps = np.arange(1, 301)
    log = pd.DataFrame({"step": steps, "eval_modes": np.nan, "eval_diversity": np.nan})
    log.loc[log.step.isin([100, 200, 300]), "eval_modes"] = [500.0, 390.0, 480.0]  # 390 < 0.8 x 500
    log.loc[log.step.isin([100, 200, 300]), "eval_diversity"] = [0.7, 0.69, 0.72]
    assert evaluation_fall(log, 150, 300, 0.8) == {"eval_modes": (500.0, 390.0)}
    assert evaluation_fall(log, 150, 300, 0.75) == {}  # 390 is not below 0.75 x 500 = 375: held
    assert evaluation_fall(log, 150, 199, 0.8) == {}  # no eval since the onset yet: wait, do not report
    assert evaluation_fall(log, 50, 300, 0.8) is None  # swings from before the first eval: losses decide
    assert evaluation_fall(log.drop(columns=["eval_modes", "eval_diversity"]), 150, 300, 0.8) is None

"""``mode_collapse``: the generator covers (or spreads over) far fewer modes than the data, and stays so.

Works on the eval rows only (``eval_*`` columns, NaN elsewhere); every signal is optional:

* coverage = ``eval_modes_ungated`` (``eval_modes`` in a log without it) / the modes a perfect generator
  hits with ``eval_samples`` draws,
  ``M * (1 - (1 - 1/M) ** n)`` for ``M = eval_modes_total`` (632 of 1000 at n = M = 1000), so 1.0
  means "as good as sampling the data" whatever the sample size;
* effective coverage from ``eval_kl``: ``M * exp(-KL)`` is the effective number of modes of the
  generated histogram (exp of its entropy when the data is uniform), divided by the same expectation;
* ``eval_diversity`` (generated / real pairwise feature distance) and ``eval_dup_rate``;
* where the log has no mode counts (data without labelled modes), ``eval_ndb_k``: label-free coverage, the
  share of k-means bins of the real features whose generated share differs from the real one (NDB/K).

Per eval row the level is *full* (a handful of modes, near-identical samples), *partial* (lost a
large share of modes, or of its own best coverage) or none. A healthy DCGAN covers few modes at its
first eval too, but it is improving, so a collapse is confirmed only when the condition held on
at least ``collapse_persist`` consecutive eval rows spanning at least ``collapse_min_steps`` steps,
and no signal made a new best (by ``collapse_min_gain`` relative, at least 0.01 absolute) after the
first of them. Counting steps as well as evals keeps dense evals (every 100 steps) from confirming
a slow start. The onset is the first of those rows.

A partial collapse followed by a latest evaluation that reads G at healthy levels (``recovered_at``) is no
event: G did not stay collapsed (held-out healthy photos baselines, stuck for 500 steps early on, then
healthy). A full one stays a failure whatever follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ganlab.diagnostics.log import true_runs
from ganlab.schema import (
    EVAL_COLUMNS,
    EVAL_DIVERSITY,
    EVAL_DUP_RATE,
    EVAL_DUP_RATE_REAL,
    EVAL_KL,
    EVAL_MANIFOLD_SHARE,
    EVAL_MODES,
    EVAL_MODES_TOTAL,
    EVAL_MODES_UNGATED,
    EVAL_NDB_K,
    GATE_PASS_RATE,
    Event,
    EventKind,
    Severity,
)

if TYPE_CHECKING:
    from ganlab.config.diagnostics import DiagnosticsConfig

MIN_ABS_GAIN = 0.01  # below this a "new best" is sampling noise (one mode in 100)
ABSOLUTE = ("coverage", "kl_coverage")  # signals in normalised coverage: their gains are absolute


def expected_modes(total: np.ndarray, samples: int) -> np.ndarray:
    """Modes a perfect generator covers with ``samples`` draws from ``total`` equally likely modes."""
    total = np.where(total >= 1, total, np.nan)
    return total * -np.expm1(samples * np.log1p(-1.0 / np.maximum(total, 1.0 + 1e-12)))


def window_starts(steps: np.ndarray, persist: int, min_steps: int, rows: np.ndarray | None = None) -> np.ndarray:
    """First row of the shortest window ending at each row with ``persist`` rows spanning ``min_steps``
    steps (negative where the log is not that long yet); for ``rows`` only, when given."""
    rows = np.arange(len(steps)) if rows is None else rows
    by_count = rows - persist + 1
    by_span = np.searchsorted(steps, steps[rows] - min_steps, side="right") - 1
    return np.minimum(by_count, by_span)


def improved(absolute: bool, new_best: float, best: float, config: DiagnosticsConfig) -> bool:
    """Whether ``new_best`` beats ``best`` by a real margin (see ``_improving``)."""
    if absolute:
        return bool(new_best > best + config.collapse_min_coverage_gain and new_best > config.collapse_full_coverage)
    return bool(new_best > best + max(config.collapse_min_gain * abs(best), MIN_ABS_GAIN))


def used_signals(names: Iterable[str]) -> list[str]:
    """The signals ``_improving`` reads: only the coverage ones when there are any."""
    absolute = [n for n in names if n in ABSOLUTE]
    return absolute or list(names)


def signed(values: np.ndarray, higher: bool) -> np.ndarray:
    """Values oriented so higher is better; NaN becomes -inf (never a best)."""
    return np.where(np.isfinite(values), values if higher else -values, -np.inf)


def _improving(sig: dict[str, tuple[np.ndarray, bool]], starts: np.ndarray, config: DiagnosticsConfig) -> np.ndarray:
    """True at row t when some signal, after the first row of t's window, beat its best up to that
    first row by a real margin: the generator was still learning. (A loop over eval rows: few.)

    With coverage present only the coverage signals count, and their margin is absolute, in
    normalised coverage (``collapse_min_coverage_gain``): a generator stuck at 3% of the modes that
    creeps to 5% has gained 70% relative but is as collapsed as before (no-batchnorm runs of the
    calibration corpus), while a healthy start gains 0.07-0.3 per eval. A coverage gain counts only
    once it lifts the coverage above the full-collapse level (``collapse_full_coverage``): a run that
    creeps from 2% to 8% over 600 steps has gained more than the margin and still covers a handful
    of modes (a batchnorm-in-G-only run of the corpus, stuck for 1,000 steps). Other signals
    (diversity, duplicates) keep the relative margin ``collapse_min_gain`` (at least ``MIN_ABS_GAIN``).
    """
    out = np.zeros(len(starts), bool)
    for name in used_signals(sig):
        values, higher = sig[name]
        oriented = signed(values, higher)
        best = np.maximum.accumulate(oriented)
        for t in np.flatnonzero((starts >= 0) & ~out):
            first = starts[t]
            if first < t and np.isfinite(best[first]):
                out[t] = improved(name in ABSOLUTE, oriented[first + 1 : t + 1].max(), best[first], config)
    return out


def confirmed_rows(mask: np.ndarray, starts: np.ndarray, improving: np.ndarray) -> np.ndarray:
    """Rows inside some window on which ``mask`` held throughout and nothing improved."""
    ok = starts >= 0
    bad = np.concatenate(([0], np.cumsum(~mask)))  # bad[i] = rows before i where mask is False
    held = np.zeros(len(mask), bool)
    held[ok] = bad[np.arange(len(mask))[ok] + 1] - bad[starts[ok]] == 0
    ends = np.flatnonzero(held & ~improving)
    marks = np.zeros(len(mask) + 1, np.int64)
    np.add.at(marks, starts[ends], 1)
    np.add.at(marks, ends + 1, -1)
    return np.cumsum(marks[:-1]) > 0


def signal_values(ev: pd.DataFrame, config: DiagnosticsConfig) -> dict[str, tuple[np.ndarray, bool]]:
    """Per-eval-row values of every signal the columns allow, each with whether higher is better."""
    out: dict[str, tuple[np.ndarray, bool]] = {}
    if {EVAL_MODES, EVAL_MODES_TOTAL} <= set(ev.columns):
        expected = expected_modes(ev[EVAL_MODES_TOTAL].to_numpy(), config.eval_samples)
        # The count over every sample, where the log has it: the levels below were set on it, and samples
        # off the data's manifold are quality_collapse's to report (a gated count reads low for both).
        modes = ev[EVAL_MODES].to_numpy()
        if EVAL_MODES_UNGATED in ev.columns:
            ungated = ev[EVAL_MODES_UNGATED].to_numpy()
            modes = np.where(np.isfinite(ungated), ungated, modes)
        coverage = modes / expected
        if EVAL_KL in ev.columns:
            # KL is NaN when no sample was recognisable as any mode: that is poor quality (early
            # training), not evidence that G covers 0 modes, so coverage says nothing on that row.
            blind = (modes == 0) & np.isnan(ev[EVAL_KL].to_numpy())
            coverage = np.where(blind, np.nan, coverage)
        out["coverage"] = (coverage, True)
        if EVAL_KL in ev.columns:
            effective = ev[EVAL_MODES_TOTAL].to_numpy() * np.exp(-ev[EVAL_KL].to_numpy())
            out["kl_coverage"] = (effective / expected, True)
    if EVAL_DIVERSITY in ev.columns:
        out["diversity"] = (ev[EVAL_DIVERSITY].to_numpy(), True)
    if EVAL_DUP_RATE in ev.columns:
        out["dup_rate"] = (ev[EVAL_DUP_RATE].to_numpy(), False)
    if EVAL_NDB_K in ev.columns:
        out["ndb_k"] = (ev[EVAL_NDB_K].to_numpy(), False)
    return out


def read_signals(present: Iterable[str]) -> list[str]:
    """The present signals (some value finite) the detectors read: NDB/K only where no mode count is present.
    A label-free log carries the mode columns empty; where modes are counted, coverage reads them better."""
    names = list(present)
    return [n for n in names if not (n == "ndb_k" and "coverage" in names)]


def signals(ev: pd.DataFrame, config: DiagnosticsConfig) -> dict[str, tuple[np.ndarray, bool]]:
    """Per-eval-row signals that are present and read (``read_signals``), each with whether higher is better."""
    present = {k: v for k, v in signal_values(ev, config).items() if np.isfinite(v[0]).any()}
    return {k: present[k] for k in read_signals(present)}


def levels(sig: dict[str, tuple[np.ndarray, bool]], config: DiagnosticsConfig, n: int,
           best_coverage: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(full, partial) boolean arrays per eval row; partial includes full. ``best_coverage`` is the
    running best coverage (pandas ``cummax``, NaN rows NaN), computed here when not given."""
    full, partial = np.zeros(n, bool), np.zeros(n, bool)
    with np.errstate(invalid="ignore"):
        if "coverage" in sig:
            cov = sig["coverage"][0]
            best = pd.Series(cov).cummax().to_numpy() if best_coverage is None else best_coverage
            full |= cov <= config.collapse_full_coverage
            partial |= (cov <= config.collapse_partial_coverage) | (cov <= config.collapse_drop * best)
        if "kl_coverage" in sig:  # a skewed histogram; never "full" on its own
            partial |= sig["kl_coverage"][0] <= config.collapse_partial_kl_coverage
        if "diversity" in sig:
            div = sig["diversity"][0]
            full |= div <= config.collapse_full_diversity
            partial |= div <= config.collapse_partial_diversity
        if "ndb_k" in sig:  # coverage lost without a label; never "full" on its own (garbage reads ~1 too)
            partial |= sig["ndb_k"][0] >= config.collapse_partial_ndb_k
        if "dup_rate" in sig:
            dup = sig["dup_rate"][0]
            full |= dup >= config.collapse_full_dup_rate
            partial |= dup >= config.collapse_partial_dup_rate
            if config.collapse_needs_duplicates:  # a short run: its samples must show the collapse
                shown = dup >= config.collapse_partial_dup_rate
                full, partial = full & shown, partial & shown
    return full, partial | full


def off_level(config: DiagnosticsConfig) -> float:
    """The ``eval_manifold_share`` at or below which an evaluation's samples are off the data's manifold
    (``quality_collapse``'s level)."""
    return config.quality_min_share * GATE_PASS_RATE


def g_recovered(partial: bool, readings: dict[str, float], config: DiagnosticsConfig, real_dup: float = 0.0) -> bool:
    """Whether one evaluation shows G's samples at healthy levels: some signal read, not at mode_collapse's
    partial level (``partial``, under ``g_side_config``), no more copies than its data has (``eval_dup_rate``
    under held-out real data's, ``real_dup``, plus ``dominance_copies_rate``) and on the data's manifold
    (``off_level``). ``readings``: the signals read (``signals``) and ``eval_manifold_share``, each as that row
    has it (NaN: not measured there); ``real_dup``: that row's ``eval_dup_rate_real``, 0 where not logged.
    Copies are read against the data here, not in ``g_low``: a healthy G reads none at its first evaluations
    on every folder, but once it reproduces data that repeats itself (overlapping crops of two photographs:
    0.06-0.08 real against real), it repeats itself too (0.01-0.03 late in healthy photos runs)."""
    finite = {k: v for k, v in readings.items() if np.isfinite(v)}
    if not finite or partial:
        return False
    copies = finite.get("dup_rate", 0.0) >= config.dominance_copies_rate + real_dup
    off = finite.get(EVAL_MANIFOLD_SHARE, np.inf) <= off_level(config)
    return not (copies or off)


def real_duplicates(value: float) -> float:
    """An ``eval_dup_rate_real`` reading as ``g_recovered``'s ``real_dup``: 0 where not measured."""
    return float(value) if np.isfinite(value) else 0.0


def recovered_at(log: pd.DataFrame, config: DiagnosticsConfig) -> int | None:
    """The step of the log's latest evaluation when it shows G recovered (``g_recovered``), else None.
    Episodes it follows are no event: a partial ``mode_collapse`` (G did not stay collapsed) and a
    ``d_dominance`` pause at least ``dominance_window`` before it (the game did not stop teaching G)."""
    present, is_eval = eval_rows(log)
    if not is_eval.any():
        return None
    ev = log.loc[is_eval, ["step", *present]].reset_index(drop=True)
    sig = signals(ev, config)
    _, partial = levels(sig, g_side_config(config), len(ev))
    readings = {name: float(values[-1]) for name, (values, _) in sig.items()}
    if EVAL_MANIFOLD_SHARE in ev.columns:
        readings[EVAL_MANIFOLD_SHARE] = float(ev[EVAL_MANIFOLD_SHARE].iloc[-1])
    real_dup = real_duplicates(ev[EVAL_DUP_RATE_REAL].iloc[-1]) if EVAL_DUP_RATE_REAL in ev.columns else 0.0
    if not g_recovered(bool(partial[-1]) if len(partial) else False, readings, config, real_dup):
        return None
    return int(ev["step"].iloc[-1])


def eval_rows(log: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The eval columns the log has, and which of its rows are eval rows (some eval value present)."""
    present = [c for c in EVAL_COLUMNS if c in log.columns]
    if not present:
        return present, np.zeros(len(log), bool)
    return present, log[present].notna().any(axis=1).to_numpy()


def g_side_config(config: DiagnosticsConfig) -> DiagnosticsConfig:
    """The settings ``d_dominance`` reads "G's output is low" with (``quality_lost``'s first part): a
    short run's duplicates rule is for collapse verdicts; a D that has won, with D's gradient vanished,
    shows G's samples low without any duplicates (5 D steps per G step at lr_d 100x lr_g: modes low, dup
    rate 0). "Inside a confirmed collapse", which needs no vanished gradient, keeps the rule: without
    it a healthy 500-step stacked-digits baseline, low on modes early, reads as stuck."""
    if not config.collapse_needs_duplicates:
        return config
    return config.model_copy(update={"collapse_needs_duplicates": False})


def fresh_best(sig: dict[str, tuple[np.ndarray, bool]], config: DiagnosticsConfig) -> np.ndarray:
    """Per eval row: whether some signal (``used_signals``) beat its best over the rows before it by a
    real margin (``improved``). True at the first row, which has nothing to be stuck against."""
    n = len(next(iter(sig.values()))[0]) if sig else 0
    out = np.zeros(n, bool)
    out[:1] = True
    for name in used_signals(sig):
        oriented = signed(*sig[name])
        before = np.maximum.accumulate(oriented)
        for t in range(1, n):
            out[t] |= not np.isfinite(before[t - 1]) or improved(name in ABSOLUTE, oriented[t], before[t - 1],
                                                                  config)
    return out


def g_low(partial: np.ndarray, fresh: np.ndarray, dup: np.ndarray | None, config: DiagnosticsConfig) -> np.ndarray:
    """Per eval row, ``d_dominance``'s "G's output is low": at the partial level, and G stuck (no fresh
    best) or repeating itself (``eval_dup_rate`` >= ``dominance_copies_rate``). A healthy G is low at its
    first evaluations too, but climbing and without copies: shapes and photos baselines whose D won early
    read diversity 0.17-0.37 at step 250 and no duplicates (0.000); a G without batchnorm there reads
    duplicates of 0.026-0.47 (docs/diagnostics.md, ``d_dominance``)."""
    with np.errstate(invalid="ignore"):
        copies = np.zeros(len(partial), bool) if dup is None else dup >= config.dominance_copies_rate
    return partial & (~fresh | copies)


def quality_lost(log: pd.DataFrame, config: DiagnosticsConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per log row, from the latest eval row at or before it: (G's output low (``g_low``), inside a
    confirmed collapse). Both False before the first eval and without eval columns. ``d_dominance``
    uses them as G-side evidence that the game stopped teaching G."""
    present, is_eval = eval_rows(log)
    lost, stalled = np.zeros(len(log), bool), np.zeros(len(log), bool)
    if not present:
        return lost, stalled
    ev = log.loc[is_eval, ["step", *present]].reset_index(drop=True)
    sig = signals(ev, config)
    if not sig:
        return lost, stalled
    _, partial = levels(sig, config, len(ev))
    _, partial_g = levels(sig, g_side_config(config), len(ev))
    low = g_low(partial_g, fresh_best(sig, config), sig["dup_rate"][0] if "dup_rate" in sig else None, config)
    starts = window_starts(ev["step"].to_numpy(), config.collapse_persist, config.collapse_min_steps)
    confirmed = confirmed_rows(partial, starts, _improving(sig, starts, config))
    latest = np.cumsum(is_eval) - 1  # index of the latest eval row at or before each row
    seen = latest >= 0
    at = np.maximum(latest, 0)
    return seen & low[at], seen & confirmed[at]


def best_seen(values: np.ndarray, higher: bool) -> np.ndarray:
    """The best finite value up to each row (NaN before the first)."""
    finite = np.where(np.isfinite(values), values, np.nan)
    return np.fmax.accumulate(finite) if higher else np.fmin.accumulate(finite)


def mode_collapse(log: pd.DataFrame, config: DiagnosticsConfig) -> list[Event]:
    present, is_eval = eval_rows(log)
    if not present:
        return []
    ev = log.loc[is_eval, ["step", *present]].reset_index(drop=True)
    sig = signals(ev, config)
    if not sig:
        return []
    steps = ev["step"].to_numpy()
    full, partial = levels(sig, config, len(ev))
    # A collapse is confirmed at row t when every eval of t's window shows it and nothing improved.
    starts = window_starts(steps, config.collapse_persist, config.collapse_min_steps)
    improving = _improving(sig, starts, config)
    confirmed = confirmed_rows(partial, starts, improving)
    confirmed_full = confirmed_rows(full, starts, improving)
    best = {name: best_seen(values, higher) for name, (values, higher) in sig.items()}
    events = []
    runs = true_runs(confirmed)
    recovered = bool(runs) and recovered_at(log, config) is not None
    for first, last in runs:
        full_rows = np.flatnonzero(confirmed_full[first : last + 1])
        full_from = int(steps[first + full_rows[0]]) if len(full_rows) else None
        if full_from is None and recovered:  # a partial collapse G came back from (module docstring)
            continue
        latest = {name: float(values[last]) for name, (values, _) in sig.items()}
        events.append(event(steps, first, last, full_from, latest, {n: float(b[last]) for n, b in best.items()}))
    return events


def event(steps: np.ndarray, first: int, last: int, full_from: int | None, latest: dict[str, float],
          best: dict[str, float]) -> Event:
    """The ``mode_collapse`` event of eval rows ``first..last``: each signal's value at ``last`` and its
    best up to there (NaN: none yet), and the step the full-collapse condition was confirmed from."""
    evidence: dict[str, float | int | str] = {k: v for k, v in latest.items() if np.isfinite(v)}
    evidence.update({f"best_{k}": v for k, v in best.items() if not np.isnan(v)})
    evidence["evals"] = int(last - first + 1)
    evidence["until"] = int(steps[last])
    if full_from is not None:
        evidence["full_from"] = full_from
    what = "full mode collapse" if full_from is not None else "partial mode collapse"
    shown = ", ".join(f"{k}={evidence[k]:.2f}" for k in latest if k in evidence)
    advice = (
        "G maps every z to a few outputs: keep batchnorm in G (DCGAN guideline 2) and lower lr_g"
        if full_from is not None
        else "G drops modes: look at the samples, try a lower lr_g or the nonsaturating/hinge loss"
    )
    message = f"{what} from step {int(steps[first])} over {last - first + 1} evals ({shown}): {advice}"
    severity = Severity.FAILURE if full_from is not None else Severity.WARNING
    return Event(EventKind.MODE_COLLAPSE, int(steps[first]), severity, evidence, message)

"""Synthetic metrics logs: realistic healthy DCGAN traces, and the same traces with one failure injected.

Shapes follow the calibration runs in docs/diagnostics.md (16x16 DCGANs on gaussian-grid and
stacked-digits): noisy losses with an early transient and slow drift, lognormal gradient norms with
single-step spikes of up to 30x, and eval coverage that rises fast and then plateaus high.
Everything is a pure function of its arguments (the numpy Generator carries the randomness).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EVAL_SAMPLES = 1000  # DiagnosticsConfig().eval_samples


@dataclass(frozen=True)
class Shape:
    """What one healthy trace looks like; hypothesis draws these."""

    steps: int
    log_every: int = 1
    modes_total: int | None = 1000  # None: no mode columns
    features: bool = True  # eval_diversity and eval_dup_rate
    seed: int = 0
    ndb: bool = False  # eval_ndb_k too (read only without mode columns)

    @property
    def eval_every(self) -> int:
        # Fine enough that an onset lands within 2.5% of the run.
        return self.log_every * max(1, round(self.steps / 40 / self.log_every))


def _walk(rng: np.random.Generator, m: int, amplitude: float) -> np.ndarray:
    """A slow wander with peak |value| = amplitude (a smoothed random walk)."""
    w = np.cumsum(rng.normal(0.0, 1.0, m))
    w = pd.Series(w).rolling(max(1, m // 20), min_periods=1, center=True).mean().to_numpy(copy=True)
    w -= w.mean()
    return amplitude * w / (np.abs(w).max() + 1e-12)


def _spikes(rng: np.random.Generator, m: int, every: float, low: float, high: float) -> np.ndarray:
    """Multiplicative single-row spikes: 1 everywhere except ~m/every rows in [low, high]."""
    out = np.ones(m)
    where = rng.random(m) < 1.0 / every
    out[where] = rng.uniform(low, high, where.sum())
    return out


def expected_modes(total: int) -> float:
    return total * (1 - (1 - 1 / total) ** EVAL_SAMPLES)


def healthy(shape: Shape) -> pd.DataFrame:
    rng = np.random.default_rng(shape.seed)
    steps = np.arange(shape.log_every, shape.steps + 1, shape.log_every)
    m, t = len(steps), steps / shape.steps
    warm = np.exp(-steps / rng.uniform(20, 80))  # the first tens of steps, from D(x) = D(G(z)) = 0.5

    level_d = rng.uniform(1.0, 1.3) + _walk(rng, m, rng.uniform(0.0, 0.1))
    loss_d = level_d + (1.39 - level_d) * warm + rng.normal(0, rng.uniform(0.03, 0.15), m)
    loss_d += _spikes(rng, m, 300, 1.3, 2.0) - 1  # a G breakthrough now and then
    g0, g1 = rng.uniform(0.7, 1.0), rng.uniform(1.0, 3.0)
    level_g = g0 + (g1 - g0) * t + _walk(rng, m, rng.uniform(0.0, 0.2))
    loss_g = level_g * np.exp(rng.normal(0, rng.uniform(0.05, 0.2), m)) * _spikes(rng, m, 300, 1.5, 2.5)

    real_level, fake_level = rng.uniform(0.55, 0.8), rng.uniform(0.2, 0.45)
    d_real = real_level + (0.5 - real_level) * warm + _walk(rng, m, 0.05) + rng.normal(0, 0.03, m)
    d_fake = fake_level + (0.5 - fake_level) * warm + _walk(rng, m, 0.05) + rng.normal(0, 0.03, m)

    drift_d = np.exp(np.log(rng.uniform(0.5, 3.0)) * t + _walk(rng, m, 0.3))
    grad_d = rng.uniform(1, 30) * drift_d * rng.lognormal(0, rng.uniform(0.2, 0.5), m)
    grad_d *= _spikes(rng, m, 200, 3, 30)  # healthy runs spike up to 36x for one step
    drift_g = np.exp(np.log(rng.uniform(1.0, 10.0)) * t + _walk(rng, m, 0.3))
    grad_g = rng.uniform(0.5, 10) * drift_g * rng.lognormal(0, rng.uniform(0.2, 0.4), m)

    log = pd.DataFrame({
        "step": steps,
        "loss_d": loss_d,
        "loss_g": loss_g,
        "d_real": np.clip(d_real, 0, 1),
        "d_fake": np.clip(d_fake, 0, 1),
        "grad_norm_d": grad_d,
        "grad_norm_g": grad_g,
        "lr_d": 2e-4,
        "lr_g": 2e-4,
        "time_s": np.cumsum(rng.uniform(0.01, 0.03, m)),
    })
    _add_evals(log, shape, rng)
    return log


def _add_evals(log: pd.DataFrame, shape: Shape, rng: np.random.Generator) -> None:
    """Eval columns on rows where step % eval_every == 0: fast rise, then a high plateau."""
    if shape.modes_total is None and not shape.features:
        return
    rows = (log["step"] % shape.eval_every == 0).to_numpy()
    s = log["step"].to_numpy()[rows]
    rise = 1 - np.exp(-s / (rng.uniform(0.02, 0.1) * shape.steps))

    def put(column: str, values: np.ndarray) -> None:
        log[column] = np.nan
        log.loc[rows, column] = values

    if shape.modes_total is not None:
        total, expected = shape.modes_total, expected_modes(shape.modes_total)
        # With 1000 samples a healthy G hits all of 10 or 25 modes; of 1000, 80-100% of a perfect G's.
        plateau = rng.uniform(0.8, 1.0) if total > 100 else rng.uniform(0.95, 1.0)
        coverage = rng.uniform(0.005, 0.05) + (plateau - 0.05) * rise
        modes = np.clip(np.round(coverage * expected + rng.normal(0, max(0.5, 0.01 * expected), len(s))), 1, total)
        put("eval_modes", modes)
        put("eval_modes_total", np.full(len(s), float(total)))
        effective = modes * rng.uniform(0.85, 1.0)
        put("eval_kl", np.maximum(np.log(total / effective) + rng.normal(0, 0.02, len(s)), 0.0))
    if shape.features:
        start = rng.uniform(0.1, 0.4)
        put("eval_diversity", start + (rng.uniform(0.75, 1.1) - start) * rise + rng.normal(0, 0.03, len(s)))
        dup = rng.uniform(0.2, 0.9) * (1 - rise) + rng.uniform(0.0, 0.03) + rng.normal(0, 0.01, len(s))
        put("eval_dup_rate", np.clip(dup, 0, 1))
    if shape.ndb:
        # The validation folders' healthy runs (docs/diagnostics.md): 0.26-0.89 at the first evaluation,
        # 0.09-0.51 at the last. Its own generator, so the other columns are those of the same shape without it.
        own = np.random.default_rng([shape.seed, 1])
        first, last = own.uniform(0.6, 0.9), own.uniform(0.05, 0.4)
        put("eval_ndb_k", np.clip(first + (last - first) * rise + own.normal(0, 0.02, len(s)), 0, 1))


# --- failures, each from step k (a logged step) -------------------------------------------------


def inject_nan(log: pd.DataFrame, k: int, column: str, value: float = np.nan) -> pd.DataFrame:
    """``column`` goes non-finite at step k; every number after it is NaN (as after a NaN weight)."""
    log = log.copy()
    at, after = log["step"] == k, log["step"] > k
    log.loc[at, column] = value
    numeric = [c for c in log.columns if c not in ("step", "lr_d", "lr_g", "time_s")]
    log.loc[after, numeric] = np.nan
    return log


def without_copies(log: pd.DataFrame) -> pd.DataFrame:
    """``log`` with every evaluation's ``eval_dup_rate`` at 0, as every healthy run of the validation corpus
    reads at 1,000 steps outside photos; the traces' 0.01-0.03 would count as copies (``dominance_copies_rate``)."""
    if "eval_dup_rate" not in log.columns:
        return log
    return log.assign(eval_dup_rate=log["eval_dup_rate"].where(log["eval_dup_rate"].isna(), 0.0))


def inject_dominance(log: pd.DataFrame, k: int, vanishing: str, rng: np.random.Generator) -> pd.DataFrame:
    """D wins from step k within a few steps; ``vanishing`` is the gradient that goes to ~0."""
    log = log.copy()
    s = log["step"].to_numpy()
    ramp = 1 - np.exp(-np.clip(s - k + 1, 0, None) / 3.0)  # 0 before k, ~1 within 10 steps
    on = s >= k
    m = int(on.sum())
    log["d_real"] = log["d_real"] * (1 - ramp) + ramp * (1 - rng.uniform(1e-4, 0.02, len(s)))
    log["d_fake"] = log["d_fake"] * (1 - ramp) + ramp * rng.uniform(1e-4, 0.02, len(s))
    log["loss_d"] = log["loss_d"] * (1 - ramp) + ramp * rng.uniform(1e-4, 0.04, len(s))
    log["loss_g"] = log["loss_g"] * (1 - ramp) + ramp * rng.uniform(4, 10, len(s))
    log.loc[on, vanishing] *= rng.uniform(1e-4, 0.03, m) * (1 - ramp[on]) + ramp[on] * 0.005
    other = "grad_norm_g" if vanishing == "grad_norm_d" else "grad_norm_d"
    if vanishing == "grad_norm_d":  # nonsaturating loss: G's gradient grows while D's vanishes
        log.loc[on, other] *= 1 + 2 * ramp[on]
    else:
        log.loc[on, other] *= 1 - 0.995 * ramp[on]
    return log


def inject_explosion(log: pd.DataFrame, k: int, columns: tuple[str, ...], rate: float, cap: float):
    """Gradient norms grow by ``rate`` per step from step k, up to ``cap`` times their level."""
    log = log.copy()
    s = log["step"].to_numpy()
    growth = np.minimum(rate ** np.clip(s - k + 1, 0, np.log(cap) / np.log(rate) + 1), cap)
    for column in columns:
        log[column] = log[column] * growth
    return log


def inject_collapse(log: pd.DataFrame, k: int, full: bool, rng: np.random.Generator) -> pd.DataFrame:
    """From the first eval at or after step k, coverage/diversity drop (to a few modes when ``full``)."""
    log = log.copy()
    rows = (log["step"] >= k) & log.filter(like="eval_").notna().any(axis=1)
    n = int(rows.sum())
    if "eval_modes" in log.columns:
        total = float(log["eval_modes_total"].dropna().iloc[0])
        expected = expected_modes(int(total))
        # Partial: below the calibrated partial level (0.35; healthy real runs read 0.47-0.72).
        coverage = rng.uniform(0.0, 0.05, n) if full else rng.uniform(0.15, 0.3, n)
        modes = np.clip(np.round(coverage * expected), 1, total)
        log.loc[rows, "eval_modes"] = modes
        log.loc[rows, "eval_kl"] = np.log(total / (modes * rng.uniform(0.5, 0.9, n)))
    if "eval_diversity" in log.columns:
        log.loc[rows, "eval_diversity"] = rng.uniform(0.01, 0.08, n) if full else rng.uniform(0.2, 0.45, n)
        log.loc[rows, "eval_dup_rate"] = rng.uniform(0.85, 1.0, n) if full else rng.uniform(0.32, 0.6, n)
    if "eval_ndb_k" in log.columns:  # the validation folders' collapses: 0.4-0.9
        log.loc[rows, "eval_ndb_k"] = rng.uniform(0.6, 0.9, n)
    return log


def inject_oscillation(log: pd.DataFrame, k: int, period: float, amplitude: float,
                       dip: float | None = 0.6) -> pd.DataFrame:
    """From step k, loss_d and loss_g swing in anti-phase by ``amplitude`` x their level.

    ``dip``: G's evaluation swings too (the corpus's 10x-lr run lost 37% of its diversity while its
    losses swung): every other eval after k reads ``dip`` x its value (eval_modes, eval_diversity).
    Alternate evals, so mode_collapse (which needs every eval of a window low) stays silent. None
    leaves G's evaluation as it was: the losses trade the lead while G keeps improving.
    """
    log = log.copy()
    if dip is not None:
        for column in ("eval_modes", "eval_diversity"):
            if column in log.columns:
                after = np.flatnonzero(log[column].notna().to_numpy() & (log["step"].to_numpy() > k))
                log.loc[log.index[after[::2]], column] *= dip
    s = log["step"].to_numpy()
    wave = np.where(s >= k, np.sin(2 * np.pi * (s - k) / period), 0.0)
    level_d = log["loss_d"].median()
    level_g = log["loss_g"].median()
    log["loss_d"] = np.maximum(log["loss_d"] + amplitude * level_d * wave, 0.01)
    log["loss_g"] = np.maximum(log["loss_g"] - amplitude * level_g * wave, 0.01)
    log["d_real"] = np.clip(log["d_real"] - 0.15 * wave, 0, 1)
    log["d_fake"] = np.clip(log["d_fake"] - 0.15 * wave, 0, 1)
    return log


def g_low_log(diversity: list[float], dup: float) -> pd.DataFrame:
    """D wins from step 300 with its own gradient gone (nonsaturating loss); evaluations at 250, 500, 750
    and 1000 only, with these diversities and one duplicate rate: the shapes and photos runs' layout."""
    shape = Shape(steps=1000, seed=4, modes_total=None, features=True)
    log = inject_dominance(healthy(shape), 300, "grad_norm_d", np.random.default_rng(0))
    log[["eval_diversity", "eval_dup_rate"]] = np.nan
    evals = log.step.isin([250, 500, 750, 1000])
    log.loc[evals, "eval_diversity"] = diversity
    log.loc[evals, "eval_dup_rate"] = dup
    return log


def ndb_log(ndb_k: list[float], modes: int | None = None) -> pd.DataFrame:
    """``g_low_log``'s layout with G as spread as real data (diversity 1.0, no copies), these NDB/K readings
    and, when given, a constant labelled mode count of 100 modes."""
    log = g_low_log([1.0] * 4, 0.0)
    evals = log.step.isin([250, 500, 750, 1000])
    log["eval_ndb_k"] = np.nan
    log.loc[evals, "eval_ndb_k"] = ndb_k
    if modes is not None:
        log["eval_modes"] = np.where(evals, float(modes), np.nan)
        log["eval_modes_total"] = np.where(evals, 100.0, np.nan)
    return log


def recovering_log(last_ndb_k: float, last_dup: float = 0.0, last_share: float | None = None,
                   ends: int | None = 800) -> pd.DataFrame:
    """``ndb_log`` with NDB/K stuck (0.7, 0.66, 0.65) through D's win, which ends at step ``ends`` (None: runs
    on to the end), and this last evaluation at step 1000; a realism share of 0.5 at every evaluation but the
    last (``last_share``) when given."""
    log = ndb_log([0.7, 0.66, 0.65, last_ndb_k])
    log.loc[log.step == 1000, "eval_dup_rate"] = last_dup
    if last_share is not None:
        evals = log.step.isin([250, 500, 750, 1000])
        log["eval_manifold_share"] = np.where(evals, np.where(log.step == 1000, last_share, 0.5), np.nan)
    if ends is not None:
        before = healthy(Shape(steps=1000, seed=4, modes_total=None, features=True))
        ended = log.step >= ends
        for column in ("d_real", "d_fake", "loss_d", "loss_g", "grad_norm_d", "grad_norm_g"):
            log.loc[ended, column] = before.loc[ended, column]
    return log

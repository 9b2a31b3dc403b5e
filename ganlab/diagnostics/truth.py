"""Ground truth for the calibration corpus: what a run really did, decided without the detectors.

A run is labelled from four measurements, in this order:

1. ``non_finite``: a NaN/Inf in a loss or gradient norm of its log, or a non-finite tensor the
   trainer recorded in ``run.json``. Onset: the first such step.
2. Final samples: ``FINAL_SAMPLES`` (10,000) images from the final generator, drawn as the trainer
   draws its final samples (``ganlab.train.sampling``), read by the mode classifier.
   ``coverage`` = modes / the modes a perfect generator reaches with as many draws.
   Below ``HEALTHY_COVERAGE`` the run is broken.
3. D and G levels over the last ``END_STEPS`` steps: D won (median D(x) >= 0.95 and D(G(z)) <= 0.05)
   and G's gradient fell below 10% of its peak, or coverage never recovered: ``d_dominance``, from
   the first stretch of D winning that lasted 100 steps.
4. Otherwise a broken run is ``mode_collapse`` (``full`` below ``FULL_COVERAGE``).

Onsets are read from the log's periodic evaluation (1,000 samples): a collapse starts at the first
eval after the last one at which coverage was at the healthy level. A run that never got there has
no onset (None: broken from the start), and no onset error is scored for it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ganlab.diagnostics.collapse import expected_modes
from ganlab.diagnostics.log import true_runs

FINAL_SAMPLES = 10_000
HEALTHY_COVERAGE = 0.5  # of what a perfect generator reaches; the baseline reads ~0.75 (issue 10)
FULL_COVERAGE = 0.1
END_STEPS = 400
D_WON_REAL, D_WON_FAKE, G_VANISHED = 0.95, 0.05, 0.1
GRAD_COLUMNS = ("loss_d", "loss_g", "grad_norm_d", "grad_norm_g")


@dataclass(frozen=True)
class Truth:
    label: str  # "healthy" or a detector kind
    severity: str  # "" for healthy, "full"/"partial" for a collapse, "failure" otherwise
    onset: int | None  # step; None for healthy runs and for runs broken from the start
    modes: int | None
    coverage: float | None
    kl: float | None
    d_real_end: float
    d_fake_end: float
    g_grad_end_ratio: float  # median |grad G| over the last END_STEPS / its peak 100-step median
    d_grad_end_ratio: float
    non_finite_step: int | None
    eval_coverage: list[tuple[int, float]]  # (step, coverage on the log's eval rows)

    def to_dict(self) -> dict:
        return asdict(self)


def final_sample_metrics(run_dir: Path, n: int = FINAL_SAMPLES) -> dict:
    """Modes and reverse KL of ``n`` samples from the run's final generator, drawn as the trainer draws its
    final samples (``ganlab.train.sampling``: train-mode G, the run's z distribution, the final z stream)."""
    from ganlab.config import load_config
    from ganlab.data import DATASETS
    from ganlab.metrics.evaluate import evaluate
    from ganlab.metrics.score import run_samples
    from ganlab.train.sampling import real_generator

    config = load_config(run_dir / "config.yaml")
    images = run_samples(config, run_dir / "checkpoint.pt", n, None)
    dataset = DATASETS[config.data.dataset](config.data)
    out = evaluate(images, dataset, full=False, generator=real_generator(config.seed))
    return {"modes": out["modes"], "modes_total": out["modes_total"], "kl": out["kl"]}


def _ratio_end(norm: pd.Series, end_rows: int) -> float:
    level = norm.where(np.isfinite(norm)).rolling(100, min_periods=20).median()
    peak = float(level.max())
    end = float(norm.iloc[-end_rows:].median())
    if end == 0.0:
        return 0.0  # exactly zero has vanished whatever the peak (a network dead from its first steps)
    return end / peak if peak > 0 else math.nan


def label_run(run_dir: Path, final: dict | None, eval_samples: int) -> Truth:
    """The ground-truth label of one run directory; ``final`` is ``final_sample_metrics`` (None if
    the run has no usable generator, e.g. it went non-finite)."""
    log = pd.read_parquet(run_dir / "metrics.parquet")
    info = json.loads((run_dir / "run.json").read_text())
    steps = log["step"].to_numpy()
    bad = ~np.isfinite(log[list(GRAD_COLUMNS)].to_numpy(np.float64)).all(axis=1)
    nf_step = int(steps[np.flatnonzero(bad)[0]]) if bad.any() else None
    if nf_step is None and info.get("non_finite_tensor"):
        nf_step = int(steps[-1])
    end_rows = max(1, min(len(log), END_STEPS))
    tail = log.iloc[-end_rows:]
    d_real, d_fake = float(tail["d_real"].median()), float(tail["d_fake"].median())
    g_ratio = _ratio_end(log["grad_norm_g"], end_rows)
    d_ratio = _ratio_end(log["grad_norm_d"], end_rows)

    ev = log.dropna(subset=["eval_modes"]) if "eval_modes" in log.columns else log.iloc[:0]
    expected_eval = expected_modes(ev["eval_modes_total"].to_numpy(), eval_samples) if len(ev) else np.array([])
    eval_cov = [(int(s), float(m / e)) for s, m, e in zip(ev["step"], ev["eval_modes"], expected_eval, strict=True)]

    modes = coverage = kl = None
    if final is not None and final.get("modes") is not None:
        modes, kl = int(final["modes"]), final["kl"]
        coverage = modes / float(expected_modes(np.array([final["modes_total"]]), FINAL_SAMPLES)[0])

    common: dict[str, Any] = dict(modes=modes, coverage=coverage, kl=kl, d_real_end=d_real, d_fake_end=d_fake,
                  g_grad_end_ratio=g_ratio, d_grad_end_ratio=d_ratio, non_finite_step=nf_step,
                  eval_coverage=eval_cov)
    if nf_step is not None:
        return Truth("non_finite", "failure", nf_step, **common)
    if coverage is None or coverage >= HEALTHY_COVERAGE:
        return Truth("healthy", "", None, **common)
    good = [s for s, c in eval_cov if c >= HEALTHY_COVERAGE]
    later = [s for s, _ in eval_cov if not good or s > good[-1]]
    onset = later[0] if good and later else None  # None: never healthy, broken from the start
    d_won = d_real >= D_WON_REAL and d_fake <= D_WON_FAKE
    if d_won and (g_ratio <= G_VANISHED or not good):
        # Onset: the start of the first stretch of D winning that lasted 100 steps (centred 100-step
        # medians switch at the change).
        won = ((log["d_real"].rolling(100, center=True, min_periods=1).median() >= D_WON_REAL)
               & (log["d_fake"].rolling(100, center=True, min_periods=1).median() <= D_WON_FAKE)).to_numpy()
        stretches = [(a, b) for a, b in true_runs(won) if steps[b] - steps[a] >= 99]
        start = int(steps[stretches[0][0]]) if stretches else int(steps[0])
        return Truth("d_dominance", "failure", start, **common)
    severity = "full" if coverage < FULL_COVERAGE else "partial"
    return Truth("mode_collapse", severity, onset, **common)

"""Ground truth for the calibration corpus: what a run really did, decided without the detectors.

A run is labelled from these measurements, in this order:

1. ``non_finite``: a NaN/Inf in a loss or gradient norm of its log, or a non-finite tensor the
   trainer recorded in ``run.json``. Onset: the first such step.
2. Final samples: ``FINAL_SAMPLES`` (10,000) images from the final generator, drawn as the trainer
   draws its final samples (``ganlab.sampling``), read by the mode classifier.
   ``coverage`` = modes / the modes a perfect generator reaches with as many draws, and
   ``effective`` = exp(-KL) / exp(-KL of a perfect generator's as many draws): the histogram's
   effective number of modes (exp of its entropy, for equally likely modes) against a perfect
   generator's. Below ``HEALTHY_COVERAGE`` on either the run is broken: it covers fewer than half
   the modes, or puts its mass on fewer than half (VEEGAN and PacGAN report both, modes and KL).
   ``precision`` (PRDC, Kynkäänniemi et al. 2019: the share of samples inside the real samples'
   k-NN manifold, in the classifier's feature network's space) below ``QUALITY_PRECISION``: the samples
   left the data manifold (washed-out, gray digits that the nuisance-trained classifier still reads),
   and the run is broken whatever its modes.
3. D and G levels over the last ``END_STEPS`` steps: D won (median D(x) >= 0.95 and D(G(z)) <= 0.05)
   and G stopped learning, i.e. its gradient fell below 10% of its peak, its samples lost their
   quality, or coverage never recovered: ``d_dominance``, from the first stretch of D winning that
   lasted 100 steps.
4. Otherwise a broken run whose modes are healthy is ``quality_lost`` (no detector has this kind;
   the table reports whether any event flagged it), and any other is ``mode_collapse`` (``full``
   below ``FULL_COVERAGE``).

Onsets are read from the log's periodic evaluation (1,000 samples): a collapse starts at the first
eval after the last one at which coverage was at the healthy level. A run that never got there has
no onset (None: broken from the start), and no onset error is scored for it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from ganlab.calibration.table import FULL, HEALTHY, PARTIAL, QUALITY_LOST
from ganlab.diagnostics.collapse import expected_modes
from ganlab.diagnostics.log import true_runs
from ganlab.schema import (
    CHECKPOINT,
    CONFIG_YAML,
    EVAL_MODES,
    EVAL_MODES_TOTAL,
    METRICS_FILE,
    EventKind,
    Severity,
    read_run,
)

if TYPE_CHECKING:
    from ganlab.data.base import ImageDataset

FINAL_SAMPLES = 10_000
HEALTHY_COVERAGE = 0.5  # of what a perfect generator reaches, in modes and in effective modes (issue 10)
FULL_COVERAGE = 0.1
# Healthy corpus runs read 0.18-0.40 on 10k samples; the two that ended with gray, washed-out samples
# read 0.003 and 0.064. Any level between the two groups gives the same labels.
QUALITY_PRECISION = 0.1
END_STEPS = 400
D_WON_REAL, D_WON_FAKE, G_VANISHED = 0.95, 0.05, 0.1
GRAD_COLUMNS = ("loss_d", "loss_g", "grad_norm_d", "grad_norm_g")


@dataclass(frozen=True)
class Truth:
    label: str  # HEALTHY, QUALITY_LOST or an EventKind
    severity: str  # "" for healthy, FULL/PARTIAL for a collapse, Severity.FAILURE otherwise
    onset: int | None  # step; None for healthy runs and for runs broken from the start
    modes: int | None
    coverage: float | None
    kl: float | None
    effective: float | None  # exp(kl_expected - kl): effective modes against a perfect generator's
    precision: float | None  # PRDC precision of the final samples
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
    final samples (``ganlab.sampling``: train-mode G, the run's z distribution, the final z stream)."""
    from ganlab.config import load_config
    from ganlab.data import DATASETS
    from ganlab.metrics.evaluate import evaluate
    from ganlab.sampling import real_generator, run_samples

    config = load_config(run_dir / CONFIG_YAML)
    images = run_samples(config, run_dir / CHECKPOINT, n, None)
    dataset = DATASETS[config.data.dataset](config.data)
    out = evaluate(images, dataset, full=True, generator=real_generator(config.seed))
    return {"modes": out["modes"], "modes_total": out["modes_total"], "kl": out["kl"],
            "kl_expected": perfect_kl(dataset, n), "precision": out["precision"]}


def perfect_kl(dataset: ImageDataset, n: int = FINAL_SAMPLES) -> float | None:
    """The reverse KL a perfect generator's ``n`` samples of ``dataset`` get, read and cleaned as a run's
    are (``ganlab.metrics.confusion.kl_expected``); None for data without known modes."""
    from ganlab.metrics.confusion import kl_expected
    from ganlab.metrics.features import reader_for

    probs = dataset.mode_probs()
    if probs is None:
        return None
    # The reader's confusion comes with any reading; 16 real samples are the cheapest one.
    images, _ = dataset.sample(16, torch.Generator().manual_seed(0), split="held_out")
    reading = reader_for(dataset.name)(images)
    return kl_expected(probs, n, reading.channel_confusion, dataset.channels)


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
    log = pd.read_parquet(run_dir / METRICS_FILE)
    record = read_run(run_dir)
    steps = log["step"].to_numpy()
    bad = ~np.isfinite(log[list(GRAD_COLUMNS)].to_numpy(np.float64)).all(axis=1)
    nf_step = int(steps[np.flatnonzero(bad)[0]]) if bad.any() else None
    if nf_step is None and record is not None and record.non_finite_tensor:
        nf_step = int(steps[-1])
    end_rows = max(1, min(len(log), END_STEPS))
    tail = log.iloc[-end_rows:]
    d_real, d_fake = float(tail["d_real"].median()), float(tail["d_fake"].median())
    g_ratio = _ratio_end(log["grad_norm_g"], end_rows)
    d_ratio = _ratio_end(log["grad_norm_d"], end_rows)

    eval_cov: list[tuple[int, float]] = []  # none in a log without periodic evaluation (or stopped before it)
    if EVAL_MODES in log.columns:
        ev = log.dropna(subset=[EVAL_MODES])
        expected_eval = expected_modes(ev[EVAL_MODES_TOTAL].to_numpy(), eval_samples)
        eval_cov = [(int(s), float(m / e)) for s, m, e in zip(ev["step"], ev[EVAL_MODES], expected_eval, strict=True)]

    modes = coverage = kl = effective = None
    precision = None if final is None else final.get("precision")
    if final is not None and final.get("modes") is not None:
        modes, kl = int(final["modes"]), final["kl"]
        coverage = modes / float(expected_modes(np.array([final["modes_total"]]), FINAL_SAMPLES)[0])
        effective = 0.0 if kl is None else math.exp(final["kl_expected"] - kl)  # kl None: no sample read

    common: dict[str, Any] = dict(modes=modes, coverage=coverage, kl=kl, effective=effective, precision=precision,
                  d_real_end=d_real, d_fake_end=d_fake,
                  g_grad_end_ratio=g_ratio, d_grad_end_ratio=d_ratio, non_finite_step=nf_step,
                  eval_coverage=eval_cov)
    if nf_step is not None:
        return Truth(EventKind.NON_FINITE, Severity.FAILURE, nf_step, **common)
    modes_healthy = coverage is None or (coverage >= HEALTHY_COVERAGE and effective is not None
                                         and effective >= HEALTHY_COVERAGE)
    quality_lost = precision is not None and precision < QUALITY_PRECISION
    if modes_healthy and not quality_lost:
        return Truth(HEALTHY, "", None, **common)
    good = [s for s, c in eval_cov if c >= HEALTHY_COVERAGE]
    later = [s for s, _ in eval_cov if not good or s > good[-1]]
    onset = later[0] if good and later else None  # None: never healthy, broken from the start
    d_won = d_real >= D_WON_REAL and d_fake <= D_WON_FAKE
    if d_won and (g_ratio <= G_VANISHED or quality_lost or not good):
        # Onset: the start of the first stretch of D winning that lasted 100 steps (centred 100-step
        # medians switch at the change). Where G's gradient is alive and only its samples' quality
        # shows it stopped learning, the log cannot date that (precision is measured at the end
        # only): no onset, as for a run broken from the start.
        won = ((log["d_real"].rolling(100, center=True, min_periods=1).median() >= D_WON_REAL)
               & (log["d_fake"].rolling(100, center=True, min_periods=1).median() <= D_WON_FAKE)).to_numpy()
        stretches = [(a, b) for a, b in true_runs(won) if steps[b] - steps[a] >= 99]
        start = int(steps[stretches[0][0]]) if stretches else int(steps[0])
        dated = g_ratio <= G_VANISHED or not good
        return Truth(EventKind.D_DOMINANCE, Severity.FAILURE, start if dated else None, **common)
    if modes_healthy:
        return Truth(QUALITY_LOST, Severity.FAILURE, None, **common)
    assert coverage is not None
    severity = FULL if coverage < FULL_COVERAGE else PARTIAL
    return Truth(EventKind.MODE_COLLAPSE, severity, onset, **common)

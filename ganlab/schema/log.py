"""The metrics log (``metrics.parquet``, docs/metrics-schema.md): its columns and the evaluation keys.

The trainer writes these columns and the detectors read them; the final-metric keys name ``run.json``'s
``final_metrics`` and the ``metric_<key>`` columns of ``results.parquet``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ganlab.io import atomic_path

if TYPE_CHECKING:
    import pandas as pd

# Scalars the trainer computes every step, in the order it computes them. All are checked for NaN/Inf;
# all but ``g_out_absmax`` (G's largest |output|, where an exploding G shows first) are logged.
STEP_VALUES = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "g_out_absmax")
LOGGED_VALUES = STEP_VALUES[:-1]

# The required columns, in file order: the step, its logged values, both learning rates, the clock.
LOG_COLUMNS = ("step", *LOGGED_VALUES, "lr_d", "lr_g", "time_s")

# Keys of ``evaluate``: SCORE_KEYS are ``ganlab score``'s, EVAL_KEYS the final metrics of a run, and
# CHEAP_KEYS the subset the trainer computes every ``diagnostics.eval_every`` steps (mode counts and
# diversity, well under a second on a CPU) and logs as ``eval_<key>`` columns.
# New keys go at the end: readers of older run.json / score JSON find the old ones where they were.
SCORE_KEYS = ("n_samples", "modes", "modes_total", "kl", "frechet", "kid", "kid_std",
              "precision", "recall", "density", "coverage", "diversity",
              "modes_raw", "modes_expected", "mode_coverage", "ambiguous_rate")
# ``manifold_share`` is the realism gate's reading (ganlab.metrics.gate): the share of samples on the real
# data's manifold, against a fixed-size real reference, so it means the same at 500 and at 10,000 samples;
# ``modes`` and ``mode_coverage`` count among those samples only, ``modes_ungated`` among all of them.
GATE_KEYS = ("manifold_share", "modes_ungated")
EVAL_KEYS = (*SCORE_KEYS, "dup_rate", *GATE_KEYS)
# Keys only ``ganlab score`` computes, after SCORE_KEYS and GATE_KEYS in its JSON: label-free coverage (NDB/K)
# next to what held-out real data reads (``_real``) so it has a scale. They are not in EVAL_KEYS, so a
# run's final metrics, ``results.parquet`` and the sweep report keep their keys, and are not endpoints.
# Realism is the gate's ``manifold_share`` alone (an uncalibrated second share, ``realistic_share``, was
# dropped: two realism readings with two scales for one question).
# Then the duplicate rate (a final metric's, printed here with its scale) and diversity, each read real vs real:
# on data that repeats itself (crops of two photographs) held-out real data has near-duplicates too.
SCORE_ONLY_KEYS = ("ndb_k", "ndb_k_real", "ndb_bins", "dup_rate", "dup_rate_real", "diversity_real")
# The share of held-out real samples a calibrated realism level passes (ganlab.metrics.realism): the
# median held-out real score. docs/metrics.md says why 0.5 and not 0.95.
REALISM_PASS_RATE = 0.5
# The rate held-out real data passes the realism gate of every evaluation at (``manifold_share``,
# ganlab.metrics.gate): a generator as good as the data reads this; docs/metrics.md says why 0.8.
GATE_PASS_RATE = 0.8
# ``ndb_k`` is the cheap evaluation's alone (``ganlab.metrics.evaluate.eval_ndb_k``): label-free coverage on a
# fixed 500 samples, for the detectors; the final metrics keep EVAL_KEYS (``ganlab score`` reads NDB/K there).
# ``dup_rate_real`` is held-out real data's duplicate rate on the same draw (``evaluate.held_out_dup_rate``): the
# scale of ``dup_rate``, which on data that repeats itself (overlapping crops) is not 0.
CHEAP_KEYS = ("modes", "modes_total", "kl", "diversity", "dup_rate", "manifold_share", "modes_ungated", "ndb_k",
              "dup_rate_real")
EVAL_PREFIX = "eval_"
EVAL_COLUMNS = tuple(f"{EVAL_PREFIX}{k}" for k in CHEAP_KEYS)
# Each by name, for the detectors and the calibration truth that read them.
(EVAL_MODES, EVAL_MODES_TOTAL, EVAL_KL, EVAL_DIVERSITY, EVAL_DUP_RATE, EVAL_MANIFOLD_SHARE,
 EVAL_MODES_UNGATED, EVAL_NDB_K, EVAL_DUP_RATE_REAL) = EVAL_COLUMNS

# Each metric's direction, for the report and the CI gate: True when higher is better, False when lower
# is. "diversity" is better up to ~1 (see ganlab/metrics/diversity.py). Keys without a direction
# (n_samples, modes_total, modes_expected, kid_std) describe the evaluation rather than score it.
HIGHER_IS_BETTER: dict[str, bool] = {
    "modes": True,
    "kl": False,
    "frechet": False,
    "kid": False,
    "precision": True,
    "recall": True,
    "density": True,
    "coverage": True,
    "diversity": True,
    "dup_rate": False,
    "fid_inception": False,
    "modes_raw": True,  # plain count (hit once), kept to show what the confusion correction removed
    "mode_coverage": True,  # modes / modes_expected, ~1 for a perfect generator
    "ambiguous_rate": False,  # share of samples the classifier ensemble reads differently
    "manifold_share": True,  # share of samples past the realism gate; held-out real data reads GATE_PASS_RATE
    "modes_ungated": True,  # ``modes`` over every sample, realistic or not, to show what the gate removed
}

# The directions of SCORE_ONLY_KEYS, for ``ganlab score`` alone (outside HIGHER_IS_BETTER: not endpoints).
SCORE_ONLY_HIGHER_IS_BETTER: dict[str, bool] = {"ndb_k": False, "dup_rate": False}

# The range each metric (so its mean across seeds) can take, where it is bounded: the report cuts a mean's
# interval to it. Unlisted metrics (kid, whose unbiased estimate can be negative) are unbounded.
_COUNT, _SHARE = (0.0, math.inf), (0.0, 1.0)
METRIC_RANGE: dict[str, tuple[float, float]] = {
    **dict.fromkeys(("n_samples", "modes", "modes_total", "modes_raw", "modes_expected", "modes_ungated"), _COUNT),
    **dict.fromkeys(("kl", "frechet", "fid_inception", "density", "diversity", "mode_coverage"), _COUNT),
    **dict.fromkeys(("precision", "recall", "coverage", "dup_rate", "ambiguous_rate", "manifold_share"), _SHARE),
}


def write_log(path: str | Path, rows: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """Write a metrics log (``LOG_COLUMNS``, then any ``eval_*`` columns) to ``path`` atomically; returns it.

    The one writer of ``metrics.parquet``: the trainer's, and the test fixtures' through it.
    """
    import pandas as pd

    log = pd.DataFrame(list(rows), columns=None if rows else list(LOG_COLUMNS))
    if not log.empty:
        log["step"] = log["step"].astype("int64")
    with atomic_path(path) as tmp:
        log.to_parquet(tmp, index=False)
    return log

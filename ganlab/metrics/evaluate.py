"""``evaluate``: every metric for a batch of generated images against a dataset's held-out samples.

``full=False`` is the cheap online evaluation the trainer runs every ``diagnostics.eval_every``
steps (mode metrics and diversity only, well under a second for 1000 samples on a CPU).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ganlab.data.base import ImageDataset
from ganlab.errors import DataError
from ganlab.metrics.confusion import cleaned_counts, covered_modes, mode_confusion, modes_expected
from ganlab.metrics.diversity import distinct_rows, diversity_ratio, dup_rate
from ganlab.metrics.features import Reading, reader_for
from ganlab.metrics.frechet import frechet_distance
from ganlab.metrics.gate import GATE_PASS_RATE, on_manifold
from ganlab.metrics.kid import kid
from ganlab.metrics.modes import NO_MODE, mode_histogram, modes_covered, reverse_kl_counts
from ganlab.metrics.ndb import ndb
from ganlab.metrics.neighbours import knn_distances
from ganlab.metrics.prdc import K_DENSITY_COVERAGE, K_PRECISION_RECALL, prdc
from ganlab.metrics.realism import outside_rows
from ganlab.metrics.threads import limit_threads
from ganlab.sampling import non_finite_samples
from ganlab.schema.log import CHEAP_KEYS, EVAL_KEYS, SCORE_KEYS  # noqa: F401 - defined with the on-disk contract

MODE_KEYS = ("modes", "modes_total", "kl", "modes_raw", "modes_expected", "mode_coverage", "ambiguous_rate",
             "modes_ungated")
REAL_SEED = 0  # the default generator: every evaluation compares against the same real draw
MIN_HELD_OUT = 10  # real images outside the reference draw needed for a real-vs-real reading
# The periodic NDB/K reads this many generated and real samples whatever ``eval_samples`` is: its z tests
# gain power with the sample size, so a level means one thing only at one size (K = 50 bins here).
NDB_SAMPLES = 500


def check_compatible(fake: Tensor, dataset: ImageDataset, source: str = "samples") -> None:
    """DataError unless ``fake`` is ``(N >= 10, C, R, R)`` with the dataset's C and R."""
    if fake.ndim != 4 or fake.shape[-1] != fake.shape[-2]:
        raise DataError(f"{source}: expected square images (N, C, R, R); got shape {tuple(fake.shape)}")
    n, c, r = fake.shape[0], fake.shape[1], fake.shape[-1]
    if c != dataset.channels:
        raise DataError(f"{source}: {c} channel(s) but dataset '{dataset.name}' has {dataset.channels}")
    if r != dataset.resolution:
        raise DataError(f"{source}: {r}x{r} images but dataset '{dataset.name}' is at "
                        f"{dataset.resolution}x{dataset.resolution} (set the dataset's resolution to {r})")
    if n < 10:
        raise DataError(f"{source}: {n} sample(s); the metrics need at least 10")


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def mode_metrics(fake: Reading, dataset: ImageDataset, realistic: np.ndarray | None = None) -> dict:
    """The ``MODE_KEYS`` of a reading (all None when the data has no mode reader).

    ``realistic`` ``(N,)`` bool is the realism gate (``ganlab.metrics.gate``): modes are counted among those
    samples only, so samples off the data's manifold cover no mode however the classifier reads them.
    ``modes`` is the confusion-corrected count (``ganlab.metrics.confusion``), ``modes_raw`` the
    plain count of modes hit at least once, ``modes_expected`` what a perfect generator reaches
    with as many samples under the same rule (and the same gate: held-out real data passes at
    ``GATE_PASS_RATE``), ``mode_coverage`` = modes / modes_expected, ``ambiguous_rate`` the share of samples
    the ensemble's members read differently, and ``modes_ungated`` the corrected count over every sample.
    """
    probs = dataset.mode_probs()
    if fake.modes is None or probs is None or dataset.n_modes is None:
        return dict.fromkeys(MODE_KEYS)
    confusion = (None if fake.channel_confusion is None
                 else mode_confusion(fake.channel_confusion, dataset.channels))
    gated = fake.modes if realistic is None else np.where(realistic, fake.modes, NO_MODE)
    counts = mode_histogram(gated, dataset.n_modes)
    modes = int(covered_modes(counts, confusion).sum())
    drawn = len(gated) if realistic is None else round(GATE_PASS_RATE * len(gated))
    expected = modes_expected(probs, drawn, fake.channel_confusion, dataset.channels)
    cleaned = cleaned_counts(counts, confusion)  # the misreads of the other modes taken out
    ungated = modes if realistic is None else int(covered_modes(mode_histogram(fake.modes, dataset.n_modes),
                                                                  confusion).sum())
    return {"modes": modes, "modes_total": int(dataset.n_modes), "kl": _finite(reverse_kl_counts(cleaned, probs)),
            "modes_raw": modes_covered(gated, dataset.n_modes), "modes_expected": expected,
            "mode_coverage": modes / expected if expected > 0 else None,
            "ambiguous_rate": None if fake.ambiguous is None else float(fake.ambiguous.mean()),
            "modes_ungated": ungated}


def _feature_metrics(real: np.ndarray, fake: np.ndarray, full: bool) -> dict:
    """Diversity, duplicates and (``full``) the distribution metrics, sharing one k-NN search per set."""
    real_distinct = distinct_rows(real)  # the real manifold is built from distinct rows only
    k_real = max(K_PRECISION_RECALL, K_DENSITY_COVERAGE)
    fake_knn = knn_distances(fake, K_PRECISION_RECALL if full else 1)
    real_knn = knn_distances(real_distinct, k_real) if full and len(real_distinct) > k_real else None
    real_nearest = real_knn[:, 0] if real_knn is not None and len(real_distinct) <= len(fake) else None
    out = {
        "diversity": _finite(diversity_ratio(real, fake)),
        "dup_rate": dup_rate(real, fake, fake_nearest=fake_knn[:, 0], real_nearest=real_nearest),
    }
    if full:
        # Subsets of 1000 (the KID paper's) need more than 1000 samples to differ from one another;
        # with fewer, half the smaller set keeps kid_std a real spread instead of a constant 0.
        subset = min(1000, max(2, min(len(real), len(fake)) // 2))
        kid_mean, kid_std = kid(real, fake, subset_size=subset)
        out.update(frechet=frechet_distance(real, fake), kid=kid_mean, kid_std=kid_std)
        if real_knn is not None:  # a tiny user dataset may have too few distinct images for k-NN
            out.update(prdc(real_distinct, fake, real_knn=real_knn, fake_knn=fake_knn))
    return out


def held_out_rows(read_held: np.ndarray, real: np.ndarray) -> np.ndarray | None:
    """The distinct rows of held-out real features ``read_held`` ``(L, D)`` equal to no reference row ``real``
    ``(N, D)`` (user data has one pool for both splits); None with fewer than ``MIN_HELD_OUT``. Distinct: the
    draw is with replacement, and an image drawn twice is not a near-duplicate a generator made."""
    held = distinct_rows(outside_rows(read_held, distinct_rows(real)))
    return held if len(held) >= MIN_HELD_OUT else None


def held_out_dup_rate(real: np.ndarray, held: np.ndarray | None) -> float | None:
    """``dup_rate`` of the held-out rows ``held`` (``held_out_rows``) against the reference ``real``: what a
    generator that reproduced its data reads. 0 on most data; crops of two photographs, which overlap, read
    0.06-0.08 (docs/metrics.md). None without held-out rows."""
    return None if held is None else dup_rate(real, held)


def eval_ndb_k(real: np.ndarray, fake: np.ndarray) -> float | None:
    """NDB/K (``ganlab.metrics.ndb``) of the first ``NDB_SAMPLES`` generated rows ``(M, D)`` against k-means bins
    of the first ``NDB_SAMPLES`` real rows ``(N, D)``; None with fewer rows than that (its levels were set at
    that size), or too few distinct real rows to bin."""
    if min(len(real), len(fake)) < NDB_SAMPLES:
        return None
    try:
        return ndb(real[:NDB_SAMPLES], fake[:NDB_SAMPLES]).ndb_k
    except ValueError:
        return None


def evaluate(fake: Tensor, dataset: ImageDataset, *, n_real: int | None = None, full: bool = True,
             generator: torch.Generator | None = None) -> dict:
    """Score generated images ``fake`` ``(N >= 10, C, R, R)`` in [-1, 1] against ``dataset``.

    Real samples are ``dataset.sample(n_real or N, generator, split="held_out")``; without a
    generator a fixed seed is used, so repeated calls compare against the same real draw.
    Returns ``EVAL_KEYS``: ``n_samples``, mode metrics (``MODE_KEYS``, see ``mode_metrics``; None
    without known modes), ``frechet``, ``kid``, ``kid_std``, ``precision``, ``recall``, ``density``,
    ``coverage`` (None when ``full=False``), ``diversity``, ``dup_rate`` and ``manifold_share`` (the realism
    gate's pass rate, ``ganlab.metrics.gate``; None when the data is too small to hold images out). The cheap
    path (``full=False``) adds ``ndb_k`` (``eval_ndb_k``), label-free coverage for the log, and ``dup_rate_real``
    (``held_out_dup_rate``), the scale of ``dup_rate``. Directions are in
    ``HIGHER_IS_BETTER``. Pixels are clamped to [-1, 1]. A sample holding NaN or Inf has no meaning, and
    zeroing it would score a diverged generator as one plausible gray image (precision 1.0 on digits):
    when any sample is non-finite every metric is None (``n_samples`` aside). Callers that can say so
    (``ganlab score``, the trainer) check ``non_finite_samples`` first.
    """
    return evaluate_read(fake, dataset, n_real=n_real, full=full, generator=generator)[0]


def evaluate_read(fake: Tensor, dataset: ImageDataset, *, n_real: int | None = None, full: bool = True,
                  generator: torch.Generator | None = None) -> tuple[dict, Reading | None, Reading | None]:
    """``evaluate``'s metrics with the readings they came from: (metrics, fake's, the real draw's), both
    None when a sample is non-finite. ``ganlab score`` reads its label-free metrics off the same features."""
    check_compatible(fake, dataset)
    if non_finite_samples(fake):
        return {**dict.fromkeys(EVAL_KEYS), "n_samples": len(fake)}, None, None
    fake = fake.detach().float().cpu().clamp(-1.0, 1.0)
    generator = generator if generator is not None else torch.Generator().manual_seed(REAL_SEED)
    real_images, _ = dataset.sample(n_real or len(fake), generator, split="held_out")
    read = reader_for(dataset.name)
    # The cheap path's tensors are small: one thread is fastest (no synchronisation, which on a
    # busy machine costs more than the work) and leaves the other cores to the training loop.
    with limit_threads(None if full else 1):
        fake_r, real_r = read(fake), read(real_images)
        out: dict = dict.fromkeys(EVAL_KEYS)
        out["n_samples"] = len(fake)
        realistic = on_manifold(fake_r.features, dataset, read)
        out["manifold_share"] = None if realistic is None else float(realistic.mean())
        out.update(mode_metrics(fake_r, dataset, realistic))
        out.update(_feature_metrics(real_r.features, fake_r.features, full))
        if not full:
            out["ndb_k"] = eval_ndb_k(real_r.features, fake_r.features)
            # The real stream continues into the train split, as ``ganlab score``'s real-vs-real readings do.
            held_images, _ = dataset.sample(len(real_images), generator, split="train")
            held = held_out_rows(read(held_images).features, real_r.features)
            out["dup_rate_real"] = held_out_dup_rate(real_r.features, held)
    return out, fake_r, real_r

"""Metrics: pure functions of feature/mode arrays, the digit mode classifier, ``evaluate`` and ``score``.

Each metric states its direction in ``HIGHER_IS_BETTER`` (reports and the CI gate read it).
"""

from ganlab.metrics.confusion import covered_modes, modes_expected, modes_expected_formula
from ganlab.metrics.diversity import diversity_ratio, dup_rate, duplicate_threshold
from ganlab.metrics.evaluate import CHEAP_KEYS, EVAL_KEYS, MODE_KEYS, SCORE_KEYS, check_compatible, evaluate
from ganlab.metrics.frechet import feature_stats, frechet_distance, frechet_from_stats
from ganlab.metrics.kid import kid, mmd2_unbiased
from ganlab.metrics.modes import NO_MODE, mode_histogram, modes_covered, reverse_kl
from ganlab.metrics.prdc import density_coverage, prdc, precision_recall
from ganlab.schema.log import HIGHER_IS_BETTER  # with the other on-disk keys, so readers need no torch

__all__ = [
    "CHEAP_KEYS",
    "EVAL_KEYS",
    "HIGHER_IS_BETTER",
    "MODE_KEYS",
    "NO_MODE",
    "SCORE_KEYS",
    "check_compatible",
    "covered_modes",
    "density_coverage",
    "diversity_ratio",
    "dup_rate",
    "duplicate_threshold",
    "evaluate",
    "feature_stats",
    "frechet_distance",
    "frechet_from_stats",
    "kid",
    "mmd2_unbiased",
    "mode_histogram",
    "modes_covered",
    "modes_expected",
    "modes_expected_formula",
    "precision_recall",
    "prdc",
    "reverse_kl",
]

"""Statistics shared by the report and the CI gate (torch-free, pure functions of arrays).

- ``basic``: binomial intervals, Fisher exact, t intervals, Kaplan-Meier.
- ``exact``: permutation Mann-Whitney and log-rank tests, the two-sided floor of each test.
- ``effects``: rate difference (Newcombe), Hodges-Lehmann shift and ratio, RMST difference, P(improvement).
- ``multiplicity``: Holm and Benjamini-Hochberg.
- ``plan``: the ``analysis:`` model; ``design``: power planning; ``sequential``: alpha spending.
- ``endpoints``: one variant-vs-baseline comparison; ``verdict``: the verdict words.
- ``fragility``: how many seeds' outcomes would have to change to undo a decided comparison.
"""

from ganlab.stats.basic import LEVEL, finite, fisher_p, km_curve, km_median, proportion_ci, t_mean_ci
from ganlab.stats.multiplicity import adjust, bh, holm
from ganlab.stats.plan import AnalysisPlan, SequentialPlan

__all__ = ["LEVEL", "AnalysisPlan", "SequentialPlan", "adjust", "bh", "finite", "fisher_p", "holm", "km_curve",
           "km_median", "proportion_ci", "t_mean_ci"]

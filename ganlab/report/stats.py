"""Pure statistics behind the report: intervals, tests, survival curves and the Holm correction.

Each function takes plain arrays and returns plain numbers; scipy does the work wherever it can.
Every function returns NaN (never raises) when its input is too small to say anything.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

ALPHA = 0.05
LEVEL = 0.95
# Below this many finished runs in either arm, no verdict is given at all (see `enough_evidence`).
MIN_RUNS = 3


def proportion_ci(k: int, n: int, level: float = LEVEL, method: str = "wilson") -> tuple[float, float]:
    """Interval for a binomial proportion k/n (Wilson score by default, or "exact" = Clopper-Pearson)."""
    if n <= 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method=method)
    return (float(ci.low), float(ci.high))


def fisher_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact test of k1/n1 against k2/n2; NaN when an arm is empty."""
    if n1 <= 0 or n2 <= 0:
        return math.nan
    table = [[int(k1), int(n1 - k1)], [int(k2), int(n2 - k2)]]
    return float(stats.fisher_exact(table).pvalue)


def mannwhitney_p(x: ArrayLike, y: ArrayLike) -> float:
    """Two-sided Mann-Whitney U p-value (exact for small samples without ties); NaN values are dropped."""
    a, b = _finite(x), _finite(y)
    if len(a) == 0 or len(b) == 0:
        return math.nan
    if np.all(a == a[0]) and np.all(b == a[0]):
        return 1.0
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def bootstrap_mean_ci(values: ArrayLike, level: float = LEVEL, n_resamples: int = 2000,
                      seed: int = 0) -> tuple[float, float, float]:
    """(mean, low, high): the mean across seeds with a percentile bootstrap interval.

    Non-finite values are dropped. One value gives (v, NaN, NaN); identical values give (v, v, v).
    """
    a = _finite(values)
    if len(a) == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(a.mean())
    if len(a) == 1:
        return (mean, math.nan, math.nan)
    if np.all(a == a[0]):
        return (mean, mean, mean)
    res = stats.bootstrap((a,), np.mean, confidence_level=level, n_resamples=n_resamples,
                          method="percentile", rng=np.random.default_rng(seed))
    return (mean, float(res.confidence_interval.low), float(res.confidence_interval.high))


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values, in the input order; NaN entries stay NaN and do not count.

    With m valid p-values sorted ascending, p_(i) becomes max_{j<=i} min(1, (m - j + 1) p_(j)).
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def censored(times: ArrayLike, observed: ArrayLike) -> stats.CensoredData:
    """Failure times (observed=True) and right-censored times (observed=False) as scipy CensoredData."""
    t = np.asarray(times, dtype=float)
    e = np.asarray(observed, dtype=bool)
    return stats.CensoredData(uncensored=t[e], right=t[~e])


def km_curve(times: ArrayLike, observed: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival: (distinct times, S(t) just after each); runs that never failed are
    right-censored at their last step. Empty input gives two empty arrays."""
    t = np.asarray(times, dtype=float)
    if len(t) == 0:
        return np.array([]), np.array([])
    sf = stats.ecdf(censored(t, observed)).sf
    return np.asarray(sf.quantiles, dtype=float), np.asarray(sf.probabilities, dtype=float)


def km_median(times: ArrayLike, observed: ArrayLike) -> float:
    """The first time at which S(t) <= 0.5, or NaN when the curve never gets there ("not reached")."""
    q, s = km_curve(times, observed)
    hit = np.flatnonzero(s <= 0.5 + 1e-12)
    return float(q[hit[0]]) if len(hit) else math.nan


def logrank(t1: ArrayLike, e1: ArrayLike, t2: ArrayLike, e2: ArrayLike) -> tuple[float, float]:
    """Log-rank test of arm 1 against arm 2: (p, z). z > 0 means arm 1 fails sooner than expected.

    NaN when an arm is empty or no run in either arm failed (the test has nothing to compare).
    """
    a1, a2 = np.asarray(e1, dtype=bool), np.asarray(e2, dtype=bool)
    if len(a1) == 0 or len(a2) == 0 or not (a1.any() or a2.any()):
        return (math.nan, math.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.logrank(censored(t1, a1), censored(t2, a2))
    return (float(res.pvalue), float(res.statistic))


def smallest_p(n1: int, n2: int) -> float:
    """The smallest p-value any rank or exact test can give for arms of n1 and n2 runs: 1 / C(n1+n2, n1).

    It is the probability of the single most extreme split (every run of one arm beats every run of
    the other). With 3 runs per arm that is 1/20 = 0.05, so no difference can ever reach p < 0.05.
    """
    if n1 <= 0 or n2 <= 0:
        return 1.0
    return 1.0 / math.comb(int(n1) + int(n2), int(n1))


def enough_evidence(n1: int, n2: int, m: int = 1, alpha: float = ALPHA) -> bool:
    """Whether a comparison of n1 against n2 runs, Holm-corrected over m comparisons, could be significant:
    both arms have at least MIN_RUNS runs and m * smallest_p(n1, n2) < alpha."""
    return min(n1, n2) >= MIN_RUNS and max(m, 1) * smallest_p(n1, n2) < alpha


def _finite(values: ArrayLike) -> np.ndarray:
    a = np.asarray(values, dtype=float).ravel()
    return a[np.isfinite(a)]

"""Basic statistics: binomial intervals, Fisher's exact test, t intervals and Kaplan-Meier curves.

Each function takes plain arrays and returns plain numbers; scipy does the work wherever it can.
Every function returns NaN (never raises) when its input is too small to say anything.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

LEVEL = 0.95


@lru_cache(maxsize=65536)  # integer arguments: a sweep (or a null simulation) asks the same few again and again
def proportion_ci(k: int, n: int, level: float = LEVEL, method: str = "wilson") -> tuple[float, float]:
    """Interval for a binomial proportion k/n (Wilson score by default, or "exact" = Clopper-Pearson)."""
    if n <= 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method=method)
    return (float(ci.low), float(ci.high))


@lru_cache(maxsize=65536)
def fisher_p(k1: int, n1: int, k2: int, n2: int, alternative: str = "two-sided") -> float:
    """Fisher exact test of k1/n1 against k2/n2 (``alternative="greater"``: is k1/n1 the larger rate);
    NaN when an arm is empty."""
    if n1 <= 0 or n2 <= 0:
        return math.nan
    table = [[int(k1), int(n1 - k1)], [int(k2), int(n2 - k2)]]
    return float(stats.fisher_exact(table, alternative=alternative).pvalue)


def t_mean_ci(values: ArrayLike, level: float = LEVEL,
              bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float, float]:
    """(mean, low, high): the mean across seeds with a Student t interval (mean +- t_{n-1} s / sqrt(n)),
    cut to ``bounds``, the range the mean can take (0 and up for a count).

    Why t and not a percentile bootstrap: at n = 5 the percentile bootstrap covers about 85%, the t
    interval its stated level for normal-ish seeds. Cutting it to the mean's range cannot lower its
    coverage (the true mean is inside the range) and keeps a count's interval from reading "-57 modes".
    Non-finite values are dropped; one value gives (v, NaN, NaN); identical values give (v, v, v).
    """
    a = finite(values)
    if len(a) == 0:
        return (math.nan, math.nan, math.nan)
    if np.ptp(a) == 0:  # a.mean() and a.std() of equal floats can be off in the last bit
        v = float(a[0])
        return (v, math.nan, math.nan) if len(a) == 1 else (v, v, v)
    mean = float(a.mean())
    half = float(stats.t.ppf(0.5 + level / 2, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    # min/max with the mean: a float sum a hair outside the range (a KL of -1e-17) keeps mean inside its interval
    return (mean, max(mean - half, min(bounds[0], mean)), min(mean + half, max(bounds[1], mean)))


@lru_cache(maxsize=64)
def z_two_sided(level: float) -> float:
    """The normal quantile of a two-sided interval at ``level`` (1.96 at 0.95)."""
    return float(stats.norm.ppf(0.5 + level / 2))


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


def finite(values: ArrayLike) -> np.ndarray:
    """The finite values of ``values`` as a flat float array."""
    a = np.asarray(values, dtype=float).ravel()
    return a[np.isfinite(a)]

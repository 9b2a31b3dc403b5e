"""Effect sizes with confidence intervals: what a difference is, not only whether there is one.

- ``rate_difference``: p1 - p2 with Newcombe's hybrid (Wilson) score interval.
- ``hodges_lehmann``: the median pairwise shift x - y with its exact distribution-free interval;
  ``ratio`` is the same on the log scale (for counts such as modes).
- ``rmst_difference``: the difference in restricted mean survival time up to tau, with a normal interval
  from the Greenwood-type variance of each arm's area under the Kaplan-Meier curve.
- ``prob_improvement``: P(X > Y) + P(X = Y)/2 = U / (n1 n2) with Newcombe's score interval (his method 5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from ganlab.stats.basic import LEVEL, finite, km_curve, proportion_ci, z_two_sided
from ganlab.stats.exact import EXACT_MAX_RUNS, u_null_pmf


@dataclass(frozen=True)
class Effect:
    """An effect estimate with its interval at ``level``. NaN estimate: not computable (an empty arm)."""

    kind: str  # "rate difference", "shift", "ratio", "RMST difference", "P(improvement)"
    estimate: float
    lo: float
    hi: float
    level: float = LEVEL


def rate_difference(k1: int, n1: int, k2: int, n2: int, level: float = LEVEL) -> Effect:
    """k1/n1 - k2/n2 with Newcombe's (1998, method 10) hybrid score interval built from two Wilson intervals."""
    if n1 <= 0 or n2 <= 0:
        return Effect("rate difference", math.nan, math.nan, math.nan, level)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = proportion_ci(k1, n1, level)
    l2, u2 = proportion_ci(k2, n2, level)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Effect("rate difference", d, lo, hi, level)


def hodges_lehmann(x: ArrayLike, y: ArrayLike, level: float = LEVEL, kind: str = "shift") -> Effect:
    """Median of the n1 n2 differences x_i - y_j with the exact interval [D_(k), D_(n1 n2 + 1 - k)].

    k - 1 is the largest u with P(U <= u) <= (1 - level) / 2 under the exact null of U (no ties), so the
    interval covers at least ``level`` for any continuous shift model. Too few runs for that (3 vs 3 at
    95%) give an unbounded interval (-inf, inf). Above ``EXACT_MAX_RUNS`` runs the exact table of U (its
    cells grow as the fourth power of the runs) gives way to U's normal approximation with a continuity
    correction, P(U <= u) ~ Phi((u + 1/2 - mn/2) / sqrt(mn (m + n + 1) / 12)), which at that size picks the
    same k or one beside it (tests/stats/test_effects.py).
    """
    a, b = finite(x), finite(y)
    if len(a) == 0 or len(b) == 0:
        return Effect(kind, math.nan, math.nan, math.nan, level)
    d = np.sort(np.subtract.outer(a, b).ravel())
    k = _hl_rank(len(a), len(b), level)
    lo, hi = (float(d[k - 1]), float(d[len(d) - k])) if k >= 1 else (-math.inf, math.inf)
    return Effect(kind, float(np.median(d)), lo, hi, level)


def _hl_rank(m: int, n: int, level: float) -> int:
    """k of the Hodges-Lehmann interval [D_(k), D_(mn + 1 - k)]: (largest u with P(U <= u) <= (1 - level) / 2)
    + 1, from U's exact null, or its normal approximation above ``EXACT_MAX_RUNS`` runs."""
    if m + n <= EXACT_MAX_RUNS:
        cdf = np.cumsum(u_null_pmf(m, n))
        return int(np.sum(cdf <= (1 - level) / 2 + 1e-12))
    return hl_rank_normal(m, n, level)


def hl_rank_normal(m: int, n: int, level: float) -> int:
    """``_hl_rank`` from U's normal approximation: the largest u with Phi((u + 1/2 - mn/2) / sd) <= (1 - level)
    / 2, sd^2 = mn (m + n + 1) / 12, plus 1 (0: the interval is unbounded)."""
    sd = math.sqrt(m * n * (m + n + 1) / 12)
    return max(0, math.floor(m * n / 2 - z_two_sided(level) * sd - 0.5) + 1)


def ratio(x: ArrayLike, y: ArrayLike, level: float = LEVEL) -> Effect:
    """Ratio of typical values for a count metric: exp of the Hodges-Lehmann shift of log(1 + value).

    The +1 keeps a collapsed run with 0 modes defined; for counts in the tens or hundreds it changes the
    ratio by well under 1%. The interval is the exact HL interval mapped back, so it keeps its coverage.
    """
    shift = hodges_lehmann(np.log1p(finite(x)), np.log1p(finite(y)), level)
    est, lo, hi = (float(np.exp(v)) for v in (shift.estimate, shift.lo, shift.hi))
    return Effect("ratio", est, lo, hi, level)


def rmst(times: ArrayLike, observed: ArrayLike, tau: float) -> tuple[float, float]:
    """(RMST, variance): the area under the Kaplan-Meier curve on [0, tau] and its Greenwood-type variance
    sum_k A_k^2 d_k / (n_k (n_k - d_k)), A_k the area from event time t_k to tau."""
    t = np.asarray(times, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if len(t) == 0:
        return math.nan, math.nan
    q, s = km_curve(t, e)
    keep = q < tau
    knots = np.r_[0.0, q[keep], tau]
    level = np.r_[1.0, s[keep]]
    pieces = np.diff(knots) * level  # area of each step of the curve
    area = float(pieces.sum())
    var = 0.0
    for i, u in enumerate(q[keep]):
        d, n = np.sum(e & (t == u)), np.sum(t >= u)
        if d and n > d:
            var += float(pieces[i + 1:].sum()) ** 2 * d / (n * (n - d))
    return area, var


def rmst_difference(t1: ArrayLike, e1: ArrayLike, t2: ArrayLike, e2: ArrayLike, tau: float,
                    level: float = LEVEL) -> Effect:
    """RMST(arm 1) - RMST(arm 2) up to tau (steps), normal interval with the summed variances."""
    a1, v1 = rmst(t1, e1, tau)
    a2, v2 = rmst(t2, e2, tau)
    half = z_two_sided(level) * math.sqrt(v1 + v2)
    return Effect("RMST difference", a1 - a2, a1 - a2 - half, a1 - a2 + half, level)


def prob_improvement(u: float, n1: int, n2: int, level: float = LEVEL) -> Effect:
    """theta = U / (n1 n2) = P(X > Y) + P(X = Y) / 2 with Newcombe's (2006) method-5 score interval.

    The interval solves (theta_hat - theta)^2 = z^2 V(theta) on each side, with the Hanley-McNeil variance
    V(theta) = theta (1 - theta) / (n1 n2) * [1 + (N* - 1) ((1 - theta) / (2 - theta) + theta / (1 + theta))],
    N* = (n1 + n2) / 2. Unlike a Wald interval it stays inside [0, 1] and does not collapse at 0 or 1.
    tests/stats/test_effects.py checks its coverage by simulation.
    """
    if n1 <= 0 or n2 <= 0 or math.isnan(u):
        return Effect("P(improvement)", math.nan, math.nan, math.nan, level)
    theta = u / (n1 * n2)
    z2 = z_two_sided(level) ** 2
    n_star = (n1 + n2) / 2

    def gap(th: float) -> float:
        v = th * (1 - th) / (n1 * n2) * (1 + (n_star - 1) * ((1 - th) / (2 - th) + th / (1 + th)))
        return (theta - th) ** 2 - z2 * v

    # gap > 0 far from theta_hat, < 0 just beside it (V > 0 inside (0, 1)): one root on each side.
    below, above = theta * (1 - 1e-9), theta + (1 - theta) * 1e-9
    lo = optimize.brentq(gap, 0.0, below) if theta > 0 and gap(0.0) > 0 else 0.0
    hi = optimize.brentq(gap, above, 1.0) if theta < 1 and gap(1.0) > 0 else 1.0
    return Effect("P(improvement)", theta, float(lo), float(hi), level)

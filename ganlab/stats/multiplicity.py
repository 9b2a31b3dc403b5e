"""Multiple-comparison adjustments: Holm (family-wise error) and Benjamini-Hochberg (false discovery rate).

Both take raw p-values and return adjusted ones in the input order; NaN entries stay NaN and do not count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

Correction = Literal["holm", "bh"]


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm-Bonferroni: with m valid p-values sorted ascending, p_(i) -> max_{j<=i} min(1, (m - j + 1) p_(j))."""
    def step_down(sorted_p: np.ndarray) -> np.ndarray:
        m = len(sorted_p)
        return np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * sorted_p))

    return _on_sorted(pvalues, step_down)


def bh(pvalues: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg: p_(i) -> min_{j>=i} min(1, m p_(j) / j) (step-up)."""
    def step_up(sorted_p: np.ndarray) -> np.ndarray:
        m = len(sorted_p)
        return np.minimum.accumulate(np.minimum(1.0, m * sorted_p / np.arange(1, m + 1))[::-1])[::-1]

    return _on_sorted(pvalues, step_up)


def adjust(pvalues: ArrayLike, method: Correction) -> np.ndarray:
    """``holm`` or ``bh`` by name (the analysis plan's ``correction``)."""
    return {"holm": holm, "bh": bh}[method](pvalues)


def best_adjusted(floor: float, m: int, method: Correction) -> float:
    """The smallest adjusted p a comparison can get when its raw p is at its floor, in a family of m.

    Holm's first step multiplies by m whatever the others do; BH can at best leave the floor as it is
    (when every p in the family is at the floor).
    """
    return min(1.0, floor * max(m, 1)) if method == "holm" else floor


def _on_sorted(pvalues: ArrayLike, adjust_sorted: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``adjust_sorted`` to the valid p-values in ascending order; results back in input order."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    if len(valid):
        order = valid[np.argsort(p[valid], kind="stable")]
        out[order] = adjust_sorted(p[order])
    return out

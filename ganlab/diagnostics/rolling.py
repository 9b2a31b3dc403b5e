"""Rolling windows that give the same numbers on a slice of a log as on the whole log.

An incremental detector recomputes only the last rows of a rolling statistic, so the batch detectors and
the incremental ones share these. A rolling *median* depends on the window's values alone, so pandas
gives the same number on a slice as on the whole series. pandas' rolling *mean* carries a running sum
from the series' start (its last bits depend on everything before), so ``centred_mean`` sums each
window on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def trailing_median(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    return pd.Series(x).rolling(window, min_periods=min_periods).median().to_numpy()


def centred_median(x: np.ndarray, window: int) -> np.ndarray:
    """pandas' centred median, ``min_periods=1``: row i reads rows i - window//2 .. i + (window-1)//2."""
    return pd.Series(x).rolling(window, center=True, min_periods=1).median().to_numpy()


def forward_median(x: np.ndarray, window: int) -> np.ndarray:
    """Median of rows i .. i + window - 1 (fewer at the end), ``min_periods=1``."""
    return pd.Series(x[::-1]).rolling(window, min_periods=1).median().to_numpy()[::-1]


def centred_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of the non-NaN values of rows i - window//2 .. i + (window-1)//2 (NaN when there are none),
    each window summed on its own, so a slice gives the same bits as the whole series."""
    if len(x) == 0:
        return np.array([], dtype=np.float64)
    padded = np.concatenate((np.full(window // 2, np.nan), x, np.full((window - 1) // 2, np.nan)))
    view = np.lib.stride_tricks.sliding_window_view(padded, window)
    known = ~np.isnan(view)
    count = known.sum(axis=1)
    total = np.where(known, view, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)



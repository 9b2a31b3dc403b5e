"""Reference implementations the tests check ganlab against, wrapped where they are slow for a reason that
changes no result."""

from __future__ import annotations

from typing import Any
from unittest import mock

from statsmodels.stats import multitest


def multipletests(pvals: Any, alpha: float = 0.05, method: str = "hs") -> Any:
    """``statsmodels.stats.multitest.multipletests``. Its Holm branch ends every call with ``gc.collect()``:
    in a test process that holds torch and thousands of objects, about 0.1 s a call, most of the time of the
    tests that check ganlab's decision rules against it table by table. A collection changes no result."""
    with mock.patch("gc.collect", return_value=0):
        return multitest.multipletests(pvals, alpha=alpha, method=method)

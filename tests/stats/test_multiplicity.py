"""Holm and Benjamini-Hochberg against statsmodels' multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganlab.stats.multiplicity import adjust, best_adjusted
from tests.reference import multipletests


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
@given(p=st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_matches_statsmodels(ours, theirs, p):
    ref = multipletests(p, method=theirs)[1]  # tests.reference: without its gc.collect() per call
    assert adjust(p, ours) == pytest.approx(ref, abs=1e-12)


def test_nan_entries_do_not_count():
    out = adjust([np.nan, 0.01, 0.02], "holm")
    assert np.isnan(out[0]) and out[1:] == pytest.approx([0.02, 0.02])


@given(st.floats(1e-6, 1), st.integers(1, 50))
def test_best_adjusted_is_what_the_procedure_gives_when_all_sit_at_the_floor(floor, m):
    for method in ("holm", "bh"):
        assert adjust([floor] * m, method).min() == pytest.approx(best_adjusted(floor, m, method))  # type: ignore[arg-type]

"""Property: a logger's (step, tag, value) stream becomes one row per step whose cells are each tag's last
value at that step, NaN and Inf kept (what the TensorBoard and MLflow readers hand the detectors)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from ganlab.diagnostics.sources.tensorboard import wide

values = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.just(math.nan))
records = st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["Loss_D", "Loss_G", "D(x)", "loss/d"]), values),
                   min_size=1, max_size=60)


@given(records)
def test_wide_keeps_each_tags_last_value_per_step(rows: list[tuple[int, str, float]]) -> None:
    frame = wide(pd.DataFrame(rows, columns=["step", "tag", "value"]), Path("log"))
    last = {(step, tag): value for step, tag, value in rows}
    assert frame["step"].tolist() == sorted({step for step, _, _ in rows})
    for (step, tag), value in last.items():
        cell = frame.loc[frame["step"] == step, tag].iloc[0]
        assert (math.isnan(cell) and math.isnan(value)) or cell == value
    assert sorted(frame.columns[1:]) == sorted({tag for _, tag, _ in rows})
    logged = {(s, t) for s, t, _ in rows}
    for tag in frame.columns[1:]:
        for step in frame["step"]:
            if (step, tag) not in logged:
                assert math.isnan(frame.loc[frame["step"] == step, tag].iloc[0])

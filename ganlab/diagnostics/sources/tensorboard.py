"""A TensorBoard event directory as a wide log, read with tbparse (every scalar kept, NaN included)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ganlab.errors import DataError

EXTRA = "pip install 'ganlab[tensorboard]'"


def wide(long: pd.DataFrame, source: Path, key: str = "tag") -> pd.DataFrame:
    """``step, <key>, value`` rows -> one row per step, one column per tag (the last value of a step wins)."""
    if long.empty:
        raise DataError(f"{source}: no scalars in this log")
    long = long.drop_duplicates(["step", key], keep="last")
    frame = long.pivot(index="step", columns=key, values="value").sort_index()
    frame.columns = [str(c) for c in frame.columns]
    return frame.drop(columns=["step"], errors="ignore").reset_index()  # a scalar tagged "step" is the index


def read_tensorboard(path: Path) -> pd.DataFrame:
    """The scalars of the event files in ``path`` (not its subfolders), one column per tag."""
    try:
        from tbparse import SummaryReader
    except ImportError:
        raise DataError(f"{path}: reading TensorBoard logs needs tbparse; {EXTRA}") from None
    try:
        scalars = SummaryReader(str(path), pivot=False).scalars
    except Exception as err:  # a truncated or foreign event file: one line, not a protobuf traceback
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: cannot read the TensorBoard event files: {first}") from None
    if "tag" not in scalars.columns:
        raise DataError(f"{path}: no scalars in the TensorBoard event files")
    return wide(scalars[["step", "tag", "value"]], path)

"""``non_finite``: a NaN or Inf in any numeric column of the log (losses, gradient norms, D outputs).

NaN never heals: once a weight is NaN every later step is NaN, so this detector reports only the
first step and the first offending column, which is where a person should start looking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ganlab.diagnostics.log import REQUIRED_COLUMNS
from ganlab.schema import Event, EventKind, Severity

if TYPE_CHECKING:
    from ganlab.config.diagnostics import DiagnosticsConfig

ADVICE = "lower the learning rates or clip gradients, and check the data for NaN"


COLUMNS = REQUIRED_COLUMNS[1:]  # every per-step value, in schema order


def non_finite(log: pd.DataFrame, config: DiagnosticsConfig) -> list[Event]:
    """The first row with a NaN/Inf in a per-step column; its first such column (schema order)."""
    columns = [c for c in COLUMNS if c in log.columns]
    if not columns or log.empty:
        return []
    bad = ~np.isfinite(log[columns].to_numpy(dtype=np.float64))
    bad_rows = np.flatnonzero(bad.any(axis=1))
    if len(bad_rows) == 0:
        return []
    first = int(bad_rows[0])
    column = columns[int(np.argmax(bad[first]))]
    steps = log["step"].to_numpy()
    return [event(int(steps[first]), column, float(log[column].iloc[first]), len(bad_rows),
                  int(steps[bad_rows[-1]]))]


def event(step: int, column: str, value: float, rows: int, until: int) -> Event:
    """The ``non_finite`` event: the first bad ``value`` in ``column`` at ``step``; ``rows`` bad rows to ``until``."""
    evidence: dict[str, Any] = {"column": column, "value": str(value), "rows": rows, "until": until}
    message = f"{value} in {column} at step {step}: {ADVICE}"
    return Event(EventKind.NON_FINITE, step, Severity.FAILURE, evidence, message)


def with_tensor(events: list[Event], tensor: str | None, step: int | None, last_step: int | None) -> list[Event]:
    """Name the trainer's first non-finite tensor in the non_finite event.

    The trainer checks parameters and G's output too, and may stop before a NaN reaches the log;
    then the event is built from the context alone, at ``step`` (or the last logged step).
    """
    if not tensor:
        return events
    out = [e for e in events if e.kind != EventKind.NON_FINITE]
    found = [e for e in events if e.kind == EventKind.NON_FINITE]
    if found:
        e = found[0]
        evidence = {**e.evidence, "tensor": tensor}
        where = f" (first non-finite tensor: {tensor})" if tensor != e.evidence["column"] else ""
        message = f"{e.evidence['value']} in {e.evidence['column']} at step {e.step}{where}: {ADVICE}"
        return [*out, Event(e.kind, e.step, e.severity, evidence, message)]
    at = step if step is not None else last_step
    if at is None:
        return events
    message = f"non-finite {tensor} at step {at}: {ADVICE}"
    return [*out, Event(EventKind.NON_FINITE, at, Severity.FAILURE, {"tensor": tensor, "until": at}, message)]

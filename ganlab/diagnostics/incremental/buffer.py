"""The metrics log held as growing columns, exactly as ``prepare`` would return it, plus the primitives
the incremental detectors share: growing arrays, running maxima with a carry, recomputing the tail of a
rolling window (``ganlab.diagnostics.rolling``), and a tracker of runs of True that only looks at what changed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from ganlab.diagnostics.log import KNOWN_COLUMNS, prepare


class Grow:
    """A 1-d numpy array that grows at the end (amortised O(1)); ``view`` is the filled part."""

    def __init__(self, dtype: Any = np.float64, fill: Any = np.nan):
        self.dtype, self.fill = np.dtype(dtype), fill
        self._data = np.full(64, fill, dtype=self.dtype)
        self.n = 0

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.n]

    def put(self, start: int, values: np.ndarray) -> None:
        """Write ``values`` at ``start`` (<= n), growing to ``start + len(values)`` if needed."""
        end = start + len(values)
        if end > len(self._data):
            grown = np.full(max(end, 2 * len(self._data)), self.fill, dtype=self.dtype)
            grown[: self.n] = self._data[: self.n]
            self._data = grown
        self._data[start:end] = values
        self.n = max(self.n, end)

    def last(self, default: Any) -> Any:
        return self._data[self.n - 1] if self.n else default


def to_number(value: Any) -> float:
    """One log value as ``prepare`` reads it: numbers as floats, text parsed, anything else NaN."""
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, str):
        return float(pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0])
    if hasattr(value, "item"):  # a 0-d tensor or array
        try:
            return float(value.item())
        except (TypeError, ValueError):
            return math.nan
    return math.nan


class LogBuffer:
    """The log so far: schema columns only, one row per step in step order, as ``prepare`` gives it.

    ``add`` appends rows (mappings; extra keys ignored, missing keys NaN) and says whether everything
    derived from the log must be rebuilt: a schema column appeared that earlier rows lack (they read
    NaN in it now), or a step arrived that is not after the last one (a resumed run rewrote its steps:
    the last row written for a step wins, as in ``prepare``). Both are rare; appending is the rule.
    """

    def __init__(self) -> None:
        self.n = 0
        self.steps = Grow(np.int64, 0)
        self.columns = {c: Grow() for c in KNOWN_COLUMNS if c != "step"}
        self.present: set[str] = set()  # columns some row had (prepare keeps exactly these)
        self.seen: set[str] = set()  # columns with at least one non-NaN value (``log.has``)
        self._diffs: Counter[int] = Counter()

    def col(self, name: str) -> np.ndarray:
        return self.columns[name].view

    def add(self, rows: Iterable[Mapping[str, Any]]) -> bool:
        """Append ``rows``; True when the derived state must be rebuilt from the whole log."""
        rows = list(rows)
        if not rows:
            return False
        keys = {k for row in rows for k in row if k in KNOWN_COLUMNS}
        appeared = bool(keys - self.present - {"step"})
        self.present |= keys
        steps = [to_number(row.get("step")) for row in rows]
        kept = [(s, row) for s, row in zip(steps, rows, strict=True) if math.isfinite(s)]
        last = self.steps.last(None)
        ordered = all(b > a for (a, _), (b, _) in zip(kept, kept[1:], strict=False))
        if not ordered or (kept and last is not None and int(kept[0][0]) <= last):
            self._reload(rows)
            return True
        if not kept:
            return appeared
        steps_new = np.array([int(s) for s, _ in kept], dtype=np.int64)
        previous = np.concatenate(([self.steps.last(0)], steps_new[:-1])) if self.n else steps_new[:-1]
        self._diffs.update((steps_new[-len(previous):] - previous).tolist() if len(previous) else [])
        self.steps.put(self.n, steps_new)
        for name, column in self.columns.items():
            if name not in self.present:
                column.put(self.n, np.full(len(kept), np.nan))
                continue
            values = np.array([to_number(row[name]) if name in row else math.nan for _, row in kept])
            column.put(self.n, values)
            if name not in self.seen and not np.isnan(values).all():
                self.seen.add(name)
        self.n += len(kept)
        return appeared

    def _reload(self, rows: list[Mapping[str, Any]]) -> None:
        """Re-read the whole log through ``prepare`` (out-of-order or repeated steps)."""
        frame = prepare(pd.concat([self.frame(), pd.DataFrame.from_records(rows)], ignore_index=True))
        present = self.present
        self.__init__()  # type: ignore[misc]
        self.present = present
        self.add([{str(k): v for k, v in row.items()} for row in frame.to_dict("records")])

    def stride(self) -> float:
        """``log.stride`` of the steps so far, from the histogram of step differences."""
        total = sum(self._diffs.values())
        if total == 0:
            return 1.0
        ordered = sorted(self._diffs.items())

        def kth(k: int) -> int:
            for value, count in ordered:
                k -= count
                if k < 0:
                    return value
            raise AssertionError("unreachable")

        middle = float(kth(total // 2)) if total % 2 else (kth(total // 2 - 1) + kth(total // 2)) / 2
        return max(1.0, middle)

    def frame(self) -> pd.DataFrame:
        """The log as ``prepare`` returns it (present schema columns, in schema order)."""
        data: dict[str, np.ndarray] = {"step": self.steps.view.copy()}
        for name in KNOWN_COLUMNS[1:]:
            if name in self.present:
                data[name] = self.col(name).copy()
        return pd.DataFrame(data)


def running_max(values: np.ndarray, carry: float) -> tuple[np.ndarray, float]:
    """pandas' ``cummax`` (NaN rows stay NaN) continued from ``carry`` (the max so far, NaN if none)."""
    filled = np.where(np.isnan(values), -np.inf, values)
    start = -np.inf if math.isnan(carry) else carry
    acc = np.maximum.accumulate(np.concatenate(([start], filled)))[1:]
    out = np.where(np.isnan(values), np.nan, acc)
    top = float(acc[-1]) if len(acc) else start
    return out, (math.nan if top == -np.inf else top)


def tail(compute: Any, x: np.ndarray, start: int, lookback: int) -> np.ndarray:
    """``compute(x)[start:]``, computed on ``x[start - lookback:]`` only (for slice-invariant windows)."""
    begin = max(0, start - lookback)
    return compute(x[begin:])[start - begin :]


class Runs:
    """Runs of True in a growing mask, bridging gaps of at most ``gap`` False rows (``log.true_runs``).

    ``update(mask, dirty)`` is told that rows before ``dirty`` did not change since the last call; it
    looks at the rows from there on and at most ``gap + 1`` rows before them.
    """

    def __init__(self, gap: int = 0):
        self.gap = gap
        self.first: list[int] = []
        self.last: list[int] = []
        self.changed = 0  # index of the first run the last update removed, cut, grew or added

    def update(self, mask: np.ndarray, dirty: int) -> None:
        while self.first and self.first[-1] >= dirty:
            self.first.pop()
            self.last.pop()
        self.changed = len(self.first)
        if self.first and self.last[-1] >= dirty:
            self.changed -= 1
            # The run's Trues are at most gap + 1 apart and it had one at or after `dirty`, so its
            # last True before `dirty` is among the gap + 1 rows before it.
            lo = max(self.first[-1], dirty - self.gap - 1)
            self.last[-1] = lo + int(np.flatnonzero(mask[lo:dirty])[-1])
        trues = np.flatnonzero(mask[dirty:]) + dirty
        if not len(trues):
            return
        split = np.flatnonzero(np.diff(trues) - 1 > self.gap) + 1
        firsts = trues[np.concatenate(([0], split))]
        lasts = trues[np.concatenate((split - 1, [len(trues) - 1]))]
        start = 0
        if self.first and firsts[0] - self.last[-1] - 1 <= self.gap:
            self.last[-1] = int(lasts[0])
            self.changed = min(self.changed, len(self.first) - 1)
            start = 1
        self.first.extend(int(f) for f in firsts[start:])
        self.last.extend(int(v) for v in lasts[start:])

    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.first, self.last, strict=True))

"""The metrics log as detectors see it: schema constants, normalisation, reading from disk, windows.

The schema is ``docs/metrics-schema.md``. Windows in the config are in *steps*; logs may have a row
every ``log_every`` steps, so helpers here turn step counts into row counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ganlab.diagnostics.columns import canonical_names, missing_message, required_columns
from ganlab.errors import DataError
from ganlab.schema import EVAL_COLUMNS, EVENT_KINDS, EventKind
from ganlab.schema import LOG_COLUMNS as REQUIRED_COLUMNS  # the trainer's columns; a detector needs fewer

SCHEMA_DOC = "docs/metrics-schema.md"
# Steps are read as float64 (a log may hold NaN) and named as int64: beyond 2**53 neither is exact, and
# past int64 an onset would read as -9223372036854775808.
MAX_STEP = 2**53
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *EVAL_COLUMNS)  # what ``prepare`` keeps, in file order


def prepare(log: pd.DataFrame) -> pd.DataFrame:
    """Schema columns only, numeric, sorted by step, one row per step (the last one written wins).

    Extra columns are dropped; values that are not numbers become NaN. A log without ``step`` is a
    DataError because no onset could be named.
    """
    if "step" not in log.columns:
        if len(log.columns) == 0:
            return pd.DataFrame({"step": pd.Series([], dtype="int64")})
        raise DataError(f"metrics log has no 'step' column; see {SCHEMA_DOC}")
    known = [c for c in KNOWN_COLUMNS if c in log.columns]
    frame = log[known]
    text = [c for c in known if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:  # only convert what needs it: this runs on every online check
        frame = frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in text})
    frame = frame.astype("float64")
    frame = frame[np.isfinite(frame["step"].to_numpy())]
    frame["step"] = frame["step"].astype("int64")
    if not frame["step"].is_monotonic_increasing or frame["step"].duplicated().any():
        # A resumed run may rewrite steps after its checkpoint: keep the latest row for each step.
        frame = frame.drop_duplicates("step", keep="last").sort_values("step", kind="stable")
    return frame.reset_index(drop=True)


def read_log(path: str | Path, detectors: Sequence[EventKind] = EVENT_KINDS,
             mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a metrics log from ``.parquet`` or ``.csv`` and check it against the schema.

    Columns under a known other name (``lossD``, ``Loss_D``, ``D(x)``; ``ganlab.diagnostics.columns``)
    or named in ``mapping`` (schema column -> the log's name) are renamed to the schema's names. Only
    the columns some detector of ``detectors`` needs are required (``step`` always).
    Raises ``DataError`` (one line) for a missing file, an unknown suffix, an unreadable file, a
    missing required column (naming the detector that needs it and the nearest name), no rows, a row
    without a step, or a value that is not a number (naming the column and row). NaN and Inf are
    numbers here: they are what the ``non_finite`` detector reports. Extra columns are kept here;
    ``prepare`` drops them.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            log = pd.read_parquet(path)
        elif suffix == ".csv":
            log = pd.read_csv(path, float_precision="round_trip")  # the exact floats a parquet log holds
        else:
            raise DataError(f"{path}: unknown metrics file type {suffix!r}; expected .parquet or .csv")
    except DataError:
        raise
    except Exception as err:  # pyarrow and the CSV parser raise many types; the user needs one line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: cannot read metrics log: {first}") from None
    log = with_schema_names(log, str(path), detectors, mapping)
    _check_values(path, log, first_line=2 if suffix == ".csv" else None)
    return log


def check_log(log: pd.DataFrame, source: str, detectors: Sequence[EventKind] = EVENT_KINDS,
              mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A log read from elsewhere (TensorBoard, MLflow, W&B) checked as ``read_log`` checks a file's."""
    log = with_schema_names(log, source, detectors, mapping)
    _check_values(Path(source), log, first_line=None)
    return log


def with_schema_names(log: pd.DataFrame, source: str, detectors: Sequence[EventKind] = EVENT_KINDS,
                      mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``log`` with known other names renamed to the schema's; DataError when ``step`` or a column an
    enabled detector needs is missing (one line naming the detector and the nearest name found)."""
    names = [str(c) for c in log.columns]
    unknown = [c for c in (mapping or {}) if c not in KNOWN_COLUMNS]
    if unknown:
        raise DataError(f"{source}: --map names {unknown[0]!r}, not a metrics column; "
                        f"valid: {', '.join(KNOWN_COLUMNS)}")
    absent = [(c, n) for c, n in (mapping or {}).items() if n not in names]
    if absent:
        column, name = absent[0]
        raise DataError(f"{source}: --map {column}={name}: the log has no {name!r}; it has "
                        + ", ".join(map(repr, names[:12])) + (" ..." if len(names) > 12 else ""))
    renames = canonical_names(names, KNOWN_COLUMNS, mapping)
    if renames:
        log = log.drop(columns=[c for c in renames.values() if c in log.columns]).rename(columns=renames)
    needed: dict[str, EventKind | None] = {"step": None, **required_columns(detectors)}
    missing = {c: k for c, k in needed.items() if c not in log.columns}
    if missing:
        raise DataError(missing_message(source, missing, names, SCHEMA_DOC))
    return log


def _check_values(path: Path, log: pd.DataFrame, first_line: int | None) -> None:
    """DataError naming the file, column and row of the first value a detector could not read."""
    def where(i: int) -> str:
        return f"row {i + 1}" + (f" (line {i + first_line})" if first_line is not None else "")

    if log.empty:
        raise DataError(f"{path}: no rows, only a header; a metrics log needs one row per logged step "
                        f"(see {SCHEMA_DOC})")
    for column in [c for c in (*REQUIRED_COLUMNS, *EVAL_COLUMNS) if c in log.columns]:
        values = log[column]
        if pd.api.types.is_bool_dtype(values) or not (pd.api.types.is_numeric_dtype(values)
                                                      or values.dtype == object):
            raise DataError(f"{path}: column {column!r} holds {values.dtype} values, not numbers (see {SCHEMA_DOC})")
        numbers = pd.to_numeric(values, errors="coerce") if values.dtype == object else values
        text = np.flatnonzero((numbers.isna() & values.notna()).to_numpy())
        if len(text):
            shown = str(values.iloc[text[0]])[:40]
            raise DataError(f"{path}: column {column!r} {where(int(text[0]))} holds {shown!r}, not a number; "
                            f"write NaN for a missing value (see {SCHEMA_DOC})")
        if column == "step":
            no_step = np.flatnonzero(~np.isfinite(numbers.to_numpy(dtype="float64")))
            if len(no_step):
                raise DataError(f"{path}: column 'step' {where(int(no_step[0]))} is empty or not finite; "
                                "every row needs the step it was logged at")
            steps = numbers.to_numpy(dtype="float64")
            huge = np.flatnonzero(np.abs(steps) > MAX_STEP)
            if len(huge):
                shown = str(values.iloc[huge[0]])[:40]
                raise DataError(f"{path}: column 'step' {where(int(huge[0]))} holds {shown}, beyond the largest "
                                f"step a log may hold ({MAX_STEP:,} = 2**53); steps count training steps")


def stride(steps: np.ndarray) -> float:
    """Typical number of steps between rows (``train.log_every``), at least 1."""
    if len(steps) < 2:
        return 1.0
    return max(1.0, float(np.median(np.diff(steps))))


def rows(window_steps: float, step_stride: float) -> int:
    """Rows spanning ``window_steps`` steps, at least 1."""
    return max(1, int(round(window_steps / step_stride)))


def true_runs(mask: np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """Inclusive ``(first, last)`` row indices of runs of True, bridging gaps of at most ``max_gap`` rows.

    Bridging lets a noisy condition that flickers off for a row or two still count as one episode.
    """
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    edges = np.diff(np.concatenate(([0], m.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    if max_gap > 0 and len(starts) > 1:
        keep = (starts[1:] - ends[:-1] - 1) > max_gap  # gaps too long to bridge split episodes
        starts = np.concatenate((starts[:1], starts[1:][keep]))
        ends = np.concatenate((ends[:-1][keep], ends[-1:]))
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def span(steps: np.ndarray, first: int, last: int, step_stride: float) -> float:
    """Steps covered by rows ``first..last`` inclusive (a single row covers one stride)."""
    return float(steps[last] - steps[first]) + step_stride


def has(log: pd.DataFrame, *columns: str) -> bool:
    """True when every column is present and has at least one non-NaN value."""
    return all(c in log.columns and log[c].notna().any() for c in columns)

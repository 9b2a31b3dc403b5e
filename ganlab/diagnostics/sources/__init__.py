"""The logs people already have, as metrics logs: TensorBoard event directories (tbparse), MLflow file-store
runs (``mlruns/<exp>/<run>``), W&B history exports (CSV or parquet), and ganlab's own run directories.

``find_runs(path)`` lists the runs under a path (one, or one per seed or variant in a directory of many);
each ``Run.read()`` returns a wide DataFrame (``step`` and one column per scalar, under the log's own
names), which ``ganlab.diagnostics.log.check_log`` renames to the schema's names. The TensorBoard and
MLflow readers are optional extras (``pip install 'ganlab[tensorboard]'``, ``'ganlab[mlflow]'``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ganlab.errors import DataError
from ganlab.schema import METRICS_FILE

TB_PATTERN = "events.out.tfevents.*"
LOG_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class Run:
    """One run's log somewhere on disk: ``kind`` is ``ganlab``, ``file``, ``tensorboard`` or ``mlflow``."""

    path: Path
    kind: str

    def read(self) -> pd.DataFrame:
        return READERS[self.kind](self.path)


def is_mlflow_run(path: Path) -> bool:
    return (path / "meta.yaml").is_file() and (path / "metrics").is_dir()


def kind_of(path: Path) -> str | None:
    """What ``path`` holds as one run, or None."""
    if path.is_file():
        return "file" if path.suffix.lower() in LOG_SUFFIXES else None
    if (path / METRICS_FILE).is_file():
        return "ganlab"
    if is_mlflow_run(path):
        return "mlflow"
    if any(path.glob(TB_PATTERN)):
        return "tensorboard"
    return None


def find_runs(path: str | Path, skip: Path | None = None) -> list[Run]:
    """The runs at ``path``: itself when it is one, else every run below it (sorted by path), not looking
    inside ``skip`` (``ganlab collect``'s own output folder).

    Below a directory, a run's own folders are not searched again (a ganlab run's samples, an MLflow run's
    artifacts); loose CSV/parquet files count only when no other kind of run is there.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    kind = kind_of(path)
    if kind is not None:
        return [Run(path, kind)]
    if path.is_file():
        raise DataError(f"{path}: unknown metrics file type {path.suffix!r}; expected .parquet or .csv, "
                        "a run directory, a TensorBoard event directory or an MLflow run")
    runs: list[Run] = []
    files: list[Run] = []
    stack = [path]
    while stack:
        folder = stack.pop()
        for child in sorted(folder.iterdir()):
            if skip is not None and child.resolve() == skip.resolve():
                continue
            if child.is_dir():
                found = kind_of(child)
                if found is not None:
                    runs.append(Run(child, found))
                else:
                    stack.append(child)
            elif child.suffix.lower() in LOG_SUFFIXES:
                files.append(Run(child, "file"))
    found_runs = sorted(runs or files, key=lambda r: str(r.path))
    if not found_runs:
        raise DataError(f"{path}: no run found (no {METRICS_FILE}, TensorBoard event file, MLflow run or "
                        ".csv/.parquet log in it or below it)")
    return found_runs


def _tensorboard(path: Path) -> pd.DataFrame:
    from ganlab.diagnostics.sources.tensorboard import read_tensorboard

    return read_tensorboard(path)


def _mlflow(path: Path) -> pd.DataFrame:
    from ganlab.diagnostics.sources.mlflow import read_mlflow

    return read_mlflow(path)


READERS: dict[str, Callable[[Path], pd.DataFrame]] = {"tensorboard": _tensorboard, "mlflow": _mlflow}

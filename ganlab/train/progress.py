"""The live training display: step, loss_d, loss_g, D(x), D(G(z)), images/s. Silent off a terminal."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class TrainProgress:
    """Context manager; ``update`` is cheap and redraws at most a few times a second."""

    def __init__(self, total: int, start: int, batch_size: int, enabled: bool | None = None, label: str = "train"):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total, self.start, self.batch_size, self.label = total, start, batch_size, label
        self._last = 0.0
        self._progress: Progress | None = None

    def __enter__(self) -> TrainProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(self.label, total=self.total, completed=self.start, stats="")
            self._t0, self._s0 = time.perf_counter(), self.start
        return self

    def update(self, step: int, values: dict[str, float], force: bool = False) -> None:
        if self._progress is None:
            return
        now = time.perf_counter()
        if not force and now - self._last < 0.25:
            return
        self._last = now
        rate = (step - self._s0) * self.batch_size / max(now - self._t0, 1e-9)
        stats = (f"loss_d {values['loss_d']:.3f}  loss_g {values['loss_g']:.3f}  "
                 f"D(x) {values['d_real']:.3f}  D(G(z)) {values['d_fake']:.3f}  {rate:,.0f} img/s")
        self._progress.update(self._task, completed=step, stats=stats)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.__exit__(exc_type, exc, tb)

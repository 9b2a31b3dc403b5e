"""The sweep display: one overall bar (runs done / total, failed and errored so far, ETA) and a line per finished run.

On a terminal the lines scroll above a rich bar; elsewhere (CI logs, pipes) they are plain lines.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

_STYLE = {"completed": "green", "failed": "yellow", "error": "bold red", "pending": "dim"}


def run_line(row: Mapping[str, Any]) -> str:
    """``variant seed 0: completed (events: mode_collapse@120)`` plus the error or stop reason."""
    events = ", ".join(f"{e['kind']}@{e['step']}" for e in _events(row)) or "none"
    line = f"{row['variant']} seed {row['seed']}: {row['status']} ({row['steps_done']}/{row['steps_total']} steps; " \
           f"events: {events})"
    if row.get("error"):
        line += f": {row['error']} (log: {row.get('log_path')})"
    elif row.get("stop_reason"):
        line += f": {row['stop_reason']}"
    return line


def _events(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    import json

    try:
        return list(json.loads(row.get("events") or "[]"))
    except ValueError:
        return []


class SweepProgress:
    """Context manager; ``done(row)`` after each finished run."""

    def __init__(self, total: int, finished: int = 0, enabled: bool | None = None, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.finished, self.errors, self.failed = total, finished, 0, 0
        self._progress: Progress | None = None

    def __enter__(self) -> SweepProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                TextColumn("{task.fields[errors]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("sweep", total=self.total, completed=self.finished,
                                                 errors=self._errors_text())
        return self

    def _errors_text(self) -> str:
        errors = f"[red]{self.errors} error(s)[/]" if self.errors else "0 errors"
        return f"{self.failed} failed, {errors}"

    def note(self, message: str) -> None:
        if self._progress is not None:
            self._progress.console.print(escape(message))
        else:
            print(message, file=self.stream, flush=True)

    def done(self, row: Mapping[str, Any]) -> None:
        self.finished += 1
        self.errors += row["status"] == "error"
        self.failed += row["status"] == "failed"
        line = f"[{self.finished}/{self.total}] {run_line(row)}"
        if self._progress is not None:
            style = _STYLE.get(str(row["status"]), "")
            self._progress.console.print(f"[{style}]{escape(line)}[/]" if style else escape(line))
            self._progress.update(self._task, completed=self.finished, errors=self._errors_text())
        else:
            print(line, file=self.stream, flush=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.__exit__(exc_type, exc, tb)

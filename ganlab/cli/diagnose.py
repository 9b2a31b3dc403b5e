"""``ganlab diagnose PATH [--json]``: run the detectors on a finished (or running) run, or any metrics log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ganlab.schema import Severity

if TYPE_CHECKING:  # imported in the command: `ganlab --help` need not load pandas and the detectors
    from ganlab.schema import Event

SEVERITY_STYLE = {Severity.FAILURE: "bold red", Severity.WARNING: "yellow"}


def events_json(events: list[Event]) -> str:
    """Exactly ``{"events": [{kind, step, severity, evidence, message}, ...]}``."""
    return json.dumps({"events": [e.to_dict() for e in events]}, indent=2, allow_nan=False)


def print_table(events: list[Event], source: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not events:
        console.print(f"{source}: no events")
        return
    table = Table(title=str(source), title_justify="left")
    for name, justify in (("step", "right"), ("kind", "left"), ("severity", "left"), ("message", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in events:
        style = SEVERITY_STYLE.get(e.severity, "")
        table.add_row(str(e.step), e.kind, f"[{style}]{e.severity}[/]" if style else e.severity, e.message)
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("diagnose")
    def diagnose(
        path: Path = typer.Argument(..., help="A run directory, or a metrics .parquet/.csv file."),
        as_json: bool = typer.Option(False, "--json", help="Print the events as JSON."),
    ) -> None:
        """Find instabilities (NaN, D dominance, mode collapse, exploding gradients, oscillation) in a metrics log.

        Exits 0 whether or not events are found (it is a report); bad input exits 2.
        """
        from ganlab.diagnostics import diagnose_path

        events = diagnose_path(path)
        if as_json:
            typer.echo(events_json(events))
        else:
            print_table(events, path)

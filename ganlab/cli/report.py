"""``ganlab report SWEEP_DIR``: the HTML report of a sweep, with summary.md and summary.csv beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        sweep_dir: Annotated[Path, typer.Argument(help="Sweep folder written by `ganlab sweep`.")],
        output: Annotated[Path | None, typer.Option("-o", "--output", help="HTML file to write "
                                                    "(default reports/<sweep name>.html).")] = None,
        baseline: Annotated[str | None, typer.Option("--baseline", help="Variant to compare against "
                                                     "(default: the sweep's baseline).")] = None,
    ) -> None:
        """Write a self-contained HTML report of a sweep (works on partial and running sweeps too)."""
        from ganlab.report import build_report, companions

        out = build_report(sweep_dir, output, baseline=baseline)
        md, csv = companions(out)
        typer.echo(f"report: {out}\nsummary: {md}, {csv}")

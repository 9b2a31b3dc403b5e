"""``ganlab check CHECK.yaml``: the CI regression gate. Exit 0 pass, 1 regression, 2 usage error, 3 runs errored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganlab.cli.options import SetOption


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        file: Annotated[Path, typer.Argument(help="Check file: a sweep file sized for CI with a `check:` section.")],
        baseline: Annotated[Path | None, typer.Option("--baseline", help="Baseline JSON (default: "
                                                      "<file stem>-baseline.json beside the file).")] = None,
        update_baseline: Annotated[bool, typer.Option("--update-baseline", help="Run and (re)write the "
                                                      "baseline instead of comparing.")] = False,
        set_: SetOption = None,
        junit_xml: Annotated[Path | None, typer.Option("--junit-xml", help="Write JUnit XML, one test case "
                                                       "per variant.")] = None,
        markdown: Annotated[Path | None, typer.Option("--markdown", help="Write the markdown summary "
                                                      "here too.")] = None,
        out: Annotated[Path, typer.Option("--out", help="Where the check's runs go.")] = Path("runs"),
        workers: Annotated[int | None, typer.Option("--workers", min=1, help="Runs at once.")] = None,
    ) -> None:
        """Run CHECK.yaml and compare it with its baseline: fails (exit 1) when training got less stable."""
        from ganlab.check import run_check
        from ganlab.config import parse_set_args
        from ganlab.errors import one_line
        from ganlab.io import check_output_dir, check_output_file

        check_output_dir(out, "--out")  # every output place is checked before any training
        for option, path in (("--junit-xml", junit_xml), ("--markdown", markdown)):
            if path is not None:
                check_output_file(path, option)
        outcome = run_check(file, baseline, update_baseline=update_baseline, overrides=parse_set_args(set_ or []),
                            out=out, workers=workers, junit=junit_xml, markdown_path=markdown)
        typer.echo(outcome.markdown)
        if outcome.refused:
            typer.echo(f"ganlab: error: {one_line(outcome.refused)}", err=True)
        if outcome.exit_code:
            raise typer.Exit(outcome.exit_code)

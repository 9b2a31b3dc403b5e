"""Assemble the ``ganlab`` command and turn user errors into one line and an exit code."""

from __future__ import annotations

import importlib
import sys

import typer

from ganlab.errors import GanlabError

COMMANDS = ("train", "sweep", "report", "diagnose", "collect", "score", "check")

app = typer.Typer(
    name="ganlab",
    help="Stability diagnostics and ablation harness for DCGANs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _name in COMMANDS:
    importlib.import_module(f"ganlab.cli.{_name}").register(app)


@app.callback()
def _root() -> None:
    """Stability diagnostics and ablation harness for DCGANs."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    A ``GanlabError`` (bad config, data or path) prints ``ganlab: error: ...`` on one line, no traceback,
    and exits with its code (2). Commands signal other outcomes with ``typer.Exit(code)``.
    """
    try:
        app(args=argv, prog_name="ganlab")
    except GanlabError as err:
        print(f"ganlab: error: {err}", file=sys.stderr)
        return err.exit_code
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def entrypoint() -> None:
    sys.exit(main())

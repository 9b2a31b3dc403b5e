"""Assemble the ``ganlab`` command and turn user errors into one line and an exit code."""

from __future__ import annotations

import importlib
import sys

import typer

from ganlab.errors import GanlabError, one_line

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
        code = app(args=argv, prog_name="ganlab", standalone_mode=False)
    except GanlabError as err:
        print(f"ganlab: error: {err}", file=sys.stderr)
        return err.exit_code
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        return 1
    except typer.TyperException as err:  # click's usage errors: a bad option value, an unknown option
        show = getattr(err, "show", None)
        if show is not None and type(err).__name__ == "NoArgsIsHelpError":
            show()  # `ganlab` alone: the help, as before
        else:
            print(f"ganlab: error: {usage_line(err)}", file=sys.stderr)
        return int(getattr(err, "exit_code", 2))
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    # Not standalone: typer.Exit(code) comes back as the return value, --help as 0, a command's end as None.
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


def usage_line(err: typer.TyperException) -> str:
    """A click usage error as one line naming the command: ``ganlab score: Invalid value for '--n': ...``.

    Click's own form is a 5-line box (usage, hint, framed message); the rest of ganlab says one line."""
    ctx = getattr(err, "ctx", None)
    command = ctx.command_path if ctx is not None else "ganlab"
    message = err.format_message() if hasattr(err, "format_message") else str(err)
    return one_line(f"{command}: {message} (see `{command} --help`)")


def entrypoint() -> None:
    sys.exit(main())

"""``ganlab train CONFIG.yaml``: train one GAN into one run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganlab.cli.options import SetOption


def register(app: typer.Typer) -> None:
    @app.command()
    def train(
        config: Annotated[Path, typer.Argument(help="Run config (YAML).")],
        set_: SetOption = None,
        out: Annotated[Path | None, typer.Option("--out", help="Output folder (output.dir); the run "
                                                 "goes in OUT/<run_id>.")] = None,
        device: Annotated[str | None, typer.Option(help="cpu, cuda, mps or auto (train.device).")] = None,
        fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an existing checkpoint.")] = False,
    ) -> None:
        """Train one GAN and write its run directory (config, metrics log, samples, checkpoint, events)."""
        from ganlab.config import load_config, parse_set_args
        from ganlab.train import train as run_training

        overrides = parse_set_args(set_ or [])
        if out is not None:
            overrides["output.dir"] = str(out)
        if device is not None:
            overrides["train.device"] = device
        cfg = load_config(config, overrides)
        result = run_training(cfg, resume=not fresh)
        events = ", ".join(f"{e['kind']}@{e['step']}" for e in result.events) or "none"
        # A crash raises (exit 1 with its traceback, run.json says "error"); bad input exits 2 in main.
        typer.echo(f"{result.status}: {result.run_dir} ({result.steps_done} steps; events: {events})")

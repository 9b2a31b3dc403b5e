"""``ganlab train CONFIG.yaml``: train one GAN into one run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganlab.cli.options import SetOption
from ganlab.errors import ResourceError

# How torch's CPU and CUDA allocators word an allocation failure (a RuntimeError, not a MemoryError).
_OOM_WORDS = ("can't allocate memory", "out of memory", "not enough memory", "defaultcpuallocator")


def is_out_of_memory(err: BaseException) -> bool:
    """True for ``MemoryError`` and for torch's allocation-failure ``RuntimeError``s."""
    if isinstance(err, MemoryError):
        return True
    return isinstance(err, RuntimeError) and any(w in str(err).lower() for w in _OOM_WORDS)


def register(app: typer.Typer) -> None:
    @app.command()
    def train(
        config: Annotated[Path, typer.Argument(help="Run config (YAML).")],
        set_: SetOption = None,
        out: Annotated[Path | None, typer.Option("--out", help="Output folder (output.dir); the run "
                                                 "goes in OUT/<run_id>.")] = None,
        device: Annotated[str | None, typer.Option(help="cpu, cuda, mps or auto (train.device).")] = None,
        fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an existing checkpoint.")] = False,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate the config, build the data, G and D "
                                              "(one forward pass each) and print the config with every default "
                                              "filled in; train nothing.")] = False,
    ) -> None:
        """Train one GAN and write its run directory (config, metrics log, samples, checkpoint, events)."""
        from ganlab.config import apply_overrides, dump_config, parse_set_args
        from ganlab.io import check_output_dir
        from ganlab.train.load import load_run_config

        # The file and --set are validated as written first, so --out/--device cannot hide a bad section.
        cfg = load_run_config(config, parse_set_args(set_ or []))
        flags = {key: value for key, value in (("output.dir", out), ("train.device", device)) if value is not None}
        if flags:
            cfg = apply_overrides(cfg, {key: str(value) for key, value in flags.items()}, origin="option")
        check_output_dir(cfg.output.dir, "--out" if out is not None else "output.dir")  # before any training
        if dry_run:
            from ganlab.config.short_run import short_run_notes
            from ganlab.errors import ConfigError
            from ganlab.train import resolve_config
            from ganlab.train.load import dry_run_models

            notes = short_run_notes(cfg)  # before resolving, which fits collapse_min_steps to the run
            cfg = resolve_config(cfg)  # builds the data: its channels are what G must make
            try:
                built = dry_run_models(cfg)
            except ConfigError as err:
                raise ConfigError(f"{config}: {err}") from None
            typer.echo(dump_config(cfg).rstrip())
            for line in [*built, *notes]:  # YAML comments: the output above stays a loadable config
                typer.echo(f"# {line}")
            typer.echo(f"{config}: valid (dry run: G and D built and run once; nothing trained)")
            return
        from ganlab.train import train as run_training

        try:
            result = run_training(cfg, resume=not fresh)
        except (MemoryError, RuntimeError) as err:
            if not is_out_of_memory(err):
                raise
            raise ResourceError(f"{config}: out of memory ({type(err).__name__}: {str(err).strip()[:120]}); lower "
                                "train.batch_size, model.width, data.resolution or train.threads") from None
        events = ", ".join(f"{e['kind']}@{e['step']}" for e in result.events) or "none"
        # A crash raises (exit 1 with its traceback, run.json says "error"); bad input exits 2 in main.
        typer.echo(f"{result.status}: {result.run_dir} ({result.steps_done} steps; events: {events})")

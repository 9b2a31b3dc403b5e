"""``ganlab diagnose PATH [--json]``: run the detectors on a finished (or running) run, or any metrics log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ganlab.cli.options import SetOption
from ganlab.schema import METRICS_FILE, EventKind, Severity

if TYPE_CHECKING:  # imported in the command: `ganlab --help` need not load pandas and the detectors
    from ganlab.diagnostics.sources.sample_grids import SampleGrids
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


def parse_map(items: list[str] | None, map_file: Path | None) -> dict[str, str]:
    """``--map loss_d=TAG`` items and a mapping file (YAML ``{loss_d: TAG}``) -> ``{column: the log's name}``."""
    from ganlab.config.yamlfile import read_yaml
    from ganlab.errors import ConfigError

    mapping: dict[str, str] = {}
    if map_file is not None:
        data, _ = read_yaml(map_file, "mapping file")
        for key, value in data.items():
            if not isinstance(value, str):
                raise ConfigError(f"{map_file}: {key}: expected the log's column or tag name, got {value!r}")
            mapping[str(key)] = value
    for item in items or []:
        column, sep, name = item.partition("=")
        if not sep or not column.strip() or not name:
            raise ConfigError(f"--map {item!r}: expected COLUMN=NAME, for example --map loss_d=Loss_D")
        mapping[column.strip()] = name
    return mapping


def sample_grids(data: str | None, resolution: int | None, padding: int | None, tag: str | None) -> SampleGrids | None:
    """``--data`` and the grid options as ``SampleGrids`` (None without ``--data``)."""
    from ganlab.errors import ConfigError

    if data is None:
        given = [name for name, value in (("--resolution", resolution), ("--grid-padding", padding),
                                          ("--grid-tag", tag)) if value is not None]
        if given:
            raise ConfigError(f"{given[0]} describes sample grids to score; pass --data (the real data) with it")
        return None
    from ganlab.diagnostics.sources.sample_grids import SampleGrids
    from ganlab.monitor import real_dataset  # torch: only when there are grids to score

    return SampleGrids(real_dataset(data, resolution), padding, tag)


def note_unscored_grids(path: Path) -> None:
    """One line on stderr for each TensorBoard run whose logged images were left unscored (no ``--data``)."""
    from ganlab.diagnostics.sources import find_runs
    from ganlab.diagnostics.sources.tensorboard import image_tags

    for run in find_runs(path):
        tags = image_tags(run.path) if run.kind == "tensorboard" else []
        if tags:
            typer.echo(f"note: {run.path} logs images ({', '.join(map(repr, tags))}); pass --data (the real "
                       "data) to score its sample grids for mode_collapse (docs/diagnostics.md)", err=True)


# Events that read the collapse and realism levels; d_dominance only when G's gradient did not vanish.
LEVEL_READERS = (EventKind.MODE_COLLAPSE, EventKind.QUALITY_COLLAPSE, EventKind.D_DOMINANCE)


def reads_levels(event: Event) -> bool:
    return event.kind in LEVEL_READERS and event.evidence.get("vanished") != "grad_norm_g"


def note_digit_levels(run: Path, events: list[Event], config: Path | None, overrides: dict[str, Any]) -> None:
    """One line on stderr when a ganlab run or log without known modes had an event judged at the default
    collapse and realism levels, which were set on digits (docs/diagnostics.md, the validation cells)."""
    import pandas as pd

    from ganlab.check.levels import LEVEL_KEYS
    from ganlab.config.diagnostics import DiagnosticsConfig
    from ganlab.diagnostics.diagnose import resolve
    from ganlab.diagnostics.settings import diagnostics_settings
    from ganlab.schema import EVAL_MODES_TOTAL

    if not any(reads_levels(e) for e in events):
        return
    if not (run.is_dir() and (run / METRICS_FILE).is_file()) and run.suffix.lower() not in (".parquet", ".csv"):
        return  # TensorBoard, MLflow, W&B: their eval columns come from --data, which names the data
    metrics, found, _ = resolve(run)
    settings = diagnostics_settings(found if config is None else config, overrides)
    defaults = DiagnosticsConfig()
    if any(getattr(settings, k) != getattr(defaults, k) for k in LEVEL_KEYS):
        return
    log = pd.read_parquet(metrics) if metrics.suffix.lower() == ".parquet" else pd.read_csv(metrics)
    if EVAL_MODES_TOTAL in log.columns and log[EVAL_MODES_TOTAL].notna().any():
        return
    typer.echo(f"note: {run}: no known modes, and the collapse and realism levels are the defaults, set on "
               "digits; a healthy G on other data can read below them early on. `ganlab check --update-baseline` "
               "calibrates them on your healthy baseline (docs/check.md)", err=True)


def register(app: typer.Typer) -> None:
    @app.command("diagnose")
    def diagnose(
        path: Path = typer.Argument(..., help="A run directory, a metrics .parquet/.csv file (a W&B history "
                                    "export too), a TensorBoard event directory, an MLflow run, or a folder of runs."),
        as_json: bool = typer.Option(False, "--json", help="Print the events as JSON."),
        config: Path | None = typer.Option(None, "--config", help="A config file whose diagnostics: section "
                                           "replaces the run's (thresholds, detectors)."),
        overrides: SetOption = None,
        maps: list[str] | None = typer.Option(None, "--map", help="The log's name for a column, "
                                              "e.g. --map loss_d=lossD (repeatable).", show_default=False),
        map_file: Path | None = typer.Option(None, "--map-file", help="YAML mapping of columns to the log's "
                                             "names, e.g. {loss_d: Loss_D}."),
        data: str | None = typer.Option(None, "--data", help="Real data (a dataset name, a folder of images or "
                                        "a .npy/.npz file) to score a TensorBoard log's sample grids against, "
                                        "for mode_collapse."),
        resolution: int | None = typer.Option(None, "--resolution", min=4, max=1024, help="The grids' tile size "
                                              "and the real data's resolution (default 32).", show_default=False),
        grid_padding: int | None = typer.Option(None, "--grid-padding", min=0, max=64, help="Pixels between the "
                                                "grid's tiles (default: 2, make_grid's, or 0, add_images', "
                                                "whichever fits).", show_default=False),
        grid_tag: str | None = typer.Option(None, "--grid-tag", help="The image tag of G's samples (default: "
                                            "the one that is not real data)."),
    ) -> None:
        """Find instabilities (NaN, D dominance, mode collapse, exploding gradients, oscillation) in a metrics log.

        Takes the trainer's diagnostics settings (--config, --set diagnostics.KEY=VALUE), so a log gives
        the events it gave online. Exits 0 whether or not events are found (it is a report); bad input exits 2.
        """
        from ganlab.config.load import parse_set_args
        from ganlab.diagnostics import diagnose_runs

        grids = sample_grids(data, resolution, grid_padding, grid_tag)
        settings = parse_set_args(overrides or [])
        runs = diagnose_runs(path, config, settings, parse_map(maps, map_file), grids)
        if grids is None:
            note_unscored_grids(path)
        if as_json and len(runs) == 1:
            typer.echo(events_json(runs[0][1]))
        elif as_json:
            typer.echo(json.dumps({"runs": [{"run": str(run), "events": [e.to_dict() for e in events]}
                                            for run, events in runs]}, indent=2, allow_nan=False))
        else:
            for run, events in runs:
                print_table(events, run)
        for run, events in runs:
            note_digit_levels(run, events, config, settings)

"""``ganlab collect PATH... --out DIR [--group REGEX]``: runs from anywhere as one folder ``ganlab report`` reads."""

from __future__ import annotations

from pathlib import Path

import typer

from ganlab.cli.options import SetOption


def register(app: typer.Typer) -> None:
    @app.command("collect")
    def collect(
        paths: list[Path] = typer.Argument(..., help="Run directories (ganlab train, ganlab.Monitor), TensorBoard "
                                           "or MLflow runs, W&B/CSV logs, or folders holding them."),
        out: Path = typer.Option(..., "--out", help="The folder to write sweep.json and results.parquet into."),
        group: str | None = typer.Option(None, "--group", help="Regular expression over each run's path naming "
                                         "its variant: (?P<variant>...) or the first group (default: the run's "
                                         "parent folder); (?P<seed>\\d+) names its seed."),
        baseline: str | None = typer.Option(None, "--baseline", help="The variant to compare with "
                                            "(default: the first)."),
        config: Path | None = typer.Option(None, "--config", help="diagnose's --config, for logs of other tools."),
        overrides: SetOption = None,
        maps: list[str] | None = typer.Option(None, "--map", help="diagnose's --map COLUMN=TAG.", show_default=False),
        data: str | None = typer.Option(None, "--data", help="diagnose's --data: real data to score TensorBoard "
                                        "logs' sample grids against."),
        resolution: int | None = typer.Option(None, "--resolution", min=4, max=1024, help="diagnose's "
                                              "--resolution (the grids' tile size).", show_default=False),
        grid_padding: int | None = typer.Option(None, "--grid-padding", min=0, max=64, help="diagnose's "
                                                "--grid-padding.", show_default=False),
        grid_tag: str | None = typer.Option(None, "--grid-tag", help="diagnose's --grid-tag."),
    ) -> None:
        """Gather runs that no sweep trained into a comparison folder; then `ganlab report DIR`."""
        from ganlab.cli.diagnose import parse_map, sample_grids
        from ganlab.collect import collect_runs
        from ganlab.config.load import parse_set_args

        folder = collect_runs(paths, out, group, baseline=baseline, settings=config,
                              overrides=parse_set_args(overrides or []), mapping=parse_map(maps, None),
                              grids=sample_grids(data, resolution, grid_padding, grid_tag))
        typer.echo(f"collected: {folder} (ganlab report {folder})")

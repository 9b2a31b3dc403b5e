"""``ganlab score SAMPLES --dataset NAME [--json] [--resolution R]``: every metric for a set of samples."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ganlab.metrics.score import ScoreResult



def _json_value(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def score_json(result: ScoreResult) -> str:
    """Exactly one JSON object: the ``SCORE_KEYS``, the ``GATE_KEYS``, then the ``SCORE_ONLY_KEYS`` (null where one
    does not apply)."""
    values = {**result.metrics, **result.label_free}
    return json.dumps({k: _json_value(v) for k, v in values.items()}, allow_nan=False)


def _format(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_table(result: ScoreResult) -> None:
    from rich.console import Console
    from rich.table import Table

    from ganlab.metrics import HIGHER_IS_BETTER
    from ganlab.schema.log import GATE_PASS_RATE, SCORE_ONLY_HIGHER_IS_BETTER

    console = Console()
    table = Table(title=f"{result.source} vs {result.dataset} (held out)", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("better")
    table.add_column("held-out real", justify="right")  # the label-free readings' scale: real vs real
    rows = dict(result.metrics)
    if result.fid_inception is not None:
        rows["fid_inception"] = result.fid_inception
    directions = {**HIGHER_IS_BETTER, **SCORE_ONLY_HIGHER_IS_BETTER}
    extra = result.label_free
    rows.update((k, v) for k, v in extra.items() if not k.endswith("_real"))
    for key, value in rows.items():
        direction = directions.get(key)
        real = _format(extra[f"{key}_real"]) if f"{key}_real" in extra else ""
        if key == "manifold_share" and value is not None:
            real = _format(GATE_PASS_RATE)  # the gate's level is read off held-out real data at this rate
        table.add_row(key, _format(value), "" if direction is None else ("higher" if direction else "lower"), real)
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}", style="dim", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("score")
    def score_command(
        samples: Annotated[Path, typer.Argument(
            help="A .npz/.npy array (uint8 (N, H, W, C) or float (N, C, H, W) in [-1, 1]), "
                 "a folder of images, or a run directory (config.yaml + checkpoint.pt).")],
        dataset: Annotated[str | None, typer.Option(
            "--dataset", help="Dataset to compare against (default for a run directory: its own).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
        resolution: Annotated[int | None, typer.Option(
            "--resolution", help="Resolution to score at; the samples must have it (default: theirs).")] = None,
        n: Annotated[int | None, typer.Option("--n", min=10, max=1_000_000, help="Samples to draw from a run "
                     "directory's generator (default: its diagnostics.final_samples).", show_default=False)] = None,
        seed: Annotated[int | None, typer.Option("--seed", min=0, help="Seed for z and for the real held-out draw "
                        "(default: a run directory's seed, else 0).", show_default=False)] = None,
        data_path: Annotated[str | None, typer.Option(
            "--data-path", help="Real images for --dataset folder/array.")] = None,
        threads: Annotated[int | None, typer.Option(
            "--threads", min=1, help="Threads to use (default: the cores the load average leaves idle).")] = None,
    ) -> None:
        """Score generated samples: mode coverage, reverse KL, Fréchet distance, KID, precision/recall,
        density/coverage and diversity, against the dataset's held-out split; the realism gate's share of
        samples on the data's manifold; and the label-free NDB/K next to what held-out real data reads."""
        from ganlab.metrics.score import score

        result = score(samples, dataset, resolution=resolution, n=n, seed=seed, data_path=data_path,
                       threads=threads)
        if as_json:
            typer.echo(score_json(result))
        else:
            print_table(result)

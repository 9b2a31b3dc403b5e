"""Pick each variant's sample grids (last checkpoint, failure onset) and embed them as data URIs.

The PNGs the runs wrote are embedded as they are; only a grid larger than ``MAX_BYTES`` is shrunk.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PIL import Image

from ganlab.report.load import LoadedSweep
from ganlab.schema import sample_files

MAX_BYTES = 300_000
MAX_SIDE = 320


@dataclass
class Grid:
    uri: str
    caption: str


def variant_grids(sweep: LoadedSweep, variant: str) -> tuple[Grid | None, Grid | None, str]:
    """(last checkpoint grid, failure-onset grid, a note on what is missing).

    The last grid comes from the variant's lowest seed that has samples; the onset grid from the run with
    the earliest failure onset: the first grid at or after the onset (or the last one written before it).
    """
    runs = sweep.runs[(sweep.runs["variant"] == variant) & sweep.runs["has_samples"]]
    if runs.empty:
        return None, None, "no sample grids on disk"
    runs = runs.sort_values(["seed", "run_id"])
    notes = []
    first = runs.iloc[0]
    files = sample_files(first["path"])
    step, path = list(files.items())[-1]
    last = _grid(path, f"seed {_seed(first)}, step {step} (last checkpoint)")
    if last is None:
        notes.append(f"{path.name} of seed {_seed(first)} is not a readable PNG")
    onset = None
    failing = runs[runs["failed_any"]].sort_values("fail_step")
    if failing.empty:
        notes.append("no run of this variant failed" if sweep.kinds else "no failure onsets recorded")
    else:
        run = failing.iloc[0]
        kind = next(k for k in sweep.kinds if run[f"fail_{k}"] == run["fail_step"])
        at = int(run["fail_step"])
        files = sample_files(run["path"])
        after = [s for s in files if s >= at]
        pick = after[0] if after else list(files)[-1]
        where = "first grid after the onset" if after else "no grid after the onset; last one before it"
        onset = _grid(files[pick], f"seed {_seed(run)}, step {pick}: {kind} onset at step {at} ({where})")
        if onset is None:
            notes.append(f"{files[pick].name} of seed {_seed(run)} is not a readable PNG")
    return last, onset, "; ".join(notes)


def png_uri(path: Path) -> str | None:
    """A PNG file as a data URI (shrunk when large), or None when it is not a readable image."""
    try:
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.format != "PNG" or len(data) > MAX_BYTES:
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                buffer = io.BytesIO()
                image.save(buffer, format="PNG", optimize=True)
                data = buffer.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _grid(path: Path, caption: str) -> Grid | None:
    uri = png_uri(path)
    return None if uri is None else Grid(uri, caption)


def _seed(run: pd.Series) -> str:
    return "?" if pd.isna(run["seed"]) else str(int(run["seed"]))

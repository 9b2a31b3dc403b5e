"""A TensorBoard event directory as a wide log, read with tbparse (every scalar kept, NaN included), and its
logged images (``add_image``/``add_images``), read with tensorboard's ``EventAccumulator`` (every image kept;
tbparse decodes images only with tensorflow installed) and decoded with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from ganlab.errors import DataError

EXTRA = "pip install 'ganlab[tensorboard]'"


def wide(long: pd.DataFrame, source: Path, key: str = "tag") -> pd.DataFrame:
    """``step, <key>, value`` rows -> one row per step, one column per tag (the last value of a step wins)."""
    if long.empty:
        raise DataError(f"{source}: no scalars in this log")
    long = long.drop_duplicates(["step", key], keep="last")
    frame = long.pivot(index="step", columns=key, values="value").sort_index()
    frame.columns = [str(c) for c in frame.columns]
    return frame.drop(columns=["step"], errors="ignore").reset_index()  # a scalar tagged "step" is the index


def read_tensorboard(path: Path, allow_empty: bool = False) -> pd.DataFrame:
    """The scalars of the event files in ``path`` (not its subfolders), one column per tag; with
    ``allow_empty`` a log without scalars is a frame of no rows (its images may still be read)."""
    try:
        from tbparse import SummaryReader
    except ImportError:
        raise DataError(f"{path}: reading TensorBoard logs needs tbparse; {EXTRA}") from None
    try:
        scalars = SummaryReader(str(path), pivot=False).scalars
    except Exception as err:  # a truncated or foreign event file: one line, not a protobuf traceback
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: cannot read the TensorBoard event files: {first}") from None
    if allow_empty and ("tag" not in scalars.columns or scalars.empty):
        return pd.DataFrame({"step": pd.Series([], dtype="int64")})
    if "tag" not in scalars.columns:
        raise DataError(f"{path}: no scalars in the TensorBoard event files")
    return wide(scalars[["step", "tag", "value"]], path)


def read_tensorboard_images(path: Path) -> dict[str, list[tuple[int, bytes]]]:
    """``{tag: [(step, encoded image), ...]}`` of the images in ``path``'s event files (not its subfolders),
    in step order, the last one written at a step winning; empty when the log has none."""
    try:
        from tensorboard.backend.event_processing import event_accumulator as ea
    except ImportError:
        raise DataError(f"{path}: reading TensorBoard logs needs tensorboard; {EXTRA}") from None
    keep = {ea.IMAGES: 0, ea.SCALARS: 1, ea.HISTOGRAMS: 1, ea.COMPRESSED_HISTOGRAMS: 1, ea.AUDIO: 1, ea.TENSORS: 1}
    try:
        accumulator = ea.EventAccumulator(str(path), size_guidance=keep)
        accumulator.Reload()
        tags = accumulator.Tags().get(ea.IMAGES, [])
        found = {tag: {e.step: e.encoded_image_string for e in accumulator.Images(tag)} for tag in tags}
    except Exception as err:  # a truncated or foreign event file: one line, not a protobuf traceback
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: cannot read the TensorBoard event files: {first}") from None
    return {tag: sorted(by_step.items()) for tag, by_step in found.items() if by_step}


def image_tags(path: Path) -> list[str]:
    """The image tags of ``path``'s event files (one image of each kept while reading)."""
    try:
        from tensorboard.backend.event_processing import event_accumulator as ea
    except ImportError:
        return []
    try:
        accumulator = ea.EventAccumulator(str(path), size_guidance={ea.IMAGES: 1})
        accumulator.Reload()
        return sorted(accumulator.Tags().get(ea.IMAGES, []))
    except Exception:  # the scalars' reader has already said what is wrong with the file
        return []


def decode_image(encoded: bytes, source: str) -> np.ndarray:
    """An encoded image (PNG) -> ``(H, W, C)`` uint8 with C 1 (grey) or 3 (colour; alpha dropped)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(encoded)) as image:
            image.load()
            grey = image.mode in ("1", "L", "LA", "I", "I;16", "F")
            array = np.asarray(image.convert("L" if grey else "RGB"))
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as err:
        raise DataError(f"{source}: cannot decode the image ({str(err).splitlines()[0][:120]})") from None
    return array[:, :, None] if array.ndim == 2 else array

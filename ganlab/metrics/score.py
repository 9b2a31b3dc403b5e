"""``score``: every metric for a file or folder of samples, or for a run directory's generator.

SAMPLES may be a ``.npz``/``.npy`` array (uint8 ``(N, H, W, C)`` or float ``(N, C, H, W)`` in
[-1, 1]), a folder of png/jpg images, or a run directory (``config.yaml`` + ``checkpoint.pt``),
whose generator draws the samples of its ``final_metrics`` again (``ganlab.sampling``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import ValidationError
from torch import Tensor

from ganlab.config import DataConfig, load_config
from ganlab.data import DATASETS, ImageDataset, load_array_images, load_folder_images
from ganlab.data.files import IMAGE_SUFFIXES, open_image
from ganlab.errors import DataError
from ganlab.metrics.diversity import distinct_rows, diversity_ratio, dup_rate
from ganlab.metrics.evaluate import (
    MIN_HELD_OUT,
    SCORE_KEYS,
    check_compatible,
    evaluate_read,
    held_out_dup_rate,
    held_out_rows,
)
from ganlab.metrics.features import feature_space, reader_for
from ganlab.metrics.gate import gate_level
from ganlab.metrics.inception import inception_fid, inception_path, skipped_note
from ganlab.metrics.ndb import ndb, real_bins
from ganlab.metrics.realism import outside_rows
from ganlab.metrics.threads import idle_cores, limit_threads
from ganlab.sampling import non_finite_samples, real_generator, run_samples
from ganlab.schema import CHECKPOINT, CONFIG_YAML
from ganlab.schema.log import GATE_KEYS, SCORE_ONLY_KEYS


@dataclass(frozen=True)
class ScoreResult:
    metrics: dict  # exactly SCORE_KEYS, then GATE_KEYS; None where a metric does not apply
    dataset: str
    source: str
    notes: tuple[str, ...]
    fid_inception: float | None = None  # only with local Inception weights
    # Exactly SCORE_ONLY_KEYS: NDB/K with held-out real data's reading (_real) and its bin count, the duplicate
    # rate with held-out real data's, and held-out real data's diversity
    label_free: dict = field(default_factory=lambda: dict.fromkeys(SCORE_ONLY_KEYS))


def is_run_dir(path: Path) -> bool:
    # A folder named checkpoint.pt still marks a run directory: reading it gives the unreadable-checkpoint error.
    return path.is_dir() and (path / CONFIG_YAML).is_file() and (path / CHECKPOINT).exists()


def build_reference(name: str, resolution: int, data_path: str | None = None) -> ImageDataset:
    """The dataset ``name`` at ``resolution``; bad names or resolutions are one-line DataErrors."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset '{name}'; valid: {', '.join(sorted(DATASETS))}")
    if name in ("folder", "array") and not data_path:
        raise DataError(f"dataset '{name}' needs --data-path (the real images to compare against)")
    try:
        config = DataConfig(dataset=name, resolution=resolution, path=data_path)
    except ValidationError as err:
        first = err.errors()[0]
        raise DataError(f"data.{'.'.join(map(str, first['loc']))} = {first.get('input')!r}: "
                        f"{first['msg']} (samples must be scored at a resolution the dataset supports)") from None
    return DATASETS[name](config)


def _first_image_side(folder: Path) -> int:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"{folder}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))}, recursively)")
    with open_image(files[0]) as img:  # refuses decompression bombs with a one-line DataError
        return min(img.size)


def _load_folder(folder: Path, channels: int) -> Tensor:
    try:
        return load_folder_images(folder, channels=channels, resolution=None)
    except RuntimeError:  # torch.cat of differently sized images
        raise DataError(f"{folder}: the images differ in size; save all samples at one resolution") from None


def load_samples(samples: str | Path, dataset: str | None = None, *, resolution: int | None = None,
                 n: int | None = None, seed: int | None = None,
                 data_path: str | None = None) -> tuple[Tensor, ImageDataset, int]:
    """Samples ``(N, C, R, R)`` in [-1, 1], the dataset to score them against (checked to match) and the
    seed of the real draw: ``seed``, else a run directory's seed, else 0.

    A run directory gives ``n`` samples (default: its ``diagnostics.final_samples``) from the z stream of
    ``seed`` (default: the run's seed), the very samples of its ``final_metrics``."""
    path = Path(samples)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder (expected .npz/.npy, a folder of images or a run directory)")
    if is_run_dir(path):
        config = load_config(path / CONFIG_YAML)
        name = dataset or config.data.dataset
        ref_path = data_path or (config.data.path if name == config.data.dataset else None)
        reference = build_reference(name, resolution or config.data.resolution, ref_path)
        images = run_samples(config, path / CHECKPOINT, n, seed)
        seed = config.seed if seed is None else seed
    else:
        if dataset is None:
            raise DataError(f"{path}: --dataset is required unless SAMPLES is a run directory")
        if path.is_dir():
            reference = build_reference(dataset, resolution or _first_image_side(path), data_path)
            images = _load_folder(path, reference.channels)
        else:
            images, _ = load_array_images(path)
            reference = build_reference(dataset, resolution or images.shape[-1], data_path)
    check_compatible(images, reference, path.name)
    return images, reference, 0 if seed is None else seed


def label_free(images: Tensor, reference: ImageDataset, real_seed: int, *, fake_features: np.ndarray | None = None,
               real_features: np.ndarray | None = None) -> tuple[dict, list[str]]:
    """The ``SCORE_ONLY_KEYS`` of ``images`` ``(N, C, R, R)`` and notes on what could not be read.

    Generated samples are compared with the distinct rows of ``evaluate``'s real draw (the held-out split,
    ``real_generator(real_seed)``). For the scale, the same stream then draws N images from the train split
    (held-out real data for the reference: a generator trained on them, reproduced perfectly, reads this);
    those equal to a reference row are dropped (user data has one pool for both splits), and with fewer than
    ``MIN_HELD_OUT`` left the ``_real`` readings are None. The duplicate rate and diversity read those rows'
    distinct ones: the draw is with replacement, and an image drawn twice is no near-duplicate a generator
    made (a generator's repeats are). All None when a sample is NaN or Inf.
    """
    out: dict = dict.fromkeys(SCORE_ONLY_KEYS)
    if non_finite_samples(images):
        return out, []
    generator = real_generator(real_seed)
    real_images, _ = reference.sample(len(images), generator, split="held_out")  # evaluate's real draw
    held_images, _ = reference.sample(len(images), generator, split="train")  # the stream continues
    read = reader_for(reference.name)
    # evaluate_read's features of the same images and the same real draw, where the caller has them
    real = distinct_rows(read(real_images).features if real_features is None else real_features)
    fake = read(images.detach().float().cpu().clamp(-1.0, 1.0)).features if fake_features is None else fake_features
    held_features = read(held_images).features
    held: np.ndarray | None = outside_rows(held_features, real)
    notes = []
    if held is not None and len(held) < MIN_HELD_OUT:
        notes.append(f"real-vs-real readings skipped: {len(held)} real image(s) outside the reference draw "
                     f"(need {MIN_HELD_OUT}); the data has too few images to hold some out")
        held = None
    try:
        bins = real_bins(real)
        out.update(ndb_k=ndb(None, fake, bins=bins).ndb_k, ndb_bins=len(bins.centres))
        out["ndb_k_real"] = None if held is None else ndb(None, held, bins=bins).ndb_k
    except ValueError as err:
        notes.append(f"NDB/K skipped: {err}")
    out["dup_rate"] = dup_rate(real, fake) if len(fake) >= 2 else None
    distinct = held_out_rows(held_features, real) if held is not None else None
    out["dup_rate_real"] = held_out_dup_rate(real, distinct)
    if distinct is not None:
        diversity = diversity_ratio(real, distinct)
        out["diversity_real"] = diversity if np.isfinite(diversity) else None
    return out, notes


def score(samples: str | Path, dataset: str | None = None, *, resolution: int | None = None,
          n: int | None = None, seed: int | None = None, data_path: str | None = None,
          threads: int | None = None) -> ScoreResult:
    """Score SAMPLES (see the module docstring) against ``dataset``'s held-out split.

    Returns the ``SCORE_KEYS`` and ``GATE_KEYS`` metrics (see ``ganlab.metrics.evaluate``), the label-free
    ``SCORE_ONLY_KEYS`` (see ``label_free``), notes on the feature space and on Inception FID, and the
    Inception FID itself when local weights are configured.
    Real samples are drawn with ``seed`` (default: a run directory's seed, else 0), so scores are
    reproducible, and a run directory scores exactly as its ``final_metrics``. ``threads`` caps the
    threads of torch, BLAS and OpenMP; None uses the cores the load average leaves idle.
    """
    with limit_threads(threads or idle_cores()):
        images, reference, real_seed = load_samples(samples, dataset, resolution=resolution, n=n, seed=seed,
                                                    data_path=data_path)
        metrics, fake_read, real_read = evaluate_read(images, reference, full=True,
                                                      generator=real_generator(real_seed))
        notes = [f"features: {feature_space(reference.name)}"]
        gate_note = gate_level(reference, reader_for(reference.name))[1] if fake_read is not None else ""
        if gate_note:  # too few distinct images to hold some out: manifold_share is null, modes ungated
            notes.append(gate_note)
        extra, extra_notes = label_free(images, reference, real_seed,
                                        fake_features=None if fake_read is None else fake_read.features,
                                        real_features=None if real_read is None else real_read.features)
        notes += extra_notes
        fid = None
        if inception_path() is None:
            notes.append(skipped_note())
        else:
            real, _ = reference.sample(len(images), real_generator(real_seed), split="held_out")
            fid = inception_fid(images, real)
    return ScoreResult({k: metrics[k] for k in (*SCORE_KEYS, *GATE_KEYS)}, reference.name, str(samples),
                       tuple(notes), fid, extra)

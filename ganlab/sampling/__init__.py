"""Sampling: the one way ganlab draws a run's random streams, z and G's samples, and reads G back from a
checkpoint. Below the trainer, the metrics and the diagnostics, so each of them draws samples the same way.

- ``streams``: every random stream of a run from its seed, z, ``generate`` and ``final_samples``
- ``checkpoint``: ``checkpoint.pt`` (written by the trainer) and ``run_samples``, a run's final samples from it
- ``grid``: G's samples as one PNG grid (``samples/step_*.png``), for the trainer and ``ganlab.Monitor`` alike
"""

from ganlab.sampling.checkpoint import CHECKPOINT_KEYS, load_checkpoint, read_checkpoint, run_samples, save_checkpoint
from ganlab.sampling.grid import save_grid
from ganlab.sampling.streams import (
    CHUNK,
    MEMORY_FORMAT,
    STREAMS,
    STREAMS_VERSION,
    draw_z,
    eval_z,
    final_generator,
    final_samples,
    fixed_stream,
    generate,
    non_finite_samples,
    real_generator,
    stream,
    stream_seed,
)

__all__ = [
    "CHECKPOINT_KEYS", "CHUNK", "MEMORY_FORMAT", "STREAMS", "STREAMS_VERSION", "draw_z", "eval_z", "final_generator",
    "final_samples", "fixed_stream", "generate", "load_checkpoint", "non_finite_samples", "read_checkpoint",
    "real_generator", "run_samples", "save_checkpoint", "save_grid", "stream", "stream_seed",
]

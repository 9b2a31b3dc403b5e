"""Run the real ``ganlab`` CLI in-process and check that a failure is one bounded line."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from ganlab.errors import MAX_LINE

PREFIX = "ganlab: error: "

RUN_CONFIG = """\
data: {dataset: gaussian-grid, resolution: 16}
model: {nz: 8, width: 16}
train: {steps: 5, batch_size: 8, device: cpu}
"""

SWEEP = """\
name: fz
base:
  data: {dataset: gaussian-grid, resolution: 16}
  model: {nz: 8, width: 16}
  train: {steps: 5, batch_size: 8, device: cpu}
seeds: 2
variants:
  relu: {model.d_activation: relu}
"""

CHECK = SWEEP + """\
check:
  must_be_stable: [baseline]
  allow: [oscillation]
  alpha: 0.05
"""


def cli(*argv: object) -> tuple[int, str, str]:
    """``ganlab ARGV`` in this process: (exit code, stdout, stderr). An uncaught exception propagates."""
    from ganlab.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(result: tuple[int, str, str], *needles: str) -> str:
    """Exit 2 and exactly one bounded ``ganlab: error:`` line on stderr containing every needle."""
    code, _, err = result
    assert code == 2, (code, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith(PREFIX), line
    assert len(line) <= len(PREFIX) + MAX_LINE, len(line)
    assert line.isprintable(), line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@contextlib.contextmanager
def estimate_timings_stubbed() -> Iterator[None]:
    """The sweep dry run's measurements (real steps, evaluations, a worker's start-up) as fixed numbers, for
    tests of what the dry run parses and prints; tests/sweep/test_estimate.py checks the real measurements."""
    from ganlab.sweep import estimate

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(estimate, "measure_step_seconds", lambda config, dataset, threads: 0.01)
        mp.setattr(estimate, "measure_eval_seconds", lambda dataset, n, full: 0.1)
        mp.setattr(estimate, "worker_start_seconds", lambda: 1.0)
        yield

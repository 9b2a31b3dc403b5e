"""Run the real ``ganlab`` CLI in-process and check that a failure is one bounded line."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

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

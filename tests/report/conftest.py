"""Synthetic sweep directories (``ganlab.testing.synthetic``) and one shared built report."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.report import build_report
from ganlab.testing.synthetic import make_sweep

# Small on purpose: figures cost per variant, not per step, so 3 variants x 6 seeds x 120 steps is enough.
SMALL = {"seeds": 6, "steps": 120, "checkpoint_every": 40}


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep: baseline (12 seeds: a larger arm gives the exact tests room), no_batchnorm (fails
    90%), relu_in_d (30%) with 6 seeds each; some runs carry an oscillation warning. Read-only."""
    return make_sweep(tmp_path_factory.mktemp("sweep") / "demo", name="demo", baseline_seeds=12, **SMALL)


@pytest.fixture(scope="session")
def report(sweep_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The report of ``sweep_dir``: (html path, html text). Read-only."""
    out = build_report(sweep_dir, tmp_path_factory.mktemp("report") / "demo.html")
    return out, out.read_text()


@pytest.fixture
def new_sweep(tmp_path: Path):
    """Factory for a fresh sweep in this test's tmp dir (free to damage): ``new_sweep(**make_sweep kwargs)``."""

    def make(**kwargs) -> Path:
        return make_sweep(tmp_path / "sweep", **{**SMALL, **kwargs})

    return make

"""ganlab's pytest plugin (registered through the ``pytest11`` entry point).

- ``--ganlab-profile dev|ci|full`` picks how much ``assert_stable`` trains (ci whenever ``CI`` is set);
  the choice is shown in the pytest header.
- ``@pytest.mark.gan_stability`` marks stability tests, so ``-m gan_stability`` selects them.
- Fixtures: ``ganlab_tiny_config`` (a config that trains in seconds on CPU) and ``ganlab_run_dir``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ganlab.testing.profiles import ENV_VAR, PROFILES, active_profile, default_profile_name


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ganlab", "GAN stability tests (ganlab)")
    group.addoption("--ganlab-profile", choices=sorted(PROFILES), default=None,
                    help="how much assert_stable trains: dev (fewest steps), ci (default when CI is set), full")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gan_stability: a GAN training-stability test (ganlab)")
    chosen = config.getoption("--ganlab-profile", default=None)
    if chosen:
        os.environ[ENV_VAR] = chosen
    elif ENV_VAR not in os.environ:
        os.environ[ENV_VAR] = default_profile_name()


def pytest_report_header(config: pytest.Config) -> str:
    profile = active_profile()
    steps = "config's steps" if profile.steps is None else f"{profile.steps} steps"
    return f"ganlab profile: {profile.name} ({profile.seeds} seed(s), {steps})"


@pytest.fixture
def ganlab_run_dir(tmp_path: Path) -> Path:
    """A fresh folder for run directories."""
    path = tmp_path / "ganlab-runs"
    path.mkdir()
    return path


@pytest.fixture
def ganlab_tiny_config(ganlab_run_dir: Path):
    """The paper-faithful DCGAN shrunk to train in seconds on CPU (16x16 digits, width 32)."""
    from ganlab.config import validate

    return validate({
        "data": {"dataset": "digits", "resolution": 16},
        "model": {"width": 32, "nz": 32},
        "train": {"steps": 100, "batch_size": 32, "checkpoint_every": 100, "device": "cpu"},
        "diagnostics": {"eval_every": 50, "eval_samples": 256},
        "output": {"dir": str(ganlab_run_dir), "samples": 16},
    }, "<ganlab_tiny_config>")

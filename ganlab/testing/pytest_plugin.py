"""ganlab's pytest plugin (registered through the ``pytest11`` entry point).

- ``--ganlab-profile dev|ci|full`` picks how much ``assert_stable`` trains (ci whenever ``CI`` is set);
  the choice is shown in the pytest header.
- ``@pytest.mark.gan_stability`` marks stability tests, so ``-m gan_stability`` selects them.
- Fixtures: ``ganlab_config`` (a factory of tiny configs at the team's resolution, channels and data),
  ``ganlab_tiny_config`` (its default: 16x16 digits) and ``ganlab_run_dir``.
- After the tests (also under ``-q``): the profile, what it was measured not to catch, and each detector
  that could not fire in the runs ``assert_stable`` trained.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from ganlab.testing.profiles import ENV_VAR, PROFILE_LIMITS, PROFILES, active_profile, default_profile_name


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


def _profile_line() -> str:
    profile = active_profile()
    steps = "config's steps" if profile.steps is None else f"{profile.steps} steps"
    limit = f"; {PROFILE_LIMITS[profile.name]}" if profile.name in PROFILE_LIMITS else ""
    return f"ganlab profile: {profile.name} ({profile.seeds} seed(s), {steps}){limit}"


def pytest_report_header(config: pytest.Config) -> str:
    return _profile_line()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The profile and what its runs could not detect, after the tests: ``-q`` hides the header, not this."""
    stability = sys.modules.get("ganlab.testing.stability")  # imported only when assert_stable was used
    if stability is None or not stability.CALLS:
        return
    terminalreporter.write_line(_profile_line())
    for note in sorted(stability.SHORT_RUN_NOTES):
        terminalreporter.write_line(f"ganlab: in these runs {note}")


@pytest.fixture
def ganlab_run_dir(tmp_path: Path) -> Path:
    """A fresh folder for run directories."""
    path = tmp_path / "ganlab-runs"
    path.mkdir()
    return path


@pytest.fixture
def ganlab_config(ganlab_run_dir: Path) -> Callable[..., Any]:
    """A factory of tiny configs at the team's data: ``ganlab_config(resolution=32, channels=3,
    data={"dataset": "folder", "path": "images"}, overrides={"model.generator": {...}})``
    (``ganlab.testing.tiny.tiny_config``; built-in digits / stacked-digits when ``data`` is not given)."""
    from ganlab.testing.tiny import tiny_config

    def make(resolution: int = 16, channels: int = 1, data: Mapping[str, Any] | None = None,
             overrides: Mapping[str, Any] | None = None) -> Any:
        return tiny_config(ganlab_run_dir, resolution, channels, data, overrides)

    return make


@pytest.fixture
def ganlab_tiny_config(ganlab_config: Callable[..., Any]) -> Any:
    """The paper-faithful DCGAN shrunk to train in seconds on CPU (16x16 digits, width 32)."""
    return ganlab_config()

"""Shared test set-up: hypothesis profiles and an isolated ganlab cache directory."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# torch code is slow and its first call pays for lazy initialisation: no per-example deadline.
settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session", autouse=True)
def ganlab_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One cache (the mode classifier) per test session, never the user's ~/.cache."""
    path = os.environ.get("GANLAB_TEST_CACHE_DIR") or str(tmp_path_factory.mktemp("ganlab-cache"))
    os.environ["GANLAB_CACHE_DIR"] = path
    return path

pytest_plugins = ["pytester"]

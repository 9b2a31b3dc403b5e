"""Shared fixtures: one temporary cache per session, so the digit classifier trains once per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def metrics_cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """``$GANLAB_CACHE_DIR`` for these tests, never the user's real cache.

    Reuses the session cache when one is already set up (``tests/conftest.py`` sets one for the
    whole suite, or ``$GANLAB_TEST_CACHE_DIR`` names a persistent one), so the classifier is not
    trained twice; otherwise makes a fresh temporary directory for the session.
    """
    current = os.environ.get("GANLAB_CACHE_DIR")
    base = tmp_path_factory.getbasetemp().resolve()
    if current and (Path(current).resolve().is_relative_to(base)
                    or current == os.environ.get("GANLAB_TEST_CACHE_DIR")):
        yield Path(current)
        return
    path = tmp_path_factory.mktemp("ganlab-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANLAB_CACHE_DIR", str(path))
        yield path


@pytest.fixture(autouse=True)
def no_inception_weights(monkeypatch):
    """Inception FID stays off unless a test turns it on."""
    monkeypatch.delenv("GANLAB_INCEPTION_WEIGHTS", raising=False)


@pytest.fixture(scope="session")
def digit_net(metrics_cache_dir):
    """The trained digit classifier (trained on first use, then cached for the session)."""
    from ganlab.metrics.classifier import digit_classifier

    assert os.environ["GANLAB_CACHE_DIR"] == str(metrics_cache_dir)
    return digit_classifier()

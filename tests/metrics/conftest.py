"""Shared fixtures: Inception weights off unless a test turns them on; the session's digit classifier."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def no_inception_weights(monkeypatch):
    """Inception FID stays off unless a test turns it on."""
    monkeypatch.delenv("GANLAB_INCEPTION_WEIGHTS", raising=False)


@pytest.fixture(scope="session")
def digit_net(ganlab_cache_dir):
    """The trained digit classifier of the session's cache (``tests/conftest.py``), loaded once."""
    from ganlab.metrics.classifier import digit_classifier

    assert os.environ["GANLAB_CACHE_DIR"] == ganlab_cache_dir
    return digit_classifier()

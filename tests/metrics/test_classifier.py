"""The digit mode classifier: accuracy, cache location and format, determinism."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from ganlab.data import digit_splits
from ganlab.data.digits import resize_digits
from ganlab.metrics import classifier


def test_held_out_accuracy_at_least_97_percent(digit_net):
    acc = classifier.held_out_accuracy(digit_net)
    assert acc >= 0.97, f"held-out accuracy {acc:.4f}"


@pytest.mark.parametrize("resolution", [8, 16, 32, 64, 128])
def test_accuracy_at_every_input_resolution(digit_net, resolution):
    x, y = digit_splits()["held_out"]
    logits, features = digit_net(classifier.to_input(resize_digits(x, resolution)))
    assert (logits.argmax(1).numpy() == y).mean() >= 0.97
    assert features.shape == (len(y), classifier.FEATURE_DIM)


def test_cached_atomically_in_the_cache_dir(digit_net, metrics_cache_dir):
    path = Path(metrics_cache_dir) / f"digit-classifier-{classifier.cache_key()}.pt"
    assert not list(Path(metrics_cache_dir).glob("*.tmp"))  # the temporary file was renamed
    payload = torch.load(path, weights_only=True)
    assert payload["key"] == classifier.cache_key()
    assert payload["held_out_accuracy"] >= 0.97
    assert classifier.digit_classifier() is digit_net  # cached in-process too


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert classifier.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("GANLAB_CACHE_DIR")
    assert classifier.cache_dir() == tmp_path / "xdg" / "ganlab"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert classifier.cache_dir() == tmp_path / "home" / ".cache" / "ganlab"


def test_training_is_deterministic():
    a, b = classifier.train_classifier(epochs=1), classifier.train_classifier(epochs=1)
    for (name, ta), tb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(ta, tb), name


def test_unreadable_cache_is_retrained(monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(classifier, "_LOADED", {})
    monkeypatch.setattr(classifier, "train_classifier", lambda: classifier.DigitNet().eval())  # fast stand-in
    path = tmp_path / f"digit-classifier-{classifier.cache_key()}.pt"
    path.write_bytes(b"truncated")
    net = classifier.digit_classifier()
    assert isinstance(net, classifier.DigitNet)
    assert "state_dict" in torch.load(path, weights_only=True)
    assert sorted(os.listdir(tmp_path)) == [path.name]

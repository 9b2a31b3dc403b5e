"""The digit mode classifier ensemble: accuracy, agreement, confusion, cache location and format, determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import astuple
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ganlab.data import digit_splits
from ganlab.data.digits import resize_digits
from ganlab.metrics import classifier


def test_held_out_accuracy(digit_net):
    acc = classifier.held_out_accuracy(digit_net)
    assert acc["agreed"] >= 0.97, acc
    assert all(acc[f"member_{i}"] >= 0.97 for i in range(len(classifier.MEMBERS))), acc
    assert acc["ambiguous"] <= 0.03, acc


def test_members_differ_in_seed_architecture_and_augmentation():
    specs = classifier.MEMBERS
    assert len(specs) >= 3
    # Augmentation differs in the resize paths each member's digits come through; the nuisance levels
    # are shared, the strongest tried (docs/metrics.md, "Other ensembles tried").
    for field in ("seed", "renders"):
        assert len({getattr(s, field) for s in specs}) == len(specs), field
    assert len({(s.width, s.kernel, s.hidden) for s in specs}) == len(specs)
    for spec in specs:  # each member trains on some resize path no other member sees
        others = {r for other in specs if other is not spec for r in other.renders}
        assert set(spec.renders) - others, spec


def test_the_features_come_from_a_network_that_still_sees_gray_strokes(digit_net):
    """Fréchet/PRDC/diversity are read in a network trained under milder nuisances than the mode readers:
    one taught to ignore a gray background cannot measure a generator whose samples went gray."""
    feats, readers = classifier.FEATURES, classifier.MEMBERS
    assert feats.hidden == classifier.FEATURE_DIM
    for nuisance in ("background", "noise", "blur"):
        assert getattr(feats, nuisance) < min(getattr(s, nuisance) for s in readers), nuisance
    x, _ = digit_splits()["held_out"]
    images = classifier.to_input(resize_digits(x[:64], 32))
    _, features = digit_net(images)
    assert torch.equal(features, digit_net.features(images)[1])
    assert not torch.allclose(features, digit_net.members[0](images)[1])


@pytest.mark.parametrize("resolution", [8, 16, 32, 64, 128])
def test_accuracy_at_every_input_resolution(digit_net, resolution):
    x, y = digit_splits()["held_out"]
    digits, features = digit_net(classifier.to_input(resize_digits(x, resolution)))
    assert digits.shape == (len(classifier.MEMBERS), len(y))
    assert (classifier.agreed(digits).numpy() == y).mean() >= 0.97
    assert features.shape == (len(y), classifier.FEATURE_DIM)


def test_agreed_is_the_majority_and_ambiguous_without_one():
    digits = torch.tensor([[1, 2, 3, 4, 7], [1, 2, 0, 4, 8], [1, 5, 3, 6, 9]])
    assert classifier.agreed(digits).tolist() == [1, 2, 3, 4, classifier.AMBIGUOUS]


@given(st.lists(st.lists(st.integers(0, 9), min_size=3, max_size=3), min_size=1, max_size=30))
def test_agreed_matches_a_vote_count(columns):
    digits = torch.tensor(columns).T  # (3 members, N)
    expected = []
    for column in columns:
        best = max(set(column), key=column.count)
        expected.append(best if column.count(best) >= 2 else classifier.AMBIGUOUS)
    assert classifier.agreed(digits).tolist() == expected


def test_confusion_is_a_recount_of_held_out_reads(digit_net):
    conf = digit_net.confusion.numpy()
    assert conf.shape == (10, 11)
    assert conf.sum(axis=1) == pytest.approx(np.ones(10))
    assert (conf[:, :10][~np.eye(10, dtype=bool)] > 0).all()  # the prior: no misread is impossible
    # Recount from scratch with the same seeded nuisances (an independent loop over the renders).
    assert torch.equal(classifier.estimate_confusion(digit_net), digit_net.confusion)
    assert np.diag(conf).min() >= 0.8  # every digit is read right under nuisances most of the time


def test_cached_atomically_in_the_cache_dir(digit_net, ganlab_cache_dir):
    path = Path(ganlab_cache_dir) / f"digit-classifier-{classifier.cache_key()}.pt"
    assert not list(Path(ganlab_cache_dir).glob("*.tmp"))  # the temporary file was renamed
    payload = torch.load(path, weights_only=True)
    assert payload["key"] == classifier.cache_key()
    assert payload["held_out_accuracy"]["agreed"] >= 0.97
    assert classifier.digit_classifier() is digit_net  # cached in-process too


def test_cache_key_changes_with_the_members_and_the_feature_network(monkeypatch):
    before = classifier.cache_key()
    changed = (*classifier.MEMBERS[:-1], classifier.MemberSpec(*astuple(classifier.MEMBERS[-1])[:-1], 0.5))
    monkeypatch.setattr(classifier, "MEMBERS", changed)
    assert classifier.cache_key() != before
    monkeypatch.undo()
    assert classifier.cache_key() == before
    monkeypatch.setattr(classifier, "FEATURES", classifier.MemberSpec(*astuple(classifier.FEATURES)[:-1], 0.5))
    assert classifier.cache_key() != before


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
    a, b = classifier.train_classifier(steps=3), classifier.train_classifier(steps=3)
    for (name, ta), tb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(ta, tb), name
    # Members start from their own seeds: their first layers differ.
    w = [m.conv[0].weight for m in a.members]
    assert w[0].shape != w[1].shape or not torch.equal(w[0], w[1])


def test_unreadable_cache_is_retrained(monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(classifier, "_LOADED", {})
    monkeypatch.setattr(classifier, "train_classifier", lambda: classifier.DigitEnsemble().eval())  # fast stand-in
    path = tmp_path / f"digit-classifier-{classifier.cache_key()}.pt"
    path.write_bytes(b"truncated")
    net = classifier.digit_classifier()
    assert isinstance(net, classifier.DigitEnsemble)
    assert "state_dict" in torch.load(path, weights_only=True)
    assert sorted(os.listdir(tmp_path)) == [path.name, f"{path.name}.lock"]  # the lock file stays (ganlab.lock)


def test_a_second_process_waits_for_the_training_one_and_loads_its_ensemble(monkeypatch, tmp_path):
    """Two sweep workers on a fresh cache: the one that finds the training lock held waits, then loads."""
    monkeypatch.setenv("GANLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(classifier, "_LOADED", {})
    path = tmp_path / f"digit-classifier-{classifier.cache_key()}.pt"
    trainer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time, torch; from ganlab.lock import held; from ganlab.metrics import classifier\n"
        f"path = classifier.cache_path({classifier.cache_key()!r})\n"
        "with held(str(path) + '.lock', None):\n"
        "    print('training', flush=True); time.sleep(1)\n"
        "    torch.save({'state_dict': classifier.DigitEnsemble().state_dict()}, path)\n")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert trainer.stdout.readline().strip() == "training"  # it holds the lock now
        monkeypatch.setattr(classifier, "train_classifier", lambda: pytest.fail("trained a second time"))
        assert isinstance(classifier.digit_classifier(), classifier.DigitEnsemble)
        assert path.is_file()
    finally:
        trainer.wait(timeout=60)

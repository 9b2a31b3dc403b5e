"""A team's own GAN package (``team/mygan``, pytorch/examples-style) copied into a temp repository with a
folder of 32x32 RGB images and a run config that names the models in YAML alone."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

TEAM = Path(__file__).parent / "team"


def write_images(folder: Path, n: int = 48, seed: int = 0) -> None:
    """``n`` 32x32 RGB pngs: a coloured square on a dark background, position and colour drawn at random."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        img = np.full((32, 32, 3), 20, np.uint8)
        x, y = rng.integers(0, 20, size=2)
        img[y : y + 12, x : x + 12] = rng.integers(80, 256, size=3)
        Image.fromarray(img).save(folder / f"{i:03d}.png")


def team_config(images: Path, **model: object) -> dict:
    return {
        "data": {"dataset": "folder", "path": str(images), "resolution": 32, "channels": 3},
        "model": {"generator": {"_target_": "mygan.models.Generator", "nz": 16, "ngf": 8, "nc": 3},
                  "discriminator": {"_target_": "mygan.models.Discriminator", "nc": 3, "ndf": 8}, **model},
        "train": {"steps": 3, "batch_size": 8, "checkpoint_every": 3, "device": "cpu", "threads": 1},
        "diagnostics": {"enabled": False},
        "output": {"samples": 4},
    }


@pytest.fixture
def team_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path/repo`` holding ``mygan/``, ``images/`` and ``gan.yaml``; the test runs from ``tmp_path``
    (not the repo), and ``mygan`` is forgotten afterwards so the next test imports its own copy."""
    _forget_team()
    repo = tmp_path / "repo"
    shutil.copytree(TEAM, repo, ignore=shutil.ignore_patterns("__pycache__"))
    write_images(repo / "images")
    (repo / "gan.yaml").write_text(yaml.safe_dump(team_config(repo / "images"), sort_keys=False))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield repo
    _forget_team()


def _forget_team() -> None:
    for name in [m for m in sys.modules if m == "mygan" or m.startswith("mygan.")]:
        del sys.modules[name]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))

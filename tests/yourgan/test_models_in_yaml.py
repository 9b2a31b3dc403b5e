"""Items 2 and 3 of issue 18: the team's models wired in by YAML alone, built and checked by the dry run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from ganlab.config import validate
from ganlab.errors import ConfigError
from ganlab.losses import LOSSES
from tests.badinput.helpers import assert_one_line_error, cli
from tests.yourgan.conftest import edit, team_config


def test_dry_run_builds_the_team_models_and_says_how_they_fit(team_repo: Path) -> None:
    code, out, err = cli("train", team_repo / "gan.yaml", "--dry-run")
    assert code == 0, err
    assert "mygan.models.Generator(nz=16, ngf=8, nc=3): takes z (N, 16, 1, 1)" in out
    assert "makes images (N, 3, 32, 32)" in out
    assert "mygan.models.Discriminator(nc=3, ndf=8): ends in nn.Sigmoid" in out
    assert "code in the run id: ganlab " in out and "mygan.models " in out
    assert "nz: 16" in out  # z's size comes from the generator's own keyword


@pytest.mark.parametrize(("override", "needles"), [
    ("model.generator.ngff=8", ["model.generator.ngff", "no argument 'ngff'", "did you mean 'ngf'",
                                "valid: nz, ngf, nc, use_bn"]),
    ("model.discriminator={_target_: mygan.models.Discriminator, ndf: 8, nc: null}", ["model.discriminator"]),
    ("model.generator.nc=1", ["model.generator", "G makes images (N, 1, 32, 32)", "data is (N, 3, 32, 32)"]),
    ("data.resolution=64", ["model.generator", "(N, 3, 32, 32)", "(N, 3, 64, 64)", "data.resolution"]),
    ("model.generator._target_=mygan.modelz.Generator", ["model.generator", "cannot import module 'mygan.modelz'"]),
    ("model.generator._target_=mygan.models.Generatr", ["has no callable 'Generatr'", "did you mean 'Generator'"]),
    ("model.discriminator.ndf=-1", ["model.discriminator", "building mygan.models.Discriminator raised"]),
])
def test_dry_run_refuses_what_does_not_fit_in_one_line(team_repo: Path, override: str, needles: list[str]) -> None:
    line = assert_one_line_error(cli("train", team_repo / "gan.yaml", "--dry-run", "--set", override), *needles)
    assert str(team_repo / "gan.yaml") in line


def test_a_discriminator_for_another_resolution_is_named(team_repo: Path) -> None:
    # G made for 64x64 (one more upsampling) would be caught first; here G fits and D does not.
    edit(team_repo / "mygan" / "models.py", "nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False)",
         "nn.Conv2d(ndf * 4, 1, 3, 1, 0, bias=False)")
    assert_one_line_error(cli("train", team_repo / "gan.yaml", "--dry-run"), "model.discriminator",
                          "D returns 8 values (shape (8,)) for 2 images", "one value per image")


def test_the_current_folder_is_importable(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configs = team_repo / "configs"
    configs.mkdir()
    (team_repo / "gan.yaml").rename(configs / "gan.yaml")
    monkeypatch.chdir(team_repo)  # mygan sits here, not beside the config file
    code, out, err = cli("train", "configs/gan.yaml", "--dry-run")
    assert code == 0, err


def test_the_console_script_imports_the_package_beside_the_config(team_repo: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    script = shutil.which("ganlab")
    if script is None:
        pytest.skip("the ganlab console script is not installed")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    for cwd in (team_repo, team_repo.parent):  # from the package's folder, and from elsewhere
        done = subprocess.run([script, "train", str(team_repo / "gan.yaml"), "--dry-run"], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "takes z (N, 16, 1, 1)" in done.stdout
    assert sys.executable  # the script runs under its own interpreter; what it imports is its sys.path's


def test_the_sigmoid_discriminator_is_trained_with_bce_on_its_probabilities(team_repo: Path) -> None:
    import sys

    from ganlab.models import build_discriminator

    sys.path.insert(0, str(team_repo))  # the fixture restores sys.path
    from mygan.models import Discriminator

    cfg = validate(team_config(team_repo / "images"))
    torch.manual_seed(0)
    adapted = build_discriminator(cfg)
    plain = Discriminator(3, 8)
    plain.load_state_dict(adapted.state_dict())
    real, fake = torch.rand(6, 3, 32, 32) * 2 - 1, torch.rand(6, 3, 32, 32) * 2 - 1
    bce = nn.BCELoss()
    for name in ("nonsaturating", "minimax"):
        loss = LOSSES[name]
        ours_d = loss.d(adapted(real).view(-1), adapted(fake).view(-1))
        p_real, p_fake = plain(real), plain(fake)
        # pytorch/examples: errD = BCE(D(x), 1) + BCE(D(G(z)), 0)
        theirs_d = bce(p_real, torch.ones(6)) + bce(p_fake, torch.zeros(6))
        torch.testing.assert_close(ours_d, theirs_d, rtol=1e-5, atol=1e-6)
        grads = torch.autograd.grad(ours_d, list(adapted.parameters()))
        expected = torch.autograd.grad(theirs_d, list(plain.parameters()))
        for g, e in zip(grads, expected, strict=True):
            torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-6)
    # G's side: nonsaturating is errG = BCE(D(G(z)), 1); minimax is -BCE(D(G(z)), 0)
    torch.testing.assert_close(LOSSES["nonsaturating"].g(adapted(fake).view(-1)), bce(plain(fake), torch.ones(6)))
    torch.testing.assert_close(LOSSES["minimax"].g(adapted(fake).view(-1)), -bce(plain(fake), torch.zeros(6)))


def test_saturated_probabilities_are_clamped_as_bce_clamps_them() -> None:
    from ganlab.models.fit import probability_logits

    p = torch.tensor([0.0, 1.0, 1e-30, 0.5, 1 - 1e-7])
    logits = probability_logits(p)
    for target in (0.0, 1.0):
        y = torch.full_like(p, target)
        ours = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
        torch.testing.assert_close(ours, nn.functional.binary_cross_entropy(p, y, reduction="none"),
                                   rtol=1e-4, atol=1e-4)


def test_a_sigmoid_discriminator_refuses_a_loss_on_scores(team_repo: Path) -> None:
    assert_one_line_error(cli("train", team_repo / "gan.yaml", "--dry-run", "--set", "train.loss=hinge"),
                          "model.discriminator", "nn.Sigmoid", "train.loss 'hinge'", "nonsaturating or minimax")


def test_a_logit_discriminator_and_a_flat_z_generator_are_left_as_they_are(team_repo: Path) -> None:
    edit(team_repo / "mygan" / "models.py", "nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False), nn.Sigmoid(),",
         "nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),")
    edit(team_repo / "mygan" / "models.py", "return self.main(input)\n",
         "return self.main(input.view(*input.shape, 1, 1))\n")
    code, out, err = cli("train", team_repo / "gan.yaml", "--dry-run")
    assert code == 0, err
    assert "takes z (N, 16)," in out and "returns logits, one per image" in out


def test_nz_is_given_once() -> None:
    with pytest.raises(ConfigError, match="model.nz = 32 but model.generator.nz = 16"):
        validate({"model": {"nz": 32, "generator": {"_target_": "a.B", "nz": 16}}})
    assert validate({"model": {"nz": 16, "generator": {"_target_": "a.B", "nz": 16}}}).model.nz == 16
    with pytest.raises(ConfigError, match="_target_"):
        validate({"model": {"generator": {"nz": 16}}})


def test_the_old_factory_string_still_works(team_repo: Path) -> None:
    (team_repo / "mygan" / "factories.py").write_text(
        "from mygan.models import Discriminator, Generator\n\n"
        "def make_g(config):\n    return Generator(config.model.nz, 8, 3)\n\n"
        "def make_d(config):\n    return Discriminator(3, 8)\n")
    code, out, err = cli("train", team_repo / "gan.yaml", "--dry-run",
                         "--set", "model.generator=mygan.factories:make_g",
                         "--set", "model.discriminator=mygan.factories:make_d", "--set", "model.nz=16")
    assert code == 0, err
    assert "mygan.factories:make_g(config): takes z (N, 16, 1, 1)" in out

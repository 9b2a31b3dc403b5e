"""``GanlabCallback``: a Lightning GAN (manual optimization) whose G ignores z is stopped online by the
callback; the run directory it writes gives the same events through ``ganlab diagnose`` and, with the
generator named, is scored by ``ganlab score``. Skipped without lightning (``pip install 'ganlab[lightning]'``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from ganlab.diagnostics import diagnose_path
from ganlab.errors import ConfigError
from ganlab.metrics.score import score
from ganlab.schema import CHECKPOINT, SCORE_KEYS, EventKind, read_run
from tests.monitor.user_models import Generator

L = pytest.importorskip("lightning.pytorch")
from ganlab.monitor.lightning import GanlabCallback  # noqa: E402 - after the skip

NZ, BATCH, BATCHES = 8, 32, 60
SETTINGS = {"eval_every": 10, "eval_samples": 200, "check_every": 10, "final_samples": 200,
            "stop_on": ["mode_collapse"], "patience": 0, "collapse_persist": 2, "collapse_min_steps": 0}
TARGET = {"_target_": "tests.monitor.user_models.Generator", "nz": NZ, "width": 8}


class GAN(L.LightningModule):
    """pytorch/examples' DCGAN step in Lightning's manual optimization; logs its losses, returns D's outputs."""

    def __init__(self, z_scale: float):
        super().__init__()
        self.automatic_optimization = False
        self.z_scale = z_scale
        self.generator = Generator(NZ, 8)
        self.discriminator = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(8, 1, 8, 1, 0))
        self.bce = nn.BCEWithLogitsLoss()

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> dict[str, torch.Tensor]:
        real = batch[0]
        opt_g, opt_d = self.optimizers()  # type: ignore[misc]
        fake = self.generator(torch.randn(len(real), NZ, 1, 1) * self.z_scale)
        out_real, out_fake = self.discriminator(real).view(-1), self.discriminator(fake.detach()).view(-1)
        d_loss = self.bce(out_real, torch.ones_like(out_real)) + self.bce(out_fake, torch.zeros_like(out_fake))
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        out = self.discriminator(fake).view(-1)
        g_loss = self.bce(out, torch.ones_like(out))
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.log("d_loss", d_loss)
        self.log("g_loss", g_loss)
        return {"D(x)": out_real.detach(), "D(G(z))": out_fake.detach()}  # logits: the callback says so

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.generator.parameters(), 2e-4, betas=(0.5, 0.999)),
                torch.optim.Adam(self.discriminator.parameters(), 2e-4, betas=(0.5, 0.999))]


def sample(module: GAN, n: int) -> torch.Tensor:
    return module.generator(torch.randn(n, NZ, 1, 1) * module.z_scale)


@pytest.fixture(scope="module")
def collapsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GanlabCallback]:
    run_dir = tmp_path_factory.mktemp("lightning") / "run"
    torch.manual_seed(0)
    callback = GanlabCallback(run_dir, "gaussian-grid", SETTINGS, outputs="logits", resolution=16, sample=sample,
                              generator=TARGET)
    real = callback.monitor.dataset.sample(BATCH * BATCHES, torch.Generator().manual_seed(1))[0]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(real), batch_size=BATCH)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[callback])
    trainer.fit(GAN(z_scale=0.0), loader)
    return run_dir, callback


def test_the_callback_stops_a_collapsed_gan_and_writes_its_run_dir(collapsed: tuple[Path, GanlabCallback]) -> None:
    run_dir, callback = collapsed
    monitor = callback.monitor
    assert monitor.should_stop and monitor.stop_event is not None
    assert monitor.stop_event.kind == EventKind.MODE_COLLAPSE
    assert monitor.step_done == 2 * SETTINGS["eval_every"] < BATCHES  # at the second evaluation (persist 2)
    record = read_run(run_dir)
    assert record is not None and record.status == "failed" and record.steps_done == monitor.step_done
    assert [e.to_dict() for e in diagnose_path(run_dir)] == [e.to_dict() for e in monitor.events]


def test_the_generator_it_names_is_scored(collapsed: tuple[Path, GanlabCallback]) -> None:
    run_dir, _ = collapsed
    record = read_run(run_dir)
    assert (run_dir / CHECKPOINT).is_file() and record is not None and record.final_metrics is not None
    scored = score(run_dir, threads=torch.get_num_threads()).metrics
    assert {k: scored[k] for k in SCORE_KEYS} == {k: record.final_metrics[k] for k in SCORE_KEYS}
    assert scored["n_samples"] == SETTINGS["final_samples"]


def test_names_are_mapped_and_a_missing_one_is_one_line(tmp_path: Path) -> None:
    callback = GanlabCallback(tmp_path / "run", "gaussian-grid", {"eval_every": 0}, outputs="probabilities",
                              resolution=16, names={"d_fake": "D_fake_prob"})
    trainer = SimpleNamespace(callback_metrics={"loss_disc": 1.0, "loss_gen": 2.0, "d_x": 0.5})
    named = callback.values(trainer, {"D_fake_prob": 0.4})  # type: ignore[arg-type]
    assert named == {"loss_d": 1.0, "loss_g": 2.0, "d_real": 0.5, "d_fake": 0.4}
    with pytest.raises(ConfigError) as err:
        callback.values(trainer, {"fake_prob": 0.4})  # type: ignore[arg-type]
    message = str(err.value)
    assert "\n" not in message and message.startswith("GanlabCallback: no d_fake") and "'fake_prob'" in message
    callback.monitor.close()

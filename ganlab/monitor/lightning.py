"""``GanlabCallback``: a ``ganlab.Monitor`` as a PyTorch Lightning callback (``pip install 'ganlab[lightning]'``).

Thin: per training batch it hands the monitor what the LightningModule returned from ``training_step`` (a
dict) or logged with ``self.log`` in it, under the schema's names or any name ``ganlab diagnose`` maps
(``d_loss``, ``Loss_D``, ``D(x)``...; ``names`` for the rest), the modules named by ``generator_attr`` /
``discriminator_attr`` for the gradient norms, and ``sample(pl_module, n)`` for the evaluations. When the
monitor says stop, ``trainer.should_stop`` is set; at the end of training the run directory is written
(with G and ``generator=``, what ``ganlab score RUN_DIR`` reads; ``Monitor.close``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torch import Tensor, nn

from ganlab.diagnostics.columns import canonical_names, closest
from ganlab.errors import ConfigError
from ganlab.monitor.monitor import Monitor

try:
    from lightning.pytorch import Callback, LightningModule, Trainer
except ImportError as err:  # the extra is not installed
    raise ImportError("ganlab's Lightning callback needs lightning: pip install 'ganlab[lightning]'") from err

PASSED = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")
REQUIRED = PASSED[:4]


class GanlabCallback(Callback):
    """``GanlabCallback(run_dir, data, diagnostics, outputs=..., sample=..., generator=...)``.

    ``outputs``: whether the ``d_real``/``d_fake`` handed over are D's logits or probabilities (said once).
    ``sample(pl_module, n)`` -> ``n`` images for the evaluations (None: no evaluation columns).
    ``generator``: how ``ganlab score`` rebuilds G (``model.generator``'s spelling), to write it at the end.
    ``names``: ``{column: name}`` for names no alias covers. Other keywords go to ``Monitor``.
    """

    def __init__(self, run_dir: Any, data: Any, diagnostics: Any = None, *, outputs: str,
                 sample: Callable[[LightningModule, int], Tensor] | None = None,
                 generator_attr: str = "generator", discriminator_attr: str = "discriminator",
                 generator: str | Mapping[str, Any] | None = None, nz: int | None = None,
                 names: Mapping[str, str] | None = None, **monitor: Any):
        self.monitor = Monitor(run_dir, data, diagnostics, outputs=outputs, **monitor)  # type: ignore[arg-type]
        self.sample, self.names = sample, dict(names or {})
        self.generator_attr, self.discriminator_attr = generator_attr, discriminator_attr
        self.generator, self.nz = generator, nz

    def values(self, trainer: Trainer, outputs: Any) -> dict[str, Any]:
        """The step's values by schema column: the returned dict over the logged metrics."""
        found: dict[str, Any] = dict(trainer.callback_metrics)
        if isinstance(outputs, Mapping):
            found.update(outputs)
        renames = canonical_names(list(found), PASSED, self.names)
        named = {renames.get(k, k): v for k, v in found.items()}
        missing = [c for c in REQUIRED if c not in named]
        if missing:
            near = closest(missing[0], list(found))
            hint = f"; did you mean {near!r} (names={{{missing[0]!r}: {near!r}}})" if near else ""
            raise ConfigError(f"GanlabCallback: no {missing[0]} in training_step's returned dict or its self.log "
                              f"values (found {', '.join(map(repr, found)) or 'none'}){hint}")
        return {k: named[k] for k in PASSED if k in named}

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        G, D = self._module(pl_module, self.generator_attr), self._module(pl_module, self.discriminator_attr)
        sample = None if self.sample is None else (lambda n: self.sample(pl_module, n))  # type: ignore[misc]
        if self.monitor.step(**self.values(trainer, outputs), G=G, D=D, sample=sample):
            trainer.should_stop = True

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        G = self._module(pl_module, self.generator_attr) if self.generator is not None else None
        self.monitor.close(G=G, generator=self.generator, nz=self.nz)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self.monitor.close()  # the log so far, for diagnose; the run directory is released

    @staticmethod
    def _module(pl_module: LightningModule, attr: str) -> nn.Module | None:
        module = getattr(pl_module, attr, None)
        return module if isinstance(module, nn.Module) else None

"""The typed config: one frozen pydantic model per section, unknown keys rejected.

Defaults live here and only here; each has a comment when its reason is not obvious. Upper bounds
keep a typo (``batch_size: 1e7``) from passing validation and then exhausting memory; each is far
above what a DCGAN on this harness's data needs (docs/config.md lists them).

This module is a leaf: it imports neither ``ganlab.data`` nor ``ganlab.losses`` (nor torch). Dataset
and loss names are checked against their registries by ``ganlab.train.load.check_names``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.config.types import MAX_STEPS, Int, NotBool, Number

_FROZEN = ConfigDict(extra="forbid", frozen=True)
DATA_RANGES = ((-1.0, 1.0), (0.0, 1.0))
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
# Hydra's spelling: ``_target_: pkg.module.Name`` (a dotted path; ``pkg.module:Name`` is accepted too).
_TARGET = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*([.:][A-Za-z_]\w*)$")
TARGET_KEY = "_target_"


def _no_nul(path: str | None) -> str | None:
    if path is not None and "\x00" in path:
        raise ValueError("a path cannot contain a NUL character")
    return path


class DataConfig(BaseModel):
    model_config = _FROZEN

    dataset: str = "stacked-digits"  # a key of ganlab.data.DATASETS (checked by the loader)
    resolution: Annotated[Literal[16, 32, 64, 128], NotBool] = 32
    # Required for `folder` (a directory of images) and `array` (a .npy/.npz file).
    path: str | None = None
    # Image channels; None means "whatever the dataset has" and is filled in when the run starts.
    channels: Annotated[Literal[1, 3], NotBool] | None = None
    # Fraction of the shipped digits held out from GAN and classifier training (stratified, fixed split).
    held_out_fraction: Number = Field(0.2, gt=0.0, lt=1.0)
    # The pixel range G and D see: [-1, 1] (the paper's, for a tanh output) or [0, 1] (for a sigmoid
    # output). Evaluation and sample grids map G's output back from it (ganlab.data.range).
    range: tuple[Number, Number] = (-1.0, 1.0)

    _path = field_validator("path")(_no_nul)

    @field_validator("range")
    @classmethod
    def _known_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value not in DATA_RANGES:
            raise ValueError(f"data.range must be [-1, 1] or [0, 1], got [{value[0]:g}, {value[1]:g}]")
        return value


class ModelConfig(BaseModel):
    model_config = _FROZEN

    nz: Int = Field(100, ge=1, le=4096)
    # Channels at 4x4; None means 16 * resolution, which is the paper's 4x4x1024 at 64x64.
    width: Int | None = Field(None, ge=8, le=4096)
    # Guideline 1: strided convs in D, fractional-strided (transposed) convs in G.
    d_downsample: Literal["strided", "maxpool", "avgpool"] = "strided"
    g_upsample: Literal["transposed", "nearest", "bilinear"] = "transposed"
    # Guideline 2: batchnorm everywhere except G's output and D's input.
    batchnorm: Literal["both", "generator", "discriminator", "none", "all_layers"] = "both"
    # Guidelines 4 and 5: ReLU in G, LeakyReLU(0.2) in D.
    d_activation: Literal["leaky_relu", "relu"] = "leaky_relu"
    g_activation: Literal["relu", "leaky_relu"] = "relu"
    leaky_slope: Number = Field(0.2, ge=0.0, lt=1.0)
    # Guideline 3: no fully connected hidden layers.
    fc_hidden: Int = Field(0, ge=0, le=8)
    fc_width: Int = Field(1024, ge=1, le=16384)
    g_output: Literal["tanh", "sigmoid", "linear"] = "tanh"
    # A conv/linear layer with no batchnorm after it gets a bias; layers with batchnorm have none (its shift
    # is the offset). Off: no bias anywhere, so removing batchnorm also removes every offset parameter.
    bias_without_batchnorm: bool = True
    # None = ganlab's DCGAN; "package.module:factory" -> factory(config) returns an nn.Module; or a mapping
    # {_target_: package.module.Class, key: value, ...} -> Class(key=value, ...), as Hydra's instantiate.
    generator: str | dict[str, Any] | None = None
    discriminator: str | dict[str, Any] | None = None
    # Declared version of model code that cannot be hashed (not importable here, or built at run time);
    # part of the run id with the hashed source (docs/config.md, "The run id").
    code_version: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _nz_from_generator(cls, data: Any) -> Any:
        # z's size is the generator's own `nz` keyword when it has one: one number, said once.
        gen = data.get("generator") if isinstance(data, dict) else None
        if not (isinstance(gen, dict) and isinstance(gen.get("nz"), int) and not isinstance(gen["nz"], bool)):
            return data
        if "nz" not in data:
            return {**data, "nz": gen["nz"]}
        if data["nz"] != gen["nz"]:
            raise ValueError(f"model.nz = {data['nz']!r} but model.generator.nz = {gen['nz']}; they are z's size, "
                             "give it once (drop model.nz)")
        return data

    @field_validator("generator", "discriminator")
    @classmethod
    def _import_path(cls, value: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
        if isinstance(value, dict):
            target = value.get(TARGET_KEY)
            if not isinstance(target, str) or not _TARGET.match(target):
                raise ValueError(f"a model mapping needs {TARGET_KEY}: an import path like "
                                 f"'mypkg.models.Generator', got {target!r}")
            bad = [k for k in value if not isinstance(k, str) or not k.isidentifier()]
            if bad:
                raise ValueError(f"keyword {bad[0]!r} is not a Python identifier")
            return value
        if value is not None and not _IMPORT_PATH.match(value):
            raise ValueError(f"expected an import path like 'mypkg.models:make_generator', or a mapping "
                             f"{{{TARGET_KEY}: mypkg.models.Generator, ...}}, got {value!r}")
        return value


class TrainConfig(BaseModel):
    model_config = _FROZEN

    steps: Int = Field(2000, ge=1, le=MAX_STEPS)
    batch_size: Int = Field(64, ge=2, le=4096)
    # Adam(2e-4, betas=(0.5, 0.999)) is what the DCGAN paper and pytorch/examples train with.
    lr_g: Number = Field(2e-4, gt=0.0)
    lr_d: Number = Field(2e-4, gt=0.0)
    beta1: Number = Field(0.5, ge=0.0, lt=1.0)
    beta2: Number = Field(0.999, ge=0.0, lt=1.0)
    # nonsaturating is what the paper actually trains with; minimax is the lecture's formulation.
    loss: str = "nonsaturating"  # a key of ganlab.losses.LOSSES (checked by the loader)
    n_critic: Int = Field(1, ge=1, le=100)
    device: str = "auto"
    log_every: Int = Field(1, ge=1, le=10_000_000)
    checkpoint_every: Int = Field(500, ge=1, le=10_000_000)
    # torch intra-op threads; None leaves torch's default. Sweeps split the machine's cores among workers.
    threads: Int | None = Field(None, ge=1, le=1024)
    # `constant` feeds G the same z every step: a deliberately broken setting that must collapse.
    z_distribution: Literal["normal", "uniform", "constant"] = "normal"

    @field_validator("device")
    @classmethod
    def _known_device(cls, device: str) -> str:
        if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
            raise ValueError(f"unknown device {device!r}; valid: auto, cpu, cuda, cuda:N, mps")
        return device


class OutputConfig(BaseModel):
    model_config = _FROZEN

    dir: str = Field("runs", min_length=1, max_length=4096)
    # Images in each sample grid (written at every checkpoint from a fixed z).
    samples: Int = Field(64, ge=1, le=256)

    _dir = field_validator("dir")(_no_nul)


class GanlabConfig(BaseModel):
    model_config = _FROZEN

    # torch and numpy seeds are unsigned 64-bit; every random stream is derived from it (ganlab.sampling).
    seed: Int = Field(0, ge=0, le=2**63 - 1)
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    diagnostics: DiagnosticsConfig = DiagnosticsConfig()
    output: OutputConfig = OutputConfig()

    @model_validator(mode="after")
    def _output_reaches_the_data(self) -> GanlabConfig:
        # A sigmoid never produces a negative pixel: on [-1, 1] data D would win by reading the sign.
        if self.model.g_output == "sigmoid" and self.data.range != (0.0, 1.0):
            raise ValueError("model.g_output 'sigmoid' spans (0, 1) and needs data.range: [0, 1] "
                             f"(got [{self.data.range[0]:g}, {self.data.range[1]:g}]); use tanh for [-1, 1] data")
        return self

    @property
    def width(self) -> int:
        """Channels at 4x4, with the default (16 * resolution) resolved."""
        return self.model.width or 16 * self.data.resolution

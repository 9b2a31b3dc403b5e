"""The ``diagnostics:`` config section: when detectors run and their thresholds.

Every default is documented, with its reason or source, in ``docs/diagnostics.md``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DiagnosticsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Periodic evaluation with a fixed z batch (mode coverage, KL, diversity) every this many steps; 0 = off.
    eval_every: int = Field(250, ge=0)
    eval_samples: int = Field(1000, ge=16)
    # Online detectors look at the log every this many steps (the log itself is written every step).
    check_every: int = Field(50, ge=1)
    # Event kinds that stop a run once the condition has lasted `patience` steps past its onset.
    stop_on: tuple[str, ...] = ()
    patience: int = Field(200, ge=0)

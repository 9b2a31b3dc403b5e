"""The ``diagnostics:`` config section: when detectors run and their thresholds.

Every default is documented, with its reason or source, in ``docs/diagnostics.md``. Windows are in
training steps (not log rows), so they mean the same thing whatever ``train.log_every`` is.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from ganlab.config.types import MAX_STEPS, Int, Number
from ganlab.schema.events import EVENT_KINDS, EventKind


def _known_kinds(names: Any, key: str) -> Any:
    """Detector names as ``EventKind`` members, repeats dropped; an unknown name is named with the valid ones."""
    if not isinstance(names, list | tuple):
        return names  # pydantic says what type it expected
    unknown = [n for n in names if n not in EVENT_KINDS]
    if unknown:
        raise ValueError(
            f"unknown detector kind(s) {', '.join(map(repr, unknown))} in diagnostics.{key}; "
            f"valid: {', '.join(EVENT_KINDS)}"
        )
    return tuple(dict.fromkeys(EventKind(n) for n in names))  # drop repeats, keep order


class DiagnosticsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: StrictBool = True
    # Periodic evaluation with a fixed z batch (mode coverage, KL, diversity) every this many steps; 0 = off.
    eval_every: Int = Field(default=250, ge=0, le=MAX_STEPS)
    eval_samples: Int = Field(default=1000, ge=16, le=100_000)
    # Samples for the final metrics, apart from the cheap periodic evaluation: at 10,000 a perfect
    # generator covers ~all 1000 stacked modes (at 1000 only 632); see docs/metrics.md for the errors.
    final_samples: Int = Field(default=10_000, ge=16, le=1_000_000)
    # Online detectors look at the log every this many steps (the log itself is written every step).
    check_every: Int = Field(default=50, ge=1, le=MAX_STEPS)
    # Event kinds that stop a run once the condition has lasted `patience` steps past its onset.
    stop_on: tuple[EventKind, ...] = ()
    patience: Int = Field(default=200, ge=0, le=MAX_STEPS)
    # Which detectors run; drop a name to silence a detector you do not trust on your data.
    detectors: tuple[EventKind, ...] = EVENT_KINDS

    # d_dominance: D wins outright. D(x) >= 0.95 and D(G(z)) <= 0.05 make the logistic D loss
    # -log 0.95 - log(1 - 0.05) = 0.103, hence loss_d <= 0.1. Calibration runs whose D merely led
    # (D(x) ~ 0.9, D(G(z)) ~ 0.1 for 90 steps at a time) stay below these.
    dominance_window: Int = Field(default=100, ge=1, le=MAX_STEPS)
    dominance_d_real: Number = Field(default=0.95, gt=0.5, le=1.0)
    dominance_d_fake: Number = Field(default=0.05, ge=0.0, lt=0.5)
    dominance_loss_d: Number = Field(default=0.1, gt=0.0)
    # A gradient has vanished when it is below this fraction of its own running peak level.
    dominance_grad_ratio: Number = Field(default=0.1, gt=0.0, lt=1.0)
    # "G's output low" is G-side evidence only where G is stuck (no new best at that eval) or already
    # repeats itself: eval_dup_rate at least this. Held-out real data reads 0 (distinct rows); every healthy
    # run of the validation corpus read 0.000 at its first evaluation, where G is low but climbing.
    dominance_copies_rate: Number = Field(default=0.01, gt=0.0, le=1.0)

    # gradient_explosion: the median of `explosion_sustain` steps is `explosion_factor` times the
    # median of the `explosion_window` steps before it, the highest such window median the run held
    # earlier, and the highest `explosion_sustain`-step median it held before, burn-in included.
    # Single-step spikes of 10-50x happen in healthy DCGAN training, so one step is never enough. No
    # onset and no window median comes from the first `explosion_burn_in` steps: without batchnorm, Adam
    # grows the tiny first gradients of N(0, 0.02) init 10-100x in tens of steps (warm-up).
    explosion_window: Int = Field(default=200, ge=2, le=MAX_STEPS)
    explosion_sustain: Int = Field(default=20, ge=1, le=MAX_STEPS)
    explosion_factor: Number = Field(default=10.0, gt=1.0)
    explosion_burn_in: Int = Field(default=200, ge=0, le=MAX_STEPS)
    # ganhacks flags norms over 100, but healthy DCGANs here reached 850; None switches the ceiling off.
    explosion_ceiling: Number | None = Field(default=None, gt=0.0)

    # oscillation: the smoothed loss is alternately above and below both the half window before it
    # and the half window after it, by more than amplitude/2 of its level, `oscillation_swings` times.
    oscillation_smooth: Int = Field(default=25, ge=1, le=MAX_STEPS)
    oscillation_window: Int = Field(default=400, ge=2, le=MAX_STEPS)
    oscillation_amplitude: Number = Field(default=0.5, gt=0.0)
    # Loss level used to scale the amplitude is at least this (nats). Healthy runs of the calibration
    # corpus keep loss_d near 0.1-0.5 with spikes to ~1 as D's lead changes hands; scaled by a level
    # that low (the old floor, 0.5), those one-sided spikes read as swings (batchnorm-all-layers). A
    # floor of 1 nat asks a swing around a low level to go 0.25 below it, which a loss near 0.3 cannot.
    oscillation_floor: Number = Field(default=1.0, gt=0.0)
    oscillation_swings: Int = Field(default=4, ge=2, le=MAX_STEPS)
    # ...and G's periodic evaluation (eval_modes or eval_diversity) fell below this x its best before
    # the onset while the losses swung. Losses trading the lead while G keeps improving is ordinary GAN
    # training (a healthy width-128 baseline of the corpus swung four times); the deepest drawdown from
    # the best-so-far in any healthy baseline-like corpus run was 0.88 (modes on 1,000 samples) and 0.94
    # (diversity), so 0.8 is clear of evaluation noise. Logs without periodic evaluation: losses decide.
    oscillation_eval_drop: Number = Field(default=0.8, gt=0.0, le=1.0)

    # mode_collapse: coverage is eval_modes divided by the modes a perfect generator would cover with
    # `eval_samples` samples, so 1.0 means "as good as the data".
    # The condition must hold on this many consecutive eval rows, spanning this many steps.
    collapse_persist: Int = Field(default=3, ge=1, le=MAX_STEPS)
    collapse_min_steps: Int = Field(default=500, ge=0, le=MAX_STEPS)
    # Healthy 16x16 stacked-digits runs of the calibration corpus end at coverage 0.51-0.67 on 1,000
    # eval samples (0.74-0.94 on 10,000) and KL coverage 0.56-0.78; the partial levels sit below both
    # (any level 0.3-0.5 and 0.15-0.25 gives the corpus's events), the full level at "a handful of modes".
    collapse_full_coverage: Number = Field(default=0.1, ge=0.0, le=1.0)
    collapse_partial_coverage: Number = Field(default=0.35, ge=0.0, le=1.0)
    # Effective modes from the reverse KL (M exp(-KL)) / the same expectation: a skewed histogram.
    collapse_partial_kl_coverage: Number = Field(default=0.15, ge=0.0, le=1.0)
    collapse_drop: Number = Field(default=0.7, gt=0.0, le=1.0)  # partial when coverage <= this x its best so far
    collapse_full_dup_rate: Number = Field(default=0.8, gt=0.0, le=1.0)
    collapse_partial_dup_rate: Number = Field(default=0.3, gt=0.0, le=1.0)
    collapse_full_diversity: Number = Field(default=0.1, ge=0.0)
    collapse_partial_diversity: Number = Field(default=0.5, ge=0.0)
    # Label-free coverage, read only where the data has no labelled modes: eval_ndb_k (NDB/K on 500 samples,
    # K = 50) at or above this is a partial collapse. Held-out real data reads ~0.05 (the z tests' alpha).
    # docs/diagnostics.md gives the runs it was set on and those it was checked on.
    collapse_partial_ndb_k: Number = Field(default=0.5, gt=0.0, le=1.0)
    # "Still improving" (no collapse yet): a new best normalised coverage by this much (absolute), so a
    # run creeping from 3% to 5% of the modes is stuck, not improving; signals other than coverage
    # need a new best by collapse_min_gain (relative, at least 0.01 absolute).
    collapse_min_coverage_gain: Number = Field(default=0.05, ge=0.0, le=1.0)
    collapse_min_gain: Number = Field(default=0.1, ge=0.0)
    # Short runs (set with a fitted collapse_min_steps, ganlab.config.short_run): an eval row counts toward a
    # collapse only if its samples show it, eval_dup_rate >= collapse_partial_dup_rate. At 300 steps a healthy
    # 16x16 stacked-digits G covers 3-7% of the modes (no duplicates), as low as a collapsed one by coverage.
    collapse_needs_duplicates: StrictBool = False

    # quality_collapse: eval_manifold_share, the share of samples past the realism gate, at or below this
    # share of what held-out real data reads (GATE_PASS_RATE, 0.8), on collapse_persist evals spanning
    # collapse_min_steps with no new best by collapse_min_coverage_gain. The same level is d_dominance's
    # "G's samples off the manifold". docs/diagnostics.md gives the runs it was set on and those it was checked on.
    quality_min_share: Number = Field(default=0.1, ge=0.0, le=1.0)

    @field_validator("stop_on", mode="before")
    @classmethod
    def _known_stop_on(cls, names: Any) -> Any:
        return _known_kinds(names, "stop_on")

    @field_validator("detectors", mode="before")
    @classmethod
    def _known_detectors(cls, names: Any) -> Any:
        return _known_kinds(names, "detectors")

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> DiagnosticsConfig:
        pairs = [
            ("collapse_full_coverage", "collapse_partial_coverage"),
            ("collapse_full_diversity", "collapse_partial_diversity"),
            ("collapse_partial_dup_rate", "collapse_full_dup_rate"),
            ("explosion_sustain", "explosion_window"),
        ]
        for low, high in pairs:
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"diagnostics.{low} must not exceed diagnostics.{high}")
        idle = [k for k in self.stop_on if k not in self.detectors]
        if idle:
            raise ValueError(
                f"diagnostics.stop_on names {', '.join(idle)} but diagnostics.detectors does not run it; "
                "add it to diagnostics.detectors or remove it from stop_on"
            )
        return self

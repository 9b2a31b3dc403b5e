"""Detectors that fit the run: ``mode_collapse``'s window follows the run's length and evaluation cadence,
and a run says which detector cannot fire in it at all, and why (``ganlab train --dry-run``, sweep,
check, ``assert_stable`` and the report).

``collapse_min_steps`` (500) was set on runs of 1,000+ steps. In a CI run of 300 steps a collapse from
step 50 on could never span it, so ``mode_collapse`` stayed silent on a generator with one mode. A run
shorter than twice the configured span gets the span fitted to it::

    fitted = min(collapse_min_steps, max((collapse_persist - 1) * eval_every,
                                         min(steps // 2, last_eval - eval_every)))

(``last_eval`` the run's last evaluation step), so a collapse present from the first evaluation on is
confirmed by the last evaluation whenever the run has ``collapse_persist`` evaluations.
Runs of ``2 * collapse_min_steps`` steps or more (the main job's 1,500, the calibration corpus's
1,200-2,000) keep the configured span exactly; ``collapse_persist`` and every level are never changed.
The fitted value is written into the run's resolved config, so ``ganlab diagnose`` reads the same.
"""

from __future__ import annotations

from ganlab.config.schema import GanlabConfig
from ganlab.schema import EventKind


def fitted_collapse_min_steps(config: GanlabConfig) -> int:
    """``diagnostics.collapse_min_steps`` fitted to ``train.steps`` and ``diagnostics.eval_every`` (above)."""
    diag, steps = config.diagnostics, config.train.steps
    configured = diag.collapse_min_steps
    if not diag.enabled or diag.eval_every == 0 or steps >= 2 * configured:
        return configured
    last_eval = steps // diag.eval_every * diag.eval_every
    return min(configured, max((diag.collapse_persist - 1) * diag.eval_every,
                               min(steps // 2, last_eval - diag.eval_every)))


def short_run_notes(config: GanlabConfig) -> list[str]:
    """One line per enabled detector that cannot fire in a run of ``train.steps`` steps (and why, with the
    setting that would let it), and one for a fitted collapse span. Empty for a run long enough for all."""
    diag, steps = config.diagnostics, config.train.steps
    if not diag.enabled:
        return ["diagnostics.enabled is false: no detector runs"]
    notes, kinds = [], set(diag.detectors)
    windowed = [k for k in (EventKind.MODE_COLLAPSE, EventKind.QUALITY_COLLAPSE) if k in kinds]
    evals = steps // diag.eval_every if diag.eval_every else 0
    for kind in windowed:  # both confirm on collapse_persist evaluations spanning collapse_min_steps
        if diag.eval_every == 0:
            notes.append(f"{kind} cannot fire: no periodic evaluation (diagnostics.eval_every 0)")
        elif evals < diag.collapse_persist:
            notes.append(f"{kind} cannot fire: {evals} evaluation(s) in {steps} steps (diagnostics.eval_every "
                         f"{diag.eval_every}), it needs diagnostics.collapse_persist {diag.collapse_persist}; set "
                         f"diagnostics.eval_every to at most {steps // diag.collapse_persist}")
    if windowed and diag.eval_every and evals >= diag.collapse_persist:
        fitted = fitted_collapse_min_steps(config)
        if fitted != diag.collapse_min_steps:
            notes.append(f"{' and '.join(windowed)}: diagnostics.collapse_min_steps {diag.collapse_min_steps} "
                         f"fitted to {fitted} for a {steps}-step run (a collapse must last {fitted} steps and "
                         f"{diag.collapse_persist} evaluations)")
    if EventKind.GRADIENT_EXPLOSION in kinds and steps < diag.explosion_burn_in + 2 * diag.explosion_sustain:
        need = diag.explosion_burn_in + 2 * diag.explosion_sustain
        notes.append(f"gradient_explosion cannot fire: nothing before diagnostics.explosion_burn_in "
                     f"{diag.explosion_burn_in} counts and it compares {diag.explosion_sustain} steps with at least "
                     f"as many before them: it needs {need} steps, the run has {steps}")
    if EventKind.D_DOMINANCE in kinds and steps < diag.dominance_window:
        notes.append(f"d_dominance cannot fire: it needs diagnostics.dominance_window {diag.dominance_window} "
                     f"steps, the run has {steps}")
    return notes

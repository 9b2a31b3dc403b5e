"""``d_dominance``: D wins outright and the game stops teaching G.

D(x) -> 1, D(G(z)) -> 0 and loss_d -> 0 for a sustained window ("D loss goes to 0", ganhacks) is not
enough on its own: healthy stacked-digits runs end with D(x) ~ 0.98, D(G(z)) ~ 0.03 while G keeps
covering most modes (ReLU-in-D runs of the calibration corpus, docs/diagnostics.md). Dominance is a
failure only when G stops learning, so the condition also needs evidence from G's side, either:

* G's gradient vanished (below ``dominance_grad_ratio`` of its running peak): the minimax loss
  saturates when D wins (Arjovsky & Bottou 2017); or
* D's own gradient vanished, judged on its centred rolling median as D's outputs are (its loss is
  saturated: the nonsaturating loss keeps G's gradient large) *and* the periodic evaluation shows G's
  output low or falling: the eval row at or before
  the step is at ``mode_collapse``'s partial level (``collapse.levels``) with G stuck there or repeating
  itself (``collapse.g_low``: a healthy G is low at first too, but climbing and without copies), or its
  samples are off the data's manifold (``eval_manifold_share`` at ``quality_collapse``'s level). The second is how a G
  without batchnorm on stacked-digits shows: D(G(z)) ~ 0.001-0.004 after step 500, a quarter or less of
  a healthy G's modes, and diverse samples (diversity ~1), of which 0-15% pass the realism gate; or
* whatever the gradients, that eval row is inside a confirmed collapse (low and not improving for
  ``collapse_min_steps``): G is stuck. An FC-hidden run of the corpus sat at D(x) 0.99, D(G(z)) 0.01
  with both gradients at ~90% of their peak and 1-5 modes for 1,000 steps.

A log without eval columns cannot show G's samples, so there only a vanished G gradient counts.

An episode that ended at least ``dominance_window`` steps before the log's latest evaluation, where that
evaluation shows G's samples back at healthy levels (``g_recovered``), is no event: the game did not stop
teaching G, it paused, and this kind says it stopped. Healthy photos and glyphs baselines of the validation
corpus have such stretches: D wins for 100-610 steps while G's samples are off the manifold or stuck, then
G's NDB/K falls to 0.23-0.49 and its diversity climbs to 0.78-0.96 (docs/diagnostics.md). While an episode
is going on, or sooner after it than that, nothing says the game resumed, so it is a failure; online, a
later evaluation can withdraw it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ganlab.diagnostics.collapse import off_level, quality_lost, recovered_at
from ganlab.diagnostics.log import has, rows, span, stride, true_runs
from ganlab.diagnostics.quality import latest_share, off_manifold
from ganlab.diagnostics.rolling import centred_median
from ganlab.schema import EVAL_MANIFOLD_SHARE, Event, EventKind, Evidence, Severity

if TYPE_CHECKING:
    from ganlab.config.diagnostics import DiagnosticsConfig

# Share of rows inside an episode that must meet the condition; the rest are bridged flickers.
MIN_FRACTION = 0.8
NEEDS = ("loss_d", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")


def vanish_ratio(norm: pd.Series, smooth: int) -> np.ndarray:
    """Gradient norm / the running peak of its ``smooth``-row rolling median (robust to single spikes)."""
    level = norm.where(np.isfinite(norm)).rolling(smooth, min_periods=smooth).median()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (norm / level.cummax()).to_numpy(dtype=np.float64)
    # An exactly-zero gradient has vanished whatever the reference (a network that died in its first
    # steps has a running peak of 0, and 0 / 0 would hide it).
    return np.where(norm.to_numpy() == 0.0, 0.0, ratio)


def _nanmedian(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else float("inf")


def columns_ready(log: pd.DataFrame) -> bool:
    return has(log, *NEEDS)


def windows(config: DiagnosticsConfig, st: float) -> tuple[int, int, int]:
    """(window, smooth, gap) in rows: the episode length, the rolling medians' length, the bridged flicker."""
    window = rows(config.dominance_window, st)
    return window, max(1, window // 5), max(1, window // 20)


def won(d_real: np.ndarray, d_fake: np.ndarray, loss_d: np.ndarray, config: DiagnosticsConfig) -> np.ndarray:
    """D winning on rolled levels of its outputs and loss (``level`` of each column)."""
    return (
        (d_real >= config.dominance_d_real) & (d_fake <= config.dominance_d_fake) & (loss_d <= config.dominance_loss_d)
    )


def g_side(ratio_g: np.ndarray, ratio_d: np.ndarray, lost: np.ndarray, stalled: np.ndarray,
           config: DiagnosticsConfig) -> np.ndarray:
    r = config.dominance_grad_ratio
    return (ratio_g <= r) | ((ratio_d <= r) & lost) | stalled


def d_dominance(log: pd.DataFrame, config: DiagnosticsConfig) -> list[Event]:
    if not columns_ready(log):
        return []
    steps = log["step"].to_numpy()
    st = stride(steps)
    window, smooth, gap = windows(config, st)
    ratio_g = vanish_ratio(log["grad_norm_g"], smooth)
    ratio_d = vanish_ratio(log["grad_norm_d"], smooth)
    lost, stalled = quality_lost(log, config)
    share = None
    if EVAL_MANIFOLD_SHARE in log.columns:
        share = latest_share(log[EVAL_MANIFOLD_SHARE].to_numpy(np.float64))
        lost = lost | off_manifold(share, config)
    # D's outputs per step are noisy (a D far ahead still has steps at D(G(z)) = 0.1); judge their
    # centred rolling medians over `smooth` steps (centred: they switch where the change is, so the
    # onset is not late; at the end of the log only the past is there).
    def level(column: str) -> np.ndarray:
        return log[column].rolling(smooth, center=True, min_periods=1).median().to_numpy()

    # D's gradient is judged on its level too (its centred rolling median): a D at a median 7% of its peak
    # still has steps above 10% (a stacked-digits G without batchnorm: 23% of its steps). G's vanished
    # gradient is evidence on its own, so it keeps the per-step reading.
    cond = won(level("d_real"), level("d_fake"), level("loss_d"), config) & g_side(
        ratio_g, centred_median(ratio_d, smooth), lost, stalled, config)
    values = {c: log[c].to_numpy() for c in ("d_real", "d_fake", "loss_d")}
    episodes = [(first, last) for first, last in true_runs(cond, max_gap=gap)
                if reported(steps, first, last, st, int(cond[first : last + 1].sum()), config)]
    back = recovered_at(log, config) if episodes else None
    return [event(steps, first, last, values, ratio_g, ratio_d, config, share) for first, last in episodes
            if not recovered_after(back, int(steps[last]), config)]


def recovered_after(back: int | None, until: int, config: DiagnosticsConfig) -> bool:
    """Whether an episode that held until step ``until`` is followed by the recovered evaluation at step
    ``back`` (``recovered_at``) at least ``dominance_window`` steps later: the game went on without D winning
    for as long as an episode must last. An evaluation sooner cannot tell a G that came back from a D about
    to win again (a stacked-digits G without batchnorm, 15 steps after its episode: docs/diagnostics.md)."""
    return back is not None and back - until >= config.dominance_window


def reported(steps: np.ndarray, first: int, last: int, st: float, held: int, config: DiagnosticsConfig) -> bool:
    """Whether rows first..last (``held`` of them meeting the condition) are long and full enough."""
    return span(steps, first, last, st) >= config.dominance_window and held / (last - first + 1) >= MIN_FRACTION


def event(steps: np.ndarray, first: int, last: int, values: dict[str, np.ndarray], ratio_g: np.ndarray,
          ratio_d: np.ndarray, config: DiagnosticsConfig, share: np.ndarray | None = None) -> Event:
    """The ``d_dominance`` event of rows ``first..last``; ``values`` holds the d_real, d_fake, loss_d columns,
    ``share`` the latest evaluation's realism share per row (``latest_share``), when the log has one."""
    part = slice(first, last + 1)
    medians = {c: _nanmedian(r[part]) for c, r in (("grad_norm_g", ratio_g), ("grad_norm_d", ratio_d))}
    # G's vanished gradient is the more useful diagnosis when both vanished (minimax loss).
    g_gone = medians["grad_norm_g"] <= config.dominance_grad_ratio
    d_gone = medians["grad_norm_d"] <= config.dominance_grad_ratio
    which = "grad_norm_g" if g_gone else "grad_norm_d" if d_gone else "none"
    lowest = medians.get(which, min(medians.values()))
    evidence: Evidence = {c: float(pd.Series(values[c][part]).median()) for c in ("d_real", "d_fake", "loss_d")}
    evidence.update({"vanished": which, "grad_ratio": float(lowest), "until": int(steps[last])})
    shown = float(share[first]) if share is not None else float("nan")
    off = shown <= off_level(config)
    if off:
        evidence["manifold_share"] = shown
    if which == "grad_norm_g":
        why = f"grad_norm_g at {lowest:.1%} of its peak"
        advice = "G gets no gradient: lower lr_d or n_critic (with the minimax loss, switch to nonsaturating)"
    else:
        samples = (f"{evidence['manifold_share']:.2f} of G's samples on the data's manifold" if off
                   else "G's samples low and stuck, or repeating themselves")
        why = (f"grad_norm_d at {lowest:.1%} of its peak, " if which == "grad_norm_d" else "") + samples
        advice = ("G stopped improving: lower lr_d or n_critic, or add noise or label smoothing to D's "
                  "inputs")
    message = (
        f"D won outright from step {int(steps[first])} to {int(steps[last])} "
        f"(D(x)={evidence['d_real']:.3f}, D(G(z))={evidence['d_fake']:.3f}, {why}): {advice}"
    )
    return Event(EventKind.D_DOMINANCE, int(steps[first]), Severity.FAILURE, evidence, message)

"""The report's figures as PNG data URIs (matplotlib's Agg canvas; pyplot and global state are not touched).

Figures are small (72 dpi) and curves are binned to at most ``CURVE_BINS`` points so a 100-run sweep
draws in seconds. Each function returns None when it has nothing to draw.
"""

from __future__ import annotations

import base64
import functools
import io
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal, ParamSpec, TypeVar

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ganlab.report.analysis import ANY, Overview
from ganlab.report.load import LoadedSweep, plot_log
from ganlab.stats import basic

P = ParamSpec("P")
R = TypeVar("R")
DPI = 72
CURVE_BINS = 150
CURVES = (("loss_d", "loss_d"), ("loss_g", "loss_g"), ("d_real", "D(x)"), ("d_fake", "D(G(z))"),
          ("grad_norm_d", "grad norm D"), ("grad_norm_g", "grad norm G"))
# matplotlib 3.10 replaced boxplot's vert=False by orientation="horizontal".
_MPL = tuple(int(x) for x in re.findall(r"\d+", matplotlib.__version__)[:2])
_HORIZONTAL: dict[str, Any] = {"orientation": "horizontal"} if _MPL >= (3, 10) else {"vert": False}
# Names (variants, metrics, event kinds) are user text drawn as written: "$" starts no formula (mathtext
# parses `$\frac{a}{$ x` and fails the figure) and nothing goes through LaTeX.
_STYLE: Any = {"font.size": 9, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
          "legend.fontsize": 7, "text.parse_math": False, "text.usetex": False}


def palette(names: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """One stable colour per name (variants or event kinds)."""
    colors = sns.color_palette("tab10" if len(names) <= 10 else "husl", max(len(names), 1))
    return dict(zip(names, colors, strict=False))


def to_uri(fig: Figure, tight: bool = True) -> str:
    """PNG data URI; ``tight=False`` skips the bounding-box pass (figures laid out by hand draw twice as fast)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight" if tight else None)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _styled(draw: Callable[P, R]) -> Callable[P, R]:
    """Run a drawing function under the report's style; rcParams are restored afterwards."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with sns.axes_style("whitegrid"), matplotlib.rc_context(_STYLE):
            return draw(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float, layout: Literal["constrained"] | None = "constrained") -> Figure:
    return Figure(figsize=(width, height), layout=layout)


def binned_curves(logs: Sequence[pd.DataFrame], column: str, bins: int = CURVE_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Across runs: (bin centres in steps, (3, n_bins) array of the 25th, 50th and 75th percentiles).

    Each run's log is averaged within ``bins`` equal step bins first, so long logs cost the same as short ones.
    """
    usable = [log for log in logs if column in log and len(log)]
    if not usable:
        return np.array([]), np.empty((3, 0))
    top = max(float(log["step"].max()) for log in usable)
    edges = np.linspace(0.0, max(top, 1.0), min(bins, max(int(top), 1)) + 1)
    grid = np.full((len(usable), len(edges) - 1), np.nan)
    for i, log in enumerate(usable):
        idx = np.clip(np.searchsorted(edges, log["step"].to_numpy(float), side="left") - 1, 0, len(edges) - 2)
        values = pd.to_numeric(log[column], errors="coerce").to_numpy(float)
        means = pd.Series(values).groupby(idx).mean()
        grid[i, means.index.to_numpy()] = means.to_numpy()
    q = pd.DataFrame(grid).quantile([0.25, 0.5, 0.75]).to_numpy(float)  # NaN-aware and vectorised
    return (edges[:-1] + edges[1:]) / 2, q


@_styled
def curves(sweep: LoadedSweep, variant: str, kind_colors: dict[str, tuple]) -> tuple[str | None, int]:
    """Training curves of one variant (median across seeds, IQR band, event onsets as ticks); (uri, runs drawn)."""
    runs = sweep.runs[sweep.runs["variant"] == variant]
    logs: list[pd.DataFrame] = []
    onsets: list[tuple[str, float]] = []
    for _, run in runs.iterrows():
        log = plot_log(run["path"]) if run["has_log"] else None
        if log is None:
            continue
        logs.append(log)
        onsets.extend((k, run[f"onset_{k}"]) for k in sweep.kinds if pd.notna(run[f"onset_{k}"]))
    if not logs:
        return None, 0
    fig = _figure(9.0, 4.4, layout=None)
    fig.subplots_adjust(left=0.06, right=0.99, top=0.94, bottom=0.17 if onsets else 0.1, wspace=0.22, hspace=0.3)
    axes = fig.subplots(2, 3, sharex=True).ravel()
    for ax, (column, title) in zip(axes, CURVES, strict=True):
        x, q = binned_curves(logs, column)
        ax.set_title(title)
        if not len(x) or np.all(np.isnan(q[1])):
            ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes, color="grey")
            continue
        ax.fill_between(x, q[0], q[2], alpha=0.3, linewidth=0, color="C0")
        ax.plot(x, q[1], linewidth=1.2, color="C0")
        low, high = np.nanmin(q[0]), np.nanmax(q[2])
        if column.startswith("grad_norm") and low > 0 and high / low > 100:
            ax.set_yscale("log")
        else:
            ax.locator_params(axis="y", nbins=4)
        for kind in dict.fromkeys(k for k, _ in onsets):
            steps = [s for k, s in onsets if k == kind]
            ax.vlines(steps, 0, 0.12, transform=ax.get_xaxis_transform(), colors=[kind_colors.get(kind, "red")],
                      linewidth=1.5, label=kind)
    for ax in axes[3:]:
        ax.set_xlabel("step")
    if onsets:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, [f"onset: {label}" for label in labels], loc="lower center",
                   ncols=min(len(labels), 5), frameon=False)
    return to_uri(fig, tight=False), len(logs)


@_styled
def survival(sweep: LoadedSweep, variants: Sequence[str], colors: dict[str, tuple]) -> str | None:
    """Kaplan-Meier curves of time to first failure; runs that never failed are censored (+) at steps_done."""
    done = sweep.runs[sweep.runs["finished"]]
    if done.empty or not sweep.kinds:
        return None
    fig = _figure(6.5, 3.4)
    ax = fig.subplots()
    for v in variants:
        runs = done[done["variant"] == v]
        if runs.empty:
            continue
        t, s = basic.km_curve(runs["surv_time"], runs["failed_any"])
        ax.step(np.r_[0.0, t], np.r_[1.0, s], where="post", color=colors[v], label=f"{v} (n={len(runs)})")
        cens = runs.loc[~runs["failed_any"], "surv_time"].to_numpy(float)
        if len(cens):
            at = np.r_[1.0, s][np.searchsorted(t, cens, side="right")]
            ax.plot(cens, at, "+", color=colors[v], markersize=7)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("step")
    ax.set_ylabel("fraction of runs without a failure")
    ax.legend(loc="best", frameon=False)
    return to_uri(fig)


@_styled
def metric_points(sweep: LoadedSweep, variants: Sequence[str], metrics: Sequence[str]) -> str | None:
    """One panel per final metric: a box per variant and each seed as a point (plain matplotlib: fast)."""
    done = sweep.runs[sweep.runs["finished"]]
    metrics = [m for m in metrics if done[f"metric_{m}"].notna().any()]
    if not metrics:
        return None
    ncols = min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    fig = _figure(3.2 * ncols, nrows * (0.9 + 0.28 * len(variants)))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    jitter = np.random.default_rng(0)
    ypos = np.arange(len(variants))
    for ax, m in zip(axes, metrics, strict=False):
        groups = [done.loc[done["variant"] == v, f"metric_{m}"].to_numpy(float) for v in variants]
        groups = [g[np.isfinite(g)] for g in groups]
        ax.boxplot(groups, positions=ypos, **_HORIZONTAL, widths=0.6, showfliers=False,
                   patch_artist=True, boxprops={"facecolor": "0.92", "linewidth": 0.8},
                   medianprops={"color": "0.3"}, whiskerprops={"linewidth": 0.8}, capprops={"linewidth": 0.8})
        for y, g in zip(ypos, groups, strict=True):
            ax.scatter(g, y + jitter.uniform(-0.15, 0.15, len(g)), s=10, color="C0", zorder=3)
        ax.set_title(m)
        ax.locator_params(axis="x", nbins=5)
    axes[0].set_yticks(ypos, list(variants))
    axes[0].set_ylim(len(variants) - 0.5, -0.5)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    return to_uri(fig)


@_styled
def heatmap(overview: Overview) -> str | None:
    """Variant x failure kind: the rate among finished runs, annotated k/n."""
    kinds = overview.kinds
    rows = [r for r in overview.rows if r.n_finished]
    if not rows or kinds == [ANY]:
        return None
    rates = np.array([[r.rates[k].rate for k in kinds] for r in rows])
    labels = np.array([[f"{r.rates[k].k}/{r.rates[k].n}" for k in kinds] for r in rows])
    fig = _figure(1.1 * len(kinds) + 2.5, 0.4 * len(rows) + 1.4)
    ax = fig.subplots()
    sns.heatmap(pd.DataFrame(rates, index=[r.variant for r in rows], columns=["any failure" if k == ANY else k
                                                                                for k in kinds]),
                vmin=0, vmax=1, cmap="rocket_r", annot=labels, fmt="", ax=ax, cbar_kws={"label": "failure rate"},
                linewidths=0.5, annot_kws={"fontsize": 7})
    ax.tick_params(axis="x", rotation=30)
    ax.set_ylabel("")
    return to_uri(fig)


_NULL = {"ratio": 1.0}
_UNITS = {"rate difference": "failure rate difference (variant - baseline)", "ratio": "ratio variant / baseline",
          "shift": "shift variant - baseline", "RMST difference": "RMST difference (steps)"}


@_styled
def forest(overview: Overview) -> str | None:
    """The answer first: each variant's primary effects against the baseline, one panel per endpoint.

    A dot is the estimate, the bar its 95% interval, the grey band the equivalence margin, the dashed
    line "no difference". Rate differences are drawn in points, ratios on a log axis.
    """
    rows = [r for r in overview.rows if r.primary]
    if not rows:
        return None
    endpoints = list(dict.fromkeys(t.endpoint for r in rows for t in r.primary))
    colors = {"better": "#2a9d3f", "worse": "#d62728", "equivalent": "#1f77b4", "inconclusive": "0.35"}
    fig = _figure(3.4 * len(endpoints), 0.9 + 0.32 * len(rows))
    axes = np.atleast_1d(fig.subplots(1, len(endpoints), sharey=True, squeeze=False)).ravel()
    ypos = np.arange(len(rows))
    for ax, endpoint in zip(axes, endpoints, strict=True):
        results = [next((t for t in r.primary if t.endpoint == endpoint), None) for r in rows]
        kind = next(t.effect.kind for t in results if t is not None)
        scale = 100.0 if kind == "rate difference" else 1.0
        margin = next((t.margin for t in results if t is not None and t.margin is not None), None)
        if margin is not None and kind != "shift":  # a shift's margin differs by baseline median: drawn per row
            ax.axvspan(margin[0] * scale, margin[1] * scale, color="0.9", zorder=0)
        ax.axvline(_NULL.get(kind, 0.0) * scale, color="0.4", linestyle="--", linewidth=0.8)
        for y, t in zip(ypos, results, strict=True):
            if t is None or not np.isfinite(t.effect.estimate):
                continue
            e, c = t.effect, colors.get(t.status, "0.35")
            lo, hi = (e.lo if np.isfinite(e.lo) else np.nan), (e.hi if np.isfinite(e.hi) else np.nan)
            if t.margin is not None and kind == "shift":
                ax.plot([t.margin[0], t.margin[1]], [y, y], color="0.85", linewidth=7, solid_capstyle="butt", zorder=0)
            ax.plot([lo * scale, hi * scale], [y, y], color=c, linewidth=1.6)
            ax.plot([e.estimate * scale], [y], "o", color=c, markersize=5)
        if kind == "ratio":
            ax.set_xscale("log")
        ax.set_title(endpoint)
        ax.set_xlabel(_UNITS.get(kind, kind) + (" (points)" if scale == 100 else ""))
    axes[0].set_yticks(ypos, [f"{r.variant}: {r.verdict}" for r in rows])
    axes[0].set_ylim(len(rows) - 0.5, -0.5)
    return to_uri(fig)


@_styled
def profiles(sweep: LoadedSweep, variants: Sequence[str], metrics: Sequence[str],
             colors: dict[str, tuple]) -> str | None:
    """rliable-style score distributions: per variant, the fraction of runs scoring above tau, for each metric.

    Lower-is-better metrics are drawn as the fraction of runs below tau, so a curve further right (or up)
    is always better. One panel per metric.
    """
    from ganlab.report.analysis import directions

    done = sweep.runs[sweep.runs["finished"]]
    metrics = [m for m in metrics if f"metric_{m}" in done and done[f"metric_{m}"].notna().any()]
    if not metrics:
        return None
    fig = _figure(3.4 * len(metrics), 2.8)
    axes = np.atleast_1d(fig.subplots(1, len(metrics), squeeze=False)).ravel()
    for ax, m in zip(axes, metrics, strict=True):
        higher = directions().get(m, True)
        for v in variants:
            x = np.sort(basic.finite(done.loc[done["variant"] == v, f"metric_{m}"]))
            if not len(x):
                continue
            frac = 1 - np.arange(len(x)) / len(x) if higher else np.arange(1, len(x) + 1) / len(x)
            ax.step(x, frac, where="pre" if higher else "post", color=colors.get(v, "0.3"), label=v, linewidth=1.2)
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(m)
        ax.set_xlabel(f"tau ({'higher' if higher else 'lower'} is better)")
        ax.set_ylabel(f"fraction of runs with {m} {'>' if higher else '<'} tau")
    axes[-1].legend(loc="best", frameon=False)
    return to_uri(fig)

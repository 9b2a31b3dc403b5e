"""``build_report``: a sweep directory -> one self-contained HTML file plus summary.md and summary.csv."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import jinja2

from ganlab.errors import DataError, GanlabError
from ganlab.io import atomic_write_text, check_output_file
from ganlab.report import figures, fmt
from ganlab.report.analysis import ANY, analyze, seeds_used
from ganlab.report.grids import variant_grids
from ganlab.report.load import LoadedSweep, load_sweep, read_config
from ganlab.report.summary import csv_safe, header, markdown, overview_frame
from ganlab.report.text import GUIDELINES, config_diffs, guideline_summary

# Per-variant training-curve figures beyond this many variants are left out (and the report says so).
MAX_CURVE_VARIANTS = 24
_TEMPLATES = Path(__file__).parent / "templates"


def companions(out_html: str | Path) -> tuple[Path, Path]:
    """The summary files written beside a report: ``<stem>.summary.md`` and ``<stem>.summary.csv``."""
    out = Path(out_html)
    return out.parent / f"{out.stem}.summary.md", out.parent / f"{out.stem}.summary.csv"


def default_output(sweep_name: str) -> Path:
    """``reports/<sweep name>.html``, the name reduced to characters that are safe in a file name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", sweep_name).strip("._") or "sweep"
    return Path("reports") / f"{safe}.html"


def build_report(sweep_dir: str | Path, out_html: str | Path | None = None, baseline: str | None = None) -> Path:
    """Write the report of the sweep in ``sweep_dir`` and return the HTML path.

    ``out_html`` defaults to ``reports/<sweep name>.html``; ``<stem>.summary.md`` and ``<stem>.summary.csv``
    go beside it. ``baseline`` defaults to sweep.json's ``baseline``, then "baseline"; naming a variant that
    is not in the sweep is a DataError. Missing or unfinished runs never raise: the report says what is missing.
    """
    sweep = load_sweep(sweep_dir)
    base = _baseline(sweep, baseline)
    sweep.notes.extend(_short_run_notes(sweep))
    out = check_output_file(out_html if out_html is not None else default_output(sweep.name), "report")
    md_path, csv_path = companions(out)
    for companion in (md_path, csv_path):
        check_output_file(companion, "report companion")
    overview = analyze(sweep, base)
    context = _context(sweep, overview, md_path.name, csv_path.name)
    html = _environment().get_template("report.html.j2").render(**context)
    atomic_write_text(out, html)
    atomic_write_text(md_path, markdown(sweep, overview, out.name))
    atomic_write_text(csv_path, csv_safe(overview_frame(overview)).to_csv(index=False))
    return out


def _short_run_notes(sweep: LoadedSweep) -> list[str]:
    """Each detector that could not fire in these runs, from each variant's first readable config.yaml
    (``ganlab.config.short_run``), once per note with the variants it applies to."""
    from ganlab.config import validate
    from ganlab.config.short_run import short_run_notes

    by_note: dict[str, list[str]] = {}
    runs = sweep.runs
    for variant in sweep.variants:
        paths: list[Path | None] = (list(runs.loc[(runs["variant"] == variant) & runs["has_config"], "path"])
                                    if len(runs) else [])
        data = next((d for d in map(read_config, paths) if d is not None), None)
        try:
            config = validate(data, "<config.yaml>") if data is not None else None
        except GanlabError:
            config = None
        for note in short_run_notes(config) if config is not None else []:
            if "cannot fire" in note:
                by_note.setdefault(note, []).append(variant)
    return [f"{'Every variant' if len(names) == len(sweep.variants) > 1 else ', '.join(names)}: {note}."
            for note, names in by_note.items()]


def _baseline(sweep: LoadedSweep, requested: str | None) -> str | None:
    name = requested or str(sweep.meta.get("baseline") or "baseline")
    variants = sweep.variants
    if name in variants:
        return name
    if requested is not None and variants:
        raise DataError(f"--baseline {requested!r}: no such variant in {sweep.path}; "
                        f"choose one of: {', '.join(variants)}")
    if variants:
        sweep.notes.append(f"No variant named {name!r}: verdicts against a baseline are left out; "
                           "pass --baseline VARIANT.")
    return None


def _context(sweep: LoadedSweep, overview: Any, md_name: str, csv_name: str) -> dict[str, Any]:
    variants = sweep.variants
    colors = figures.palette(variants)
    kind_colors = figures.palette(sweep.kinds)
    primary_metrics = [e for e in overview.plan.primary if e in overview.metrics] or overview.metrics[:1]
    figs = {
        "forest": _safe(sweep, "forest plot", figures.forest, overview),
        "profiles": _safe(sweep, "score distributions", figures.profiles, sweep, variants, primary_metrics, colors),
        "heatmap": _safe(sweep, "failure heatmap", figures.heatmap, overview),
        "survival": _safe(sweep, "survival curves", figures.survival, sweep, variants, colors),
        "metrics": _safe(sweep, "metric plot", figures.metric_points, sweep, variants, overview.metrics),
    }
    sections = []
    side_by_side: list[tuple[str, Any]] = []
    for i, variant in enumerate(variants):
        drawn = None
        if i < MAX_CURVE_VARIANTS:
            drawn = _safe(sweep, f"curves of {variant}", figures.curves, sweep, variant, kind_colors)
        curve, n_logs = drawn or (None, 0)
        last, onset, grid_note = variant_grids(sweep, variant)
        if variant != overview.baseline and last is not None:
            side_by_side.append((variant, last))
        sections.append({"variant": variant, "row": overview.row(variant), "curves": curve, "n_logs": n_logs,
                         "last": last, "onset": onset, "grid_note": grid_note, "overrides": sweep.overrides(variant),
                         "curves_skipped": i >= MAX_CURVE_VARIANTS})
    if len(variants) > MAX_CURVE_VARIANTS:
        sweep.notes.append(f"Training curves are drawn for the first {MAX_CURVE_VARIANTS} of {len(variants)} "
                           "variants only, to keep the report fast to build and open.")
    base_grid = next((s["last"] for s in sections if s["variant"] == overview.baseline), None)
    return {
        "h": header(sweep), "sweep": sweep, "overview": overview, "figs": figs, "sections": sections,
        "diffs": config_diffs(sweep, overview.baseline), "guidelines": guideline_summary(sweep, overview),
        "guideline_defs": GUIDELINES, "notes": sweep.notes, "kind_labels": {ANY: "any failure"},
        "plan": overview.plan, "design": overview.design.lines() if overview.design else [],
        "seeds_used": seeds_used(sweep, overview), "base_grid": base_grid,
        "side_by_side": side_by_side, "md_name": md_name, "csv_name": csv_name,
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def _safe(sweep: LoadedSweep, what: str, draw: Any, *args: Any) -> Any:
    """Draw a figure; a figure that fails on odd data becomes a note instead of a crash."""
    try:
        return draw(*args)
    except Exception as err:  # plotting libraries raise many types on degenerate data
        sweep.notes.append(f"The {what} could not be drawn ({type(err).__name__}: {err}).")
        return None


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt.num, pct=fmt.pct, pval=fmt.pval, interval=fmt.interval, steps=fmt.steps,
                       seconds=fmt.seconds)
    return env

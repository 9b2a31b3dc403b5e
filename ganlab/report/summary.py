"""The report header (compute time, savings) and the two short companions: summary.md and summary.csv."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ganlab.report import fmt
from ganlab.report.analysis import ANY, Overview
from ganlab.report.load import LoadedSweep, first_run_info


def compute_time(runs: pd.DataFrame) -> tuple[float, float, int]:
    """(total wall seconds, estimated seconds saved by early stopping, runs stopped early).

    A run stopped early (status failed, fewer steps than planned) saved (steps_total - steps_done) times
    its own mean time per step.
    """
    total = float(np.nansum(runs["wall_time_s"].to_numpy(float)))
    early = runs[(runs["status"] == "failed") & (runs["steps_done"] < runs["steps_total"]) & (runs["steps_done"] > 0)]
    per_step = early["wall_time_s"] / early["steps_done"]
    saved = float(np.nansum(((early["steps_total"] - early["steps_done"]) * per_step).to_numpy(float)))
    return total, saved, len(early)


def header(sweep: LoadedSweep) -> dict[str, Any]:
    meta, runs = sweep.meta, sweep.runs
    run = first_run_info(sweep) if not (meta.get("device") and meta.get("versions")) else {}
    versions = meta.get("versions") or run.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    total, saved, n_early = compute_time(runs)
    counts = runs["status"].value_counts().to_dict()
    return {
        "name": sweep.name, "description": meta.get("description"), "status": meta.get("status"),
        "started_at": meta.get("started_at"), "finished_at": meta.get("finished_at"),
        "git_commit": meta.get("git_commit") or run.get("git_commit"),
        "versions": {k: versions.get(k) for k in ("ganlab", "torch", "python")},
        "device": meta.get("device") or run.get("device") or "not recorded",
        "backend": meta.get("backend"), "workers": meta.get("workers"), "sweep_file": meta.get("sweep_file"),
        "n_runs": len(runs), "n_planned": meta.get("n_runs"),
        "status_counts": ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none",
        "compute": fmt.seconds(total), "saved": fmt.seconds(saved), "n_early": n_early,
    }


def overview_frame(overview: Overview) -> pd.DataFrame:
    """The overview table, one row per variant, as plain columns (what summary.csv holds)."""
    records = []
    for row in overview.rows:
        rec: dict[str, Any] = {"variant": row.variant, "runs": row.n_runs, "finished": row.n_finished,
                               "not_finished": row.n_pending, "errored": row.n_error}
        for kind in overview.kinds:
            r = row.rates[kind]
            rec.update({f"failures_{kind}": r.k, f"rate_{kind}": r.rate, f"rate_{kind}_lo": r.lo,
                        f"rate_{kind}_hi": r.hi})
            rec[f"warnings_{kind}"] = row.warnings[kind]
        rec["median_steps_to_failure"] = row.median_fail
        for m in overview.metrics:
            s = row.metrics[m]
            rec.update({f"{m}_mean": s.mean, f"{m}_lo": s.lo, f"{m}_hi": s.hi, f"{m}_n": s.n})
        rec["verdict"] = row.verdict
        rec["verdict_reason"] = row.reason
        rec["verdict_reasons"] = " | ".join(row.reasons)
        for t in row.primary:
            e = t.effect
            rec.update({f"{t.endpoint}_effect": e.estimate, f"{t.endpoint}_effect_lo": e.lo,
                        f"{t.endpoint}_effect_hi": e.hi, f"{t.endpoint}_p": t.p, f"{t.endpoint}_p_adj": t.p_adj,
                        f"{t.endpoint}_fragility": t.fragility,
                        f"{t.endpoint}_to_decide": t.to_decide})
        records.append(rec)
    return pd.DataFrame.from_records(records)


# A cell starting with one of these is read as a formula by spreadsheets (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula prefixed by a quote (').

    Numbers stay numbers (a negative effect is not text); only strings are escaped, as OWASP advises.
    """
    def cell(value: Any) -> Any:
        return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value

    return frame.apply(lambda col: col.map(cell) if col.dtype == object else col)


def markdown(sweep: LoadedSweep, overview: Overview, html_name: str) -> str:
    """A short summary for a pull request or a CI job summary."""
    h = header(sweep)
    metric = next((m for m in ("modes", "frechet", "kid", "kl") if m in overview.metrics),
                  overview.metrics[0] if overview.metrics else None)
    lines = [f"### ganlab sweep report: {_md(h['name'])}", "",
             f"{h['n_runs']} runs ({_md(h['status_counts'])}); baseline: "
             f"{_md(overview.baseline or 'none')}; compute {h['compute']}, about {h['saved']} saved by stopping "
             f"{h['n_early']} run(s) early.", "",
             "| variant | runs | any failure [95% CI] | median steps to failure |"
             + (f" {_md(metric)} mean [95% CI] |" if metric else "") + " verdict |",
             "|---|---:|---|---:|" + ("---|" if metric else "") + "---|"]
    for row in overview.rows:
        r = row.rates[ANY]
        cells = [_md(row.variant), str(row.n_runs), f"{r.k}/{r.n} {fmt.interval(r.lo, r.hi, True)}".strip(),
                 fmt.steps(row.median_fail) if row.n_finished else fmt.DASH]
        if metric:
            s = row.metrics[metric]
            cells.append(f"{fmt.num(s.mean)} {fmt.interval(s.lo, s.hi)}".strip())
        word = f"{row.verdict} ({row.reason})" if row.reason else row.verdict
        if row.verdict in ("better", "worse"):
            cells.append(f"**{word}** (fragility {_md(row.fragility)})")
        else:
            cells.append(f"{word} (to decide: {_md(row.to_decide)})" if row.to_decide else word)
        lines.append("| " + " | ".join(cells) + " |")
    plan = overview.plan
    lines += ["", f"Verdicts come from the primary endpoints ({', '.join(plan.primary)}) against the baseline: exact "
              f"tests, {plan.correction} correction over variants x primary endpoints, alpha {plan.alpha:g}; "
              "equivalent = the (1 - 2 alpha) interval inside the margin; inconclusive says why. Fragility: how many "
              "seeds' outcomes would have to change to undo a verdict under that same rule (runs turned failed in "
              "the arm with fewer failures; swaps of neighbouring values between the arms for metrics); to decide: "
              "how many would make a not-decided endpoint better or worse."]
    if overview.design is not None and not overview.design.can_decide:
        lines += ["", _md(overview.design.lines()[-1].strip())]
    if sweep.notes:
        lines += ["", "Missing or incomplete: " + _md(" ".join(sweep.notes[:5]))
                  + (f" (+{len(sweep.notes) - 5} more in the report)" if len(sweep.notes) > 5 else "")]
    lines += ["", f"Full report: {_md(html_name)}", ""]
    return "\n".join(lines)


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell: no HTML, no pipes, no line breaks, no emphasis markers."""
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\|`*_[]":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())

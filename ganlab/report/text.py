"""Generated prose and tables: each variant's config diff against the baseline, and the guideline summary.

Everything returned here is plain text; the template escapes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ganlab.config.load import flatten
from ganlab.report import fmt
from ganlab.report.analysis import ANY, Overview
from ganlab.report.load import LoadedSweep, read_config

# The five DCGAN guidelines (Radford et al. 2016) and the config keys that break each one.
GUIDELINES: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "Strided convolutions in D, fractional-strided (transposed) convolutions in G, no pooling",
     ("model.d_downsample", "model.g_upsample")),
    (2, "Batchnorm in G and D", ("model.batchnorm",)),
    (3, "No fully connected hidden layers", ("model.fc_hidden",)),
    (4, "ReLU in G with a tanh output", ("model.g_activation", "model.g_output", "data.range")),
    (5, "LeakyReLU in D", ("model.d_activation", "model.leaky_slope")),
)
# Keys that differ between runs of one variant by design, so they are not part of a config diff.
_PER_RUN = ("seed", "output.")
# Preferred order when one metric has to stand for final quality in a sentence.
_HEADLINE = ("modes", "frechet", "kid", "kl", "coverage", "precision", "recall", "diversity")


@dataclass
class Diff:
    variant: str
    rows: list[tuple[str, str, str]]  # (key, baseline value, variant value)
    note: str


def config_diffs(sweep: LoadedSweep, baseline: str | None) -> list[Diff]:
    """Each non-baseline variant's resolved config (its lowest seed's config.yaml) against the baseline's."""
    if baseline is None:
        return []
    base = _config(sweep, baseline)
    out = []
    for variant in sweep.variants:
        if variant == baseline:
            continue
        mine = _config(sweep, variant)
        if base is None or mine is None:
            rows = [(k, "?", _show(v)) for k, v in sorted(sweep.overrides(variant).items())]
            which = "the baseline's" if base is None else "this variant's"
            out.append(Diff(variant, rows, f"No config.yaml for {which} runs; showing the sweep's overrides."))
            continue
        keys = sorted(k for k in set(base) | set(mine) if not k.startswith(_PER_RUN) and base.get(k) != mine.get(k))
        rows = [(k, _show(base.get(k, "(absent)")), _show(mine.get(k, "(absent)"))) for k in keys]
        out.append(Diff(variant, rows, "" if rows else "Same resolved config as the baseline (apart from seeds)."))
    return out


def guideline_summary(sweep: LoadedSweep, overview: Overview) -> list[dict[str, Any]]:
    """One paragraph per DCGAN guideline saying what breaking it did in this sweep, with numbers."""
    base = overview.baseline
    out = []
    for number, title, keys in GUIDELINES:
        touched = {v: sorted(set(sweep.overrides(v)) & set(keys)) for v in sweep.variants if v != base}
        touched = {v: k for v, k in touched.items() if k}
        if not touched:
            text = f"Not tested in this sweep: no variant changes {' or '.join(keys)}."
        elif base is None:
            text = f"Broken by {', '.join(touched)}, but there is no baseline to compare against."
        else:
            text = " ".join(_sentence(sweep, overview, v, ks, keys) for v, ks in touched.items())
        out.append({"number": number, "title": title, "settings": keys, "text": text})
    return out


def _sentence(sweep: LoadedSweep, overview: Overview, variant: str, keys: list[str], own: tuple[str, ...]) -> str:
    row, base = overview.row(variant), overview.row(overview.baseline or "")
    assert row is not None and base is not None
    overrides = sweep.overrides(variant)
    setting = ", ".join(f"{k}={_show(overrides[k])}" for k in keys)
    parts = [f"{variant} ({setting}):"]
    if row.n_finished == 0:
        return f"{parts[0]} no finished runs yet."
    r, b = row.rates[ANY], base.rates[ANY]
    parts.append(f"failure-severity events in {r.k}/{r.n} runs ({fmt.pct(r.rate)}, 95% CI "
                 f"{fmt.interval(r.lo, r.hi, True)}) vs {b.k}/{b.n} for the baseline;")
    kinds = sorted(((row.rates[k].k, k) for k in overview.kinds if k != ANY and row.rates[k].k), reverse=True)
    if kinds:
        parts.append(f"most often {kinds[0][1]} ({kinds[0][0]}/{r.n});")
    parts.append(f"median steps to first failure {fmt.steps(row.median_fail)} vs {fmt.steps(base.median_fail)}.")
    why = f" ({row.reason})" if row.reason else ""
    parts.append(f"Verdict: {row.verdict}{why}" + (f": {'; '.join(row.reasons)}." if row.reasons else "."))
    others = sorted(set(overrides) - set(own) - {"seed"})
    if others:
        parts.append(f"It also changes {', '.join(others)}, so the effect is not this guideline's alone.")
    return " ".join(parts)


def _config(sweep: LoadedSweep, variant: str) -> dict[str, Any] | None:
    runs = sweep.runs[(sweep.runs["variant"] == variant) & sweep.runs["has_config"]].sort_values("seed")
    for path in runs["path"]:
        config = read_config(path)
        if config is not None:
            return flatten(config)
    return None


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)

"""README's "What it found" must say what the committed report says (reports/guidelines.summary.csv).

The README is written by hand from the main job's report; this test reads every number of its table back
from the summary the report wrote, so a rerun that changes a verdict, a ratio or a fragility fails here
until the README is updated with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SUMMARY = REPO / "reports" / "guidelines.summary.csv"

# The README's words for each variant of ablations/guidelines.yaml.
VARIANTS = {
    "no batchnorm": "no-batchnorm",
    "batchnorm in G only": "batchnorm-g-only",
    "batchnorm in D only": "batchnorm-d-only",
    "two FC hidden layers": "fc-hidden",
    "every guideline broken": "all-broken",
    "max-pooling in D": "pooling-in-d",
    "max-pooling in D and upsampling in G": "pooling-and-upsampling",
    "batchnorm on every layer": "batchnorm-all-layers",
    "nearest-neighbour upsampling in G": "upsampling-in-g",
    "sigmoid output on [0, 1] data": "sigmoid-output",
    "LeakyReLU in G": "leaky-relu-in-g",
    "linear output": "linear-output",
    "ReLU in D": "relu-in-d",
}
NUMBER = r"(\d+(?:\.\d+)?)"


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def _rows() -> list[list[str]]:
    lines = [x for x in _section("What it found").splitlines() if x.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]  # after the header


def _matches(printed: str, value: float) -> bool:
    """``printed`` is ``value`` rounded to as many decimals as it shows."""
    decimals = len(printed.partition(".")[2])
    return abs(float(printed) - value) <= 0.5 * 10.0 ** -decimals + 1e-12


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(SUMMARY).set_index("variant")


def test_each_heading_appears_once() -> None:
    headings = re.findall(r"^## .*$", README.read_text(encoding="utf-8"), flags=re.M)
    assert len(headings) == len(set(headings)), sorted(h for h in headings if headings.count(h) > 1)


def test_the_table_names_every_variant_once(summary: pd.DataFrame) -> None:
    named = [row[1] for row in _rows() if row[0] != "---"]
    assert sorted(VARIANTS[name] for name in named) == sorted(v for v in summary.index if v != "baseline")


def test_every_row_says_what_the_report_says(summary: pd.DataFrame) -> None:
    for verdict, name, failed, modes, fragility, *_ in (r for r in _rows() if r[0] != "---"):
        row = summary.loc[VARIANTS[name]]
        assert verdict.strip("*") == row["verdict"], name
        assert failed == f"{int(row['failures_any'])}/{int(row['finished'])}", name
        ratio, lo, hi = re.fullmatch(rf"{NUMBER} \({NUMBER} \[{NUMBER}, {NUMBER}\]\)", modes).groups()[1:]
        for printed, column in ((ratio, "modes_effect"), (lo, "modes_effect_lo"), (hi, "modes_effect_hi")):
            assert _matches(printed, row[column]), (name, column, printed, row[column])
        if row["verdict"] in ("better", "worse"):
            decided = {k: int(row[f"{k}_fragility"]) for k in ("failure", "modes") if pd.notna(row[f"{k}_fragility"])}
            assert fragility == ", ".join(f"{k} {n}" for k, n in decided.items()), name
        else:
            distance = row["modes_to_decide"]
            words = re.fullmatch(r"(\d+) swaps?.*|more than 10", fragility)
            assert words, (name, fragility)
            assert (distance > 10) if words.group(1) is None else int(words.group(1)) == distance, name


def test_robust_is_the_preregistered_rule(summary: pd.DataFrame) -> None:
    """README: robust = a better/worse verdict with a fragility of at least 3 on one of its endpoints."""
    for _, name, *_, twin in (r for r in _rows() if r[0] != "---"):
        row = summary.loc[VARIANTS[name]]
        robust = row["verdict"] in ("better", "worse") and max(
            row["failure_fragility"] if pd.notna(row["failure_fragility"]) else 0,
            row["modes_fragility"] if pd.notna(row["modes_fragility"]) else 0) >= 3
        assert twin.endswith("robust") == robust and ("fragile" in twin) == (not robust), name


def test_the_baseline_sentence_is_the_reports_mean(summary: pd.DataFrame) -> None:
    base = summary.loc["baseline"]
    match = re.search(rf"It covers {NUMBER} \[{NUMBER}, {NUMBER}\] modes \(mean over (\d+) seeds",
                      _section("How good the baseline is"))
    assert match, "the baseline's modes sentence moved"
    mean, lo, hi, seeds = match.groups()
    assert int(seeds) == base["finished"]
    for printed, column in ((mean, "modes_mean"), (lo, "modes_lo"), (hi, "modes_hi")):
        assert _matches(printed, base[column]), (column, printed, base[column])

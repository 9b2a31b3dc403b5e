"""Each on-disk schema documented in docs/ matches ganlab.schema, the one definition writers and readers use."""

from __future__ import annotations

import re
from pathlib import Path

from ganlab.diagnostics import DETECTORS, Event
from ganlab.schema import (
    EVAL_COLUMNS,
    EVAL_KEYS,
    EVENT_KINDS,
    FINISHED,
    LOG_COLUMNS,
    RUN_STATUSES,
    RunRecord,
    SweepManifest,
    result_columns,
)
from ganlab.schema.sweep import BASE_COLUMNS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def table(doc: str, after: str) -> list[list[str]]:
    """Rows (cells stripped) of the first markdown table after the line containing ``after``."""
    lines = (DOCS / doc).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    rows, inside = [], False
    for line in lines[start + 1:]:
        if line.lstrip().startswith("|"):
            inside = True
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]  # not at "\|"
            if not set(cells[0]) <= set("-: "):
                rows.append(cells)
        elif inside:
            break
    return rows[1:]  # without the header row


def names(rows: list[list[str]]) -> list[str]:
    return [re.fullmatch(r"`([^`]+)`", r[0]).group(1) for r in rows]  # type: ignore[union-attr]


def backticked(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def test_metrics_log_columns_are_the_documented_ones_in_order():
    assert tuple(names(table("metrics-schema.md", "## Required columns"))) == LOG_COLUMNS
    assert tuple(names(table("metrics-schema.md", "## Optional evaluation columns"))) == EVAL_COLUMNS
    header = next(line for line in (DOCS / "metrics-schema.md").read_text().splitlines() if line.startswith("step,"))
    assert tuple(header.split(",")) == LOG_COLUMNS  # the CSV example


def test_run_json_fields_are_the_documented_ones():
    rows = table("architecture.md", "**`run.json`**")
    assert names(rows) == list(RunRecord.model_fields)
    status = next(r for r in rows if r[0] == "`status`")
    assert tuple(backticked(status[2])) == RUN_STATUSES
    optional = {n for n, f in RunRecord.model_fields.items() if "None" in str(f.annotation)}
    assert {n for n, r in zip(names(rows), rows, strict=True) if "null" in r[1]} == optional


def test_events_json_keys_are_the_documented_ones():
    line = next(x for x in (DOCS / "architecture.md").read_text().splitlines() if "**`events.json`**" in x)
    documented = re.search(r"`\{([^}]+)\}`", line).group(1)  # type: ignore[union-attr]
    assert [k.strip() for k in documented.split(",")] == list(Event("non_finite", 1, "failure").to_dict())


def test_sweep_json_fields_are_the_documented_ones():
    rows = table("sweeps.md", "### `sweep.json`")
    assert names(rows) == list(SweepManifest.model_fields)
    status = next(r for r in rows if r[0] == "`status`")
    assert backticked(status[2]) == ["running", "completed", "interrupted"]
    optional = {n for n, f in SweepManifest.model_fields.items() if "None" in str(f.annotation)}
    assert {n for n, r in zip(names(rows), rows, strict=True) if "null" in r[1]} == optional


def test_results_parquet_columns_are_the_documented_ones():
    rows = table("sweeps.md", "### `results.parquet`")
    assert names(rows[: len(BASE_COLUMNS)]) == [c for c, _ in BASE_COLUMNS]
    documented_types = {"str": "string", "str or null": "string", "int": "int64", "float": "double"}
    assert [documented_types[r[1]] for r in rows[: len(BASE_COLUMNS)]] == [str(t) for _, t in BASE_COLUMNS]
    onset, metric = rows[len(BASE_COLUMNS):]
    assert onset[0] == "`onset_<kind>`" and metric[0] == "`metric_<key>`"
    kinds = backticked(onset[2].split(":", 1)[1])
    keys = backticked(metric[2].split(":", 1)[1])
    assert tuple(kinds) == EVENT_KINDS == tuple(DETECTORS) and tuple(keys) == EVAL_KEYS
    documented = [c for c, _ in BASE_COLUMNS] + [f"onset_{k}" for k in kinds] + [f"metric_{k}" for k in keys]
    assert result_columns() == documented
    status = next(r for r in rows if r[0] == "`status`")  # a run's finished status, error, or pending
    assert backticked(status[2]) == [*FINISHED, "error", "pending"]

"""What a check writes: a markdown summary (for a PR or CI job summary) and JUnit XML (one case per variant)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ganlab.check.compare import VariantVerdict
from ganlab.io import atomic_write_bytes, atomic_write_text

OUTCOME = {0: "PASS", 1: "REGRESSION", 3: "RUNS ERRORED"}


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(name: str, verdicts: list[VariantVerdict], exit_code: int, baseline: str, sweep_dir: str,
             levels: str = "") -> str:
    lines = [f"## ganlab check `{_md_cell(name)}`: {OUTCOME.get(exit_code, 'ERROR')}", "",
             f"Baseline: `{baseline}` · runs: `{sweep_dir}`", "", *([_md_cell(levels), ""] if levels else []),
             "| variant | result | details |", "|---|---|---|"]
    for v in verdicts:
        result = "errored" if v.errors else ("regressed" if v.regressions else "ok")
        details = [*v.regressions, *(f"{v.errors} run(s) errored" for _ in [0] if v.errors)]
        lines.append(f"| {_md_cell(v.variant)} | {result} | {_md_cell('; '.join(details) or '-')} |")
    notes = [(v.variant, n) for v in verdicts for n in v.notes]
    if notes:
        lines += ["", "Notes:", *(f"- {_md_cell(v)}: {_md_cell(n)}" for v, n in notes)]
    return "\n".join(lines) + "\n"


def junit_xml(name: str, verdicts: list[VariantVerdict]) -> bytes:
    suite = ET.Element("testsuite", name=f"ganlab-check.{name}", tests=str(len(verdicts)),
                       failures=str(sum(bool(v.regressions) and not v.errors for v in verdicts)),
                       errors=str(sum(bool(v.errors) for v in verdicts)))
    for v in verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"ganlab.check.{name}", name=v.variant)
        if v.errors:
            ET.SubElement(case, "error", message=f"{v.errors} run(s) errored").text = "\n".join(v.regressions)
        elif v.regressions:
            ET.SubElement(case, "failure", message=v.regressions[0]).text = "\n".join(v.regressions)
        if v.notes:
            ET.SubElement(case, "system-out").text = "\n".join(v.notes)
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def write_markdown(path: str | Path, text: str) -> None:
    atomic_write_text(path, text)


def write_junit(path: str | Path, data: bytes) -> None:
    atomic_write_bytes(path, data)

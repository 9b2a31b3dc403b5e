"""The HTML report and its summary files: self-contained, escaped, complete, atomic."""

from __future__ import annotations

import base64
import html.parser
import io
import json
import math
import re

import pandas as pd
from PIL import Image

from ganlab.report import build_report, companions, default_output

EVIL = "<script>alert(1)</script>"


class Collect(html.parser.HTMLParser):
    """Tags and attributes of a document, plus the rows of table#overview's body."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.overview_rows: list[list[str]] = []
        self._in_overview = self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "table":
            self._in_overview = attrs.get("id") == "overview"
        elif tag == "tbody" and self._in_overview:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.overview_rows.append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_overview = self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.overview_rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(text: str) -> Collect:
    doc = Collect()
    doc.feed(text)
    return doc


def test_report_is_self_contained(report):
    _, text = report
    doc = parse(text)
    assert not [t for t, _ in doc.tags if t in ("script", "link", "iframe", "object", "embed")]
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//|file:)", text, re.I)
    assert "@import" not in text and "url(" not in text
    images = [a["src"] for t, a in doc.tags if t == "img"]
    assert len(images) >= 3 + 3 + 2  # heatmap, survival, metrics; a curve figure per variant; sample grids
    for src in images:
        assert src.startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as image:
            image.load()
            assert image.width > 0 and image.height > 0


def test_overview_has_one_row_per_variant_with_verdicts(report):
    _, text = report
    rows = parse(text).overview_rows
    assert [r[0] for r in rows] == ["baseline", "no_batchnorm", "relu_in_d"]
    assert rows[0][-2] == "baseline" and rows[1][-2] == "worse"
    assert rows[0][-1] == "—" and rows[1][-1].startswith("failure ")  # fragility, beside the verdict


def test_fragility_is_walshs_index_under_the_reports_own_holm_rule(report):
    from scipy.stats import fisher_exact

    from tests.reference import multipletests

    out, text = report
    csv = pd.read_csv(companions(out)[1])
    family = [p for col in ("failure_p", "modes_p") for p in csv[col].dropna()]
    row = csv.loc[1]
    k1, n1, k2, n2 = int(row["failures_any"]), int(row["finished"]), int(csv.loc[0, "failures_any"]), int(
        csv.loc[0, "finished"])
    index = family.index(row["failure_p"])
    flips = 0
    while True:  # Walsh: the arm with fewer failures (the baseline here) gains failures until Holm p >= 0.05
        flips += 1
        trial = list(family)
        trial[index] = fisher_exact([[k1, n1 - k1], [k2 + flips, n2 - k2 - flips]]).pvalue
        if multipletests(trial, method="holm")[1][index] >= 0.05:
            break
    assert k2 < k1 and row["failure_fragility"] == flips
    assert parse(text).overview_rows[1][-1].startswith(f"failure {flips}")


def test_the_answer_comes_first_and_exploratory_tables_are_collapsed(report):
    _, text = report
    order = [text.index(s) for s in ('id="answer"', 'alt="forest plot of primary effects"', 'id="verdicts"',
                                     'alt="baseline samples"', 'id="overview"', 'id="tests"',
                                     '<details id="exploratory">')]
    assert order == sorted(order)
    verdicts = re.search(r'<ul id="verdicts">.*?</ul>\s*</li>\s*</ul>', text, re.S).group(0)
    assert "failure rate: rate difference +" in verdicts and "Fisher exact p" in verdicts and "Holm p" in verdicts
    assert "no evidence" not in text.lower()
    assert 'alt="score distributions"' in text and "runs with warnings" in text


def test_header_sections_and_guidelines(report):
    _, text = report
    for needle in ("Sweep report: demo", "0123abcd0123", "ganlab 0.1.0, torch 2.13.0, python 3.11.2", "cpu",
                   "total compute", "saved by early stopping", "Kaplan-Meier", "Holm", "Config diff"):
        assert needle in text
    guideline2 = re.search(r"2\. Batchnorm in G and D.*?</p>", text, re.S).group(0)
    assert "no_batchnorm (model.batchnorm=none): failure-severity events in" in guideline2
    assert "Verdict: worse" in guideline2
    assert "Not tested in this sweep: no variant changes model.fc_hidden." in text
    diff = re.search(r"<h3>no_batchnorm</h3>.*?</table>", text.split("Config diff")[1], re.S).group(0)
    assert "<code>model.batchnorm</code></td><td>both</td><td>none</td>" in diff


def test_summary_md_and_csv(report):
    out, _ = report
    md_path, csv_path = companions(out)
    assert md_path.name == "demo.summary.md" and csv_path.name == "demo.summary.csv"
    md = md_path.read_text()
    assert md.startswith("### ganlab sweep report: demo")
    assert "| no\\_batchnorm | 6 |" in md and "**worse**" in md and "Full report: demo.html" in md
    assert len(md.splitlines()) < 25
    csv = pd.read_csv(csv_path)
    assert csv["variant"].tolist() == ["baseline", "no_batchnorm", "relu_in_d"]
    assert {"rate_any", "rate_any_lo", "rate_any_hi", "median_steps_to_failure", "modes_mean", "verdict"} <= set(csv)
    assert csv.loc[1, "verdict"] == "worse" and csv.loc[0, "runs"] == 12


def test_no_temp_files_are_left_behind(report):
    out, _ = report
    assert sorted(p.name for p in out.parent.iterdir()) == ["demo.html", "demo.summary.csv", "demo.summary.md"]


def test_user_strings_are_escaped(new_sweep, tmp_path):
    # A free-text value (any string is a valid data.path), so the fixture's config.yaml is a valid config.
    variants = {"baseline": {}, EVIL: {"data.path": '"><img src=x onerror=alert(2)>'}}
    path = new_sweep(variants=variants, seeds=3, name="<b>bold</b> & co")
    out = build_report(path, tmp_path / "out" / "evil.html")
    text = out.read_text()
    assert EVIL not in text and "<img src=x" not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in text
    assert not [t for t, _ in parse(text).tags if t == "script"]
    md = companions(out)[0].read_text()
    assert EVIL not in md and "&lt;script&gt;" in md


def test_default_output_goes_to_reports_with_a_safe_name(new_sweep, tmp_path, monkeypatch):
    path = new_sweep(variants={"baseline": {}}, seeds=2, name="../etc/my sweep")
    monkeypatch.chdir(tmp_path)
    out = build_report(path)
    assert out == default_output("../etc/my sweep") == tmp_path.joinpath("reports", "etc_my_sweep.html").relative_to(
        tmp_path)
    assert (tmp_path / "reports" / "etc_my_sweep.summary.md").is_file()


def test_sweep_json_baseline_is_the_default(new_sweep, tmp_path):
    path = new_sweep(variants={"ref": {}, "no_bn": {"model.batchnorm": "none"}}, seeds=3)
    meta = json.loads((path / "sweep.json").read_text())
    (path / "sweep.json").write_text(json.dumps({**meta, "baseline": "ref"}))
    text = build_report(path, tmp_path / "r.html").read_text()
    assert "<td>baseline</td><td>ref</td>" in text


def test_summary_csv_escapes_variant_names_that_spreadsheets_would_run(new_sweep, tmp_path):
    evil = '=HYPERLINK("http://attacker.example","x")'
    path = new_sweep(variants={"baseline": {}, evil: {"model.batchnorm": "none"}}, seeds=3)
    out = build_report(path, tmp_path / "r.html")
    csv = pd.read_csv(companions(out)[1])
    assert csv.loc[1, "variant"] == "'" + evil
    assert not any(str(v).startswith(("=", "+", "@")) for v in csv.to_numpy().ravel() if isinstance(v, str))


def test_to_decide_is_the_nearest_significant_table_under_the_reports_own_holm_rule(new_sweep, tmp_path):
    from scipy.stats import fisher_exact

    from tests.reference import multipletests

    # Failure rates near the baseline's: not decided, so each carries its distance to a decision instead.
    sweep = new_sweep(fail={"baseline": 0.2, "no_batchnorm": 0.5, "relu_in_d": 0.2}, baseline_seeds=8)
    out = build_report(sweep, tmp_path / "r.html")
    csv = pd.read_csv(companions(out)[1])
    family = [p for col in ("failure_p", "modes_p") for p in csv[col].dropna()]
    n2, k2 = int(csv.loc[0, "finished"]), int(csv.loc[0, "failures_any"])
    checked = 0
    for _, row in csv.iloc[1:].iterrows():
        k1, n1, index = int(row["failures_any"]), int(row["finished"]), family.index(row["failure_p"])

        def significant(a, b, n1=n1, index=index):
            trial = list(family)
            trial[index] = fisher_exact([[a, n1 - a], [b, n2 - b]]).pvalue
            return a * n2 != b * n1 and multipletests(trial, method="holm")[1][index] < 0.05

        if significant(k1, k2):  # decided: a fragility, no distance
            assert math.isnan(row["failure_to_decide"]) and row["failure_fragility"] >= 1
            continue
        nearest = min((abs(a - k1) + abs(b - k2) for a in range(n1 + 1) for b in range(n2 + 1)
                       if significant(a, b)), default=math.inf)
        assert row["failure_to_decide"] == (nearest if nearest <= 10 else math.inf)
        checked += 1
        if row["verdict"] not in ("better", "worse"):  # shown beside the verdict, in the HTML and summary.md
            shown = f"failure {int(nearest) if nearest <= 10 else 'more than 10'}"
            cell = next(r[-1] for r in parse(out.read_text()).overview_rows if r[0] == row["variant"])
            assert cell.startswith("to decide: ") and shown in cell
            name = row["variant"].replace("_", "\\_")  # markdown-escaped
            line = next(x for x in companions(out)[0].read_text().splitlines() if x.startswith(f"| {name} |"))
            assert f"to decide: {shown}" in line
    assert checked

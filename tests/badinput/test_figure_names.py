"""Issue 21 item 12: variant names are drawn as plain text in every figure, never parsed as mathtext
(``$\\frac{a}{$ x`` made all five figures fail: "The forest plot could not be drawn (ValueError: ...)")."""

from __future__ import annotations

import pytest

from ganlab.report import build_report, load_sweep
from ganlab.report.analysis import analyze
from ganlab.testing.synthetic import make_sweep

NAMES = ["$\\frac{a}{$ x", "$x^2$ and $", "a_b ^c \\alpha $$", "50% $5 \\$"]


@pytest.fixture(scope="module")
def odd_sweep(tmp_path_factory: pytest.TempPathFactory):
    variants = {"baseline": {}, **{name: {"model.batchnorm": "none"} for name in NAMES}}
    fail = {"baseline": 0.1, **dict.fromkeys(NAMES, 0.8)}
    return make_sweep(tmp_path_factory.mktemp("odd") / "odd", variants=variants, fail=fail, seeds=3, steps=60,
                      checkpoint_every=30)


def test_every_figure_draws_with_mathtext_in_the_names(odd_sweep, tmp_path):
    from ganlab.report import figures

    sweep = load_sweep(odd_sweep)
    overview = analyze(sweep, "baseline")
    variants = sweep.variants
    colors = figures.palette(variants)
    assert figures.forest(overview) is not None
    assert figures.heatmap(overview) is not None
    assert figures.survival(sweep, variants, colors) is not None
    assert figures.metric_points(sweep, variants, overview.metrics) is not None
    assert figures.profiles(sweep, variants, overview.metrics[:1], colors) is not None
    for name in NAMES:
        figures.curves(sweep, name, figures.palette(sweep.kinds))
    build_report(odd_sweep, tmp_path / "r.html")
    assert not [n for n in load_sweep(odd_sweep).notes if "could not be drawn" in n]


def test_names_reach_the_figure_as_written(odd_sweep, monkeypatch):
    """The label text is the name itself (not a rendered formula, not a mangled escape), parsed as plain text."""
    from matplotlib.text import Text

    from ganlab.report import figures

    drawn = []
    monkeypatch.setattr(figures, "to_uri", lambda fig, tight=True: drawn.append(fig) or "data:")
    sweep = load_sweep(odd_sweep)
    overview = analyze(sweep, "baseline")
    figures.survival(sweep, sweep.variants, figures.palette(sweep.variants))
    figures.forest(overview)
    figures.heatmap(overview)
    for fig in drawn:
        texts = [t for t in fig.findobj(Text) if t.get_text()]
        for name in NAMES:
            shown = [t for t in texts if name in t.get_text()]
            assert shown and not any(t._parse_math for t in shown), name

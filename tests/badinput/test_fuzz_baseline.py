"""Fuzz check baselines and check sections against the gate (issue 21 item 2): it fails closed.

Each example is a valid baseline with random mutations (values set to NaN, Infinity, bools, strings,
huge numbers, lists; keys deleted or added), random bytes, or a valid baseline next to a random current
result (metrics NaN, missing, huge; variants dropped). It goes through the real ``ganlab check`` in-process
with the sweep replaced by a fixed results table, so nothing trains. The property: exit 2 with one bounded
line, or exit 1, or exit 0 only when an independent float64 recomputation over the same numbers says every
variant was compared and every gated metric's mean is finite and within its tolerance. Marked ``fuzz``.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganlab.metrics import HIGHER_IS_BETTER
from tests.badinput.helpers import CHECK, assert_one_line_error, cli, write
from tests.check.test_fail_closed import GATED, VARIANTS, good_baseline, results_frame

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("GANLAB_FUZZ_EXAMPLES", 0)) or max(5, settings.default.max_examples)
FUZZ = settings(deadline=None, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
TOLERANCES = {"modes": 2.0, "kl": 0.5}  # GATED: modes 2 absolute, kl 50% of the baseline mean

NUMBERS = st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 0.0, 9.0, 1e400])
ODD = (st.none() | st.booleans() | st.integers() | st.floats() | NUMBERS | st.text(max_size=6)
       | st.sampled_from(["NaN", "Infinity", "1e999", "nan", "9", "%"]))
VALUES = st.recursive(ODD, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                           max_size=2), max_leaves=5)


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else []
    found = []
    for key, value in items:
        found.append((*prefix, key))
        found += _paths(value, (*prefix, key))
    return found


@st.composite
def mutated_baseline(draw: st.DrawFn, base: dict[str, Any]) -> str:
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "set", "delete", "add"]))
        if action == "set":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete":
            parent.pop(path[-1]) if isinstance(parent, dict) else parent.pop(path[-1])
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return json.dumps(data)  # NaN and Infinity as JSON's NaN/Infinity literals, as Python writes them


@st.composite
def current_metrics(draw: st.DrawFn) -> dict[str, dict[str, list[float]]]:
    """Per variant (some dropped), per gated metric (some dropped), two values near or far from 9 / 0.2."""
    value = st.one_of(NUMBERS, st.floats(-20, 20))
    out = {}
    for name in VARIANTS:
        if draw(st.booleans()) or name == "baseline":
            out[name] = {m: [draw(value), draw(value)] for m in TOLERANCES if draw(st.integers(0, 4))}
    return out


def _passes(base: dict[str, Any], now: dict[str, dict[str, list[float]]]) -> bool:
    """Independent float64 reading of the gate over the same numbers (no events): pass or not."""
    if set(now) != set(base["variants"]):
        return False
    for name, metrics in now.items():
        for metric, tolerance in TOLERANCES.items():
            values = [v for v in metrics.get(metric, []) if math.isfinite(v)]
            before = base["variants"][name]["metrics"][metric]
            if not values:
                return False
            mean, base_mean = np.float64(np.mean(values)), np.float64(np.mean(before))
            allowed = tolerance if metric == "modes" else abs(base_mean) * tolerance
            worse = base_mean - mean if HIGHER_IS_BETTER[metric] else mean - base_mean
            if not worse <= allowed:
                return False
    return True


def _run(text: str, now: dict[str, dict[str, list[float]]] | None = None) -> tuple[tuple[int, str, str], Path]:
    from ganlab.sweep import runner

    with tempfile.TemporaryDirectory(prefix="ganlab-fuzz-") as folder, pytest.MonkeyPatch.context() as mp:
        root = Path(folder)
        check_file = write(root / "c.yaml", GATED)
        frame = results_frame(now)
        if now is not None:
            frame = frame[frame["variant"].isin(list(now))]
        mp.setattr(runner, "run_sweep",
                   lambda sweep, out, **_: type("R", (), {"results": frame, "sweep_dir": Path(out)})())
        write(root / "c-baseline.json", text)
        return cli("check", check_file, "--out", root / "runs"), root


@pytest.fixture(scope="module")
def valid_baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return good_baseline(write(tmp_path_factory.mktemp("fz") / "c.yaml", GATED))


def test_fuzz_check_baseline(valid_baseline: dict[str, Any]) -> None:
    @FUZZ
    @given(st.one_of(mutated_baseline(valid_baseline), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
    def fuzz(text: str) -> None:
        result, _ = _run(text)
        if result[0] == 0:  # accepted: the same numbers as the valid baseline, nothing that disables it
            data = json.loads(text)
            assert _passes(data, {n: {"modes": [9.0, 9.0], "kl": [0.2, 0.2]} for n in VARIANTS}), text
            assert set(data["variants"]) == set(VARIANTS), text
        elif result[0] != 1:
            assert_one_line_error(result)

    fuzz()


def test_fuzz_current_results_against_a_valid_baseline(valid_baseline: dict[str, Any]) -> None:
    @FUZZ
    @given(current_metrics())
    def fuzz(now: dict[str, dict[str, list[float]]]) -> None:
        (code, out, err), _ = _run(json.dumps(valid_baseline), now)
        assert code in (0, 1), (code, err)
        assert (code == 0) == _passes(valid_baseline, now), (now, out)

    fuzz()


@FUZZ
@given(st.dictionaries(st.sampled_from(["tolerances", "alpha", "must_be_stable", "allow", "x"]), VALUES,
                       max_size=3) | VALUES)
def test_fuzz_check_section(section: Any) -> None:
    """A check section is accepted only as a mapping with finite, non-negative, non-bool tolerances."""
    from ganlab.check.spec import load_check
    from ganlab.errors import GanlabError

    with tempfile.TemporaryDirectory(prefix="ganlab-fuzz-") as folder:
        path = write(Path(folder) / "c.yaml", CHECK.split("check:")[0] + "check: " + json.dumps(section) + "\n")
        try:
            spec = load_check(path)
        except GanlabError as err:
            assert "\n" not in str(err)
            return
        assert isinstance(section, dict)
        for tol in spec.settings.tolerances.values():
            assert not isinstance(tol, bool)
            amount = tol if not isinstance(tol, str) else float(tol.strip().rstrip("%"))
            assert math.isfinite(amount) and amount >= 0
        assert 0 < spec.settings.alpha < 1



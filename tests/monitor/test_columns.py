"""A log needs only the columns its enabled detectors read; other spellings are renamed, near ones suggested."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganlab.diagnostics import detect, diagnose_path, read_log
from ganlab.diagnostics.columns import ALIASES, NEEDS, canonical_names, required_columns, squash
from ganlab.errors import DataError
from ganlab.schema import EVENT_KINDS, LOG_COLUMNS, EventKind


def frame(names: list[str], n: int = 5) -> pd.DataFrame:
    return pd.DataFrame({name: [float(i + 1) if name == names[0] else 0.5 for i in range(n)] for name in names})


def test_learning_rates_and_clock_are_not_required(tmp_path) -> None:
    columns = [c for c in LOG_COLUMNS if c not in ("lr_d", "lr_g", "time_s")]
    frame(columns).to_csv(tmp_path / "log.csv", index=False)
    assert list(read_log(tmp_path / "log.csv").columns) == columns


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_a_log_with_one_detector_needs_only_its_columns(tmp_path, kind) -> None:
    frame(["step", *NEEDS[kind]]).to_csv(tmp_path / "log.csv", index=False)
    read_log(tmp_path / "log.csv", (kind,))  # no error
    others = [k for k in EVENT_KINDS if set(NEEDS[k]) - set(NEEDS[kind])]
    for other in others:
        with pytest.raises(DataError, match=f"which detector {other} needs"):
            read_log(tmp_path / "log.csv", (kind, other))


def test_pytorch_examples_names_are_renamed(tmp_path) -> None:
    frame(["step", "Loss_D", "Loss_G", "D(x)", "D(G(z))", "grad_norm_d", "grad_norm_g"]).to_csv(
        tmp_path / "log.csv", index=False)
    assert list(read_log(tmp_path / "log.csv").columns) == list(LOG_COLUMNS[:7])


def test_lossD_is_renamed_and_a_near_name_is_suggested(tmp_path) -> None:
    frame(["step", "lossD", "loss_generatr"]).to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(DataError) as err:
        read_log(tmp_path / "log.csv", (EventKind.OSCILLATION,))
    message = str(err.value)
    assert "no column 'loss_g', which detector oscillation needs" in message
    assert "did you mean 'loss_generatr'" in message and "\n" not in message
    log = read_log(tmp_path / "log.csv", (EventKind.OSCILLATION,), {"loss_g": "loss_generatr"})
    assert list(log.columns) == ["step", "loss_d", "loss_g"]


def test_settings_and_map_reach_diagnose(tmp_path) -> None:
    log = frame(["step", "errD", "errG"], n=3)
    log.loc[2, "errG"] = float("nan")
    log.to_csv(tmp_path / "log.csv", index=False)
    events = diagnose_path(tmp_path / "log.csv", overrides={"diagnostics.detectors": ["non_finite"]})
    assert [(e.kind, e.step, e.evidence["column"]) for e in events] == [(EventKind.NON_FINITE, 3, "loss_g")]


@given(st.sampled_from(sorted(ALIASES)), st.sampled_from(["", "_", "/", "-"]), st.booleans())
def test_every_alias_spelling_maps_to_its_column(alias: str, sep: str, upper: bool) -> None:
    name = sep.join(alias) if sep and len(alias) < 4 else alias
    name = name.upper() if upper else name
    column = ALIASES[alias]
    known = (*LOG_COLUMNS,)
    if squash(name) == squash(column):
        return  # the column's own name, spelled differently: renamed through the same table
    assert canonical_names([name], known) == {name: column}
    assert canonical_names([name, column], known) == {}  # the schema's own name wins


def test_required_columns_name_the_first_detector() -> None:
    assert required_columns(EVENT_KINDS)["loss_d"] == EventKind.NON_FINITE
    assert required_columns((EventKind.GRADIENT_EXPLOSION,)) == dict.fromkeys(
        ("grad_norm_d", "grad_norm_g"), EventKind.GRADIENT_EXPLOSION)
    assert "lr_d" not in required_columns(EVENT_KINDS) and detect(frame(["step"]))  == []

"""The pytest plugin, exercised through pytester: profile option and header, marker, fixtures, assert_stable."""

from __future__ import annotations

import json

import pytest

from ganlab.testing import PROFILES, active_profile


def test_header_shows_the_default_profile_dev_outside_ci(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GANLAB_PROFILE", raising=False)
    pytester.makepyfile("def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["ganlab profile: dev (1 seed(s), 100 steps); too short to catch*"])
    assert result.ret == 0


def test_ci_is_the_default_when_ci_is_set(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("GANLAB_PROFILE", raising=False)
    pytester.makepyfile("def test_ok():\n    assert True\n")
    pytester.runpytest_subprocess().stdout.fnmatch_lines(["ganlab profile: ci (2 seed(s), 300 steps); may miss*"])


def test_profile_option_reaches_assert_stable(pytester, monkeypatch):
    monkeypatch.delenv("GANLAB_PROFILE", raising=False)
    pytester.makepyfile("""
        from ganlab.testing import active_profile

        def test_profile():
            assert active_profile().name == "full"
    """)
    result = pytester.runpytest_subprocess("--ganlab-profile", "full")
    result.stdout.fnmatch_lines(["ganlab profile: full (5 seed(s), config's steps)"])
    result.assert_outcomes(passed=1)


def test_unknown_profile_is_rejected(pytester):
    pytester.makepyfile("def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("--ganlab-profile", "huge")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*invalid choice: 'huge'*"])


def test_marker_is_registered_and_selectable(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.gan_stability
        def test_marked():
            pass

        def test_plain():
            pass
    """)
    result = pytester.runpytest_subprocess("--strict-markers", "-m", "gan_stability")
    result.assert_outcomes(passed=1, deselected=1)


def test_fixtures_give_a_tiny_config_and_a_run_dir(pytester):
    pytester.makepyfile("""
        def test_fixtures(ganlab_tiny_config, ganlab_run_dir):
            assert ganlab_run_dir.is_dir()
            assert ganlab_tiny_config.output.dir == str(ganlab_run_dir)
            assert ganlab_tiny_config.data.resolution == 16
    """)
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_assert_stable_fails_with_the_events_table(pytester):
    pytester.makepyfile("""
        import pytest
        from ganlab.testing import assert_stable

        @pytest.mark.gan_stability
        def test_exploding(ganlab_tiny_config):
            assert_stable(ganlab_tiny_config, seeds=1, steps=20,
                          overrides={"train.lr_d": 1e12, "train.lr_g": 1e12, "model.batchnorm": "none",
                                     "model.g_output": "linear"})
    """)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: 1 of 1 seed(s) unstable*", "*seed*status*kind*onset*",
                                 "*failed*non_finite*failure*"])


def exploding_config():
    """A tiny run whose learning rate of 1e12 goes non-finite within a few steps."""
    from ganlab.config import validate

    return validate({
        "data": {"dataset": "digits", "resolution": 16},
        "model": {"width": 16, "nz": 8, "batchnorm": "none", "g_output": "linear"},
        "train": {"steps": 10, "batch_size": 8, "lr_d": 1e12, "lr_g": 1e12, "device": "cpu"},
        "diagnostics": {"eval_every": 0},
    }, "<test>")


def test_allow_lets_a_named_event_kind_pass(tmp_path):
    from ganlab.testing import assert_stable

    cfg = exploding_config()
    with pytest.raises(AssertionError, match="non_finite"):
        assert_stable(cfg, seeds=1, out_dir=tmp_path / "a")
    results = assert_stable(cfg, seeds=[3], allow=["non_finite"], out_dir=tmp_path / "b")
    assert [r.status for r in results] == ["failed"] and results[0].record.non_finite_tensor


def test_profiles_are_ordered_by_effort():
    assert PROFILES["dev"].steps < PROFILES["ci"].steps and PROFILES["full"].steps is None
    assert PROFILES["dev"].seeds <= PROFILES["ci"].seeds <= PROFILES["full"].seeds
    assert active_profile().name in PROFILES


def test_results_from_a_temporary_folder_are_data_not_dangling_paths(tmp_path):
    from ganlab.testing import assert_stable

    cfg = exploding_config()
    (temporary,) = assert_stable(cfg, seeds=[3], allow=["non_finite"])
    (kept,) = assert_stable(cfg, seeds=[3], allow=["non_finite"], out_dir=tmp_path)
    assert temporary.run_dir is None and kept.run_dir is not None and kept.run_dir.parent == tmp_path
    # The temporary run's data survives its folder and equals what the kept folder holds on disk.
    assert temporary.events == json.loads((kept.run_dir / "events.json").read_text())
    assert [e["kind"] for e in temporary.events] == ["non_finite"]
    assert temporary.record.non_finite_tensor == kept.record.non_finite_tensor is not None
    assert temporary.record.steps_done == kept.record.steps_done

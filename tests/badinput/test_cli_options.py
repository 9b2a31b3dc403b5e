"""Issue 21 item 14: an out-of-range or unknown command-line option is one line, exit 2, not click's 5-line box.

Each case goes through the real CLI in-process; nothing runs (click refuses the value before the command).
"""

from __future__ import annotations

import pytest

from tests.badinput.helpers import assert_one_line_error, cli


@pytest.mark.parametrize(("argv", "needles"), [
    (["score", "RUN", "--n", "5"], ("ganlab score", "'--n'", "greater than or equal to 10", "ganlab score --help")),
    (["score", "RUN", "--n", "2000000"], ("'--n'", "less than or equal to 1000000")),
    (["score", "RUN", "--seed", "-1"], ("'--seed'",)),
    (["score", "RUN", "--threads", "0"], ("'--threads'",)),
    (["check", "c.yaml", "--workers", "0"], ("ganlab check", "'--workers'", "greater than or equal to 1")),
    (["sweep", "s.yaml", "--workers", "0"], ("ganlab sweep", "'--workers'")),
    (["sweep", "s.yaml", "--workers", "two"], ("'--workers'", "valid integer")),
    (["check", "c.yaml", "--bogus"], ("No such option: --bogus",)),
    (["check"], ("Missing argument",)),
    (["nope"], ("No such command 'nope'",)),
])
def test_a_bad_option_is_one_line(argv: list[str], needles: tuple[str, ...]) -> None:
    code, out, err = cli(*argv)
    assert_one_line_error((code, out, err), *needles)
    assert "╭" not in err and "Usage:" not in err and out == ""


def test_help_and_exit_codes_still_come_through() -> None:
    code, out, err = cli("score", "--help")
    assert (code, err) == (0, "") and "--n" in out
    code, out, _ = cli()
    assert code == 2 and "Commands" in out  # `ganlab` alone prints the help, as before

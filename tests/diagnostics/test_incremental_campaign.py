"""The second half of the incremental detectors' fuzz campaign (test_incremental.py holds the first and the
strategies): in a file of its own so that it runs on the other test worker. Its examples differ from the
first half's: a derandomized test draws from its own name."""

from __future__ import annotations

import pytest
from hypothesis import given

from .test_incremental import CAMPAIGN, assert_equal_at_every_check, cases


@pytest.mark.fuzz
@CAMPAIGN
@given(case=cases())
def test_incremental_events_equal_detect_at_every_check_campaign_second_half(case) -> None:
    assert_equal_at_every_check(*case)

"""How long an account waits after wrong passwords (app/auth/rules.py)."""
import pytest

from app.auth.rules import login_wait_seconds, wait_in_minutes


@pytest.mark.parametrize("failures, wait", [
    (0, 0), (1, 0), (4, 0),      # fewer than `free`: no wait
    (5, 60),                     # exactly at the threshold: the first wait
    (6, 120), (7, 240), (8, 480),
    (9, 900), (10, 900),         # capped
    (10_000, 900),               # a long siege stays at the cap (and the arithmetic small)
])
def test_the_wait_starts_at_the_threshold_doubles_and_is_capped(failures, wait):
    assert login_wait_seconds(failures, free=5, first=60, cap=900) == wait


def test_no_free_failures_configured_means_no_waiting_at_all():
    assert login_wait_seconds(100, free=0, first=60, cap=900) == 0


@pytest.mark.parametrize("seconds, minutes", [(1, 1), (59, 1), (60, 1), (61, 2), (120, 2), (900, 15)])
def test_a_wait_is_told_in_whole_minutes_rounded_up(seconds, minutes):
    assert wait_in_minutes(seconds) == minutes

"""clock_at: inside it every utcnow() is the moment given; outside, and after an error, the real
time again."""
from datetime import datetime, timedelta, timezone

import pytest

from app.core.timeutil import clock_at, utcnow


def test_inside_the_clock_it_is_the_moment_given_and_after_it_now_again():
    moment = datetime(2026, 3, 1, 8, 30)
    with clock_at(moment):
        assert utcnow() == moment
        with clock_at(moment + timedelta(days=1)):
            assert utcnow() == moment + timedelta(days=1)
        assert utcnow() == moment
    assert abs(utcnow() - datetime.now(timezone.utc).replace(tzinfo=None)) < timedelta(seconds=5)


def test_an_error_inside_does_not_leave_the_clock_stopped():
    with pytest.raises(RuntimeError), clock_at(datetime(2020, 1, 1)):
        raise RuntimeError("boom")
    assert utcnow().year >= 2026

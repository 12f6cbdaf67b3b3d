"""Large totals are kept a minute per process; small ones are counted on every view."""
from app.core import paging


def counter(*values):
    calls = []
    queue = list(values)

    def compute():
        calls.append(1)
        return queue.pop(0)

    return compute, calls


def test_a_small_count_is_counted_every_time(monkeypatch):
    monkeypatch.setattr(paging, "_kept", type(paging._kept)(maxsize=10, ttl=60))
    compute, calls = counter(12, 13)
    assert paging.kept_count(("db", "small"), compute) == 12
    assert paging.kept_count(("db", "small"), compute) == 13
    assert len(calls) == 2


def test_a_large_count_is_kept_for_its_key_only(monkeypatch):
    monkeypatch.setattr(paging, "_kept", type(paging._kept)(maxsize=10, ttl=60))
    big = paging.KEPT_COUNT_MIN
    compute, calls = counter(big, big + 1, 7)
    assert paging.kept_count(("db", "large"), compute) == big
    assert paging.kept_count(("db", "large"), compute) == big      # kept: not counted again
    assert paging.kept_count(("other db", "large"), compute) == big + 1
    assert len(calls) == 2


def test_a_kept_count_ends_with_its_minute(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(paging, "_kept", type(paging._kept)(maxsize=10, ttl=paging.KEPT_COUNT_SECONDS,
                                                            timer=lambda: now[0]))
    compute, calls = counter(paging.KEPT_COUNT_MIN, 3)
    paging.kept_count("k", compute)
    now[0] = paging.KEPT_COUNT_SECONDS + 1
    assert paging.kept_count("k", compute) == 3 and len(calls) == 2


def test_a_grouped_count_is_kept_by_its_size(monkeypatch):
    monkeypatch.setattr(paging, "_kept", type(paging._kept)(maxsize=10, ttl=60))
    half = paging.KEPT_COUNT_MIN // 2 + 1
    compute, calls = counter({1: half, 2: half}, {1: 0, 2: 0})
    total = lambda found: sum(found.values())   # noqa: E731
    assert paging.kept_count("street", compute, size=total) == {1: half, 2: half}
    assert paging.kept_count("street", compute, size=total) == {1: half, 2: half}
    assert len(calls) == 1

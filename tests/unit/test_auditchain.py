"""The audit log's hash chain as pure functions: one event's hash, linking, walking."""
from datetime import datetime

from app.core import auditchain


def event(i, **changes):
    base = {"id": 10 + i, "created_dt": datetime(2026, 5, 1, 8, 0, i, 1234), "actor_id": 3,
            "community_id": 1, "action": "vote.closed", "object_type": "meetings", "object_id": 7,
            "from_state": None, "to_state": "closed", "reason": None,
            "data_json": '{"vote_id": 5, "chain_head": "ab"}'}
    return {**base, **changes}


def chained(events):
    out = []
    for e, (seq, prev, this) in zip(events, auditchain.link(0, auditchain.GENESIS, events), strict=True):
        out.append({**e, "seq": seq, "prev_hash": prev, "chain_hash": this})
    return out


def test_every_field_and_the_previous_hash_change_the_hash():
    e = {**event(0), "seq": 1}
    h = auditchain.event_hash(auditchain.GENESIS, e)
    assert len(h) == 64 and h == auditchain.event_hash(auditchain.GENESIS, dict(e))
    for name in auditchain.FIELDS:
        other = {**e, name: "x" if e[name] is None else None}
        assert auditchain.event_hash(auditchain.GENESIS, other) != h, name
    assert auditchain.event_hash("00" * 32, e) != h


def test_none_and_empty_text_and_shifted_fields_differ():
    e = {**event(0), "seq": 1}
    assert auditchain.event_hash(auditchain.GENESIS, {**e, "reason": ""}) != \
        auditchain.event_hash(auditchain.GENESIS, {**e, "reason": None})
    # Moving text from one field to the next is not the same event.
    a = {**e, "from_state": "ab", "to_state": "c"}
    b = {**e, "from_state": "a", "to_state": "bc"}
    assert auditchain.event_hash(auditchain.GENESIS, a) != auditchain.event_hash(auditchain.GENESIS, b)


def test_a_linked_chain_walks_to_its_head():
    events = chained([event(i) for i in range(5)])
    check = auditchain.walk(events)
    assert check.ok and check.count == 5 and check.head == events[-1]["chain_hash"]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["prev_hash"] == auditchain.GENESIS
    # A walk may start after an event known good.
    assert auditchain.walk(events[2:], 2, events[1]["chain_hash"]).ok


def test_an_edited_event_is_named():
    events = chained([event(i) for i in range(5)])
    events[2] = {**events[2], "reason": "改过"}
    check = auditchain.walk(events)
    assert not check.ok and check.count == 2 and (check.broken.seq, check.broken.event_id) == (3, 12)
    assert "此事件被改动" in str(check.broken)


def test_an_edited_event_with_its_hash_redone_breaks_the_next_link():
    events = chained([event(i) for i in range(5)])
    events[2] = {**events[2], "reason": "改过"}
    events[2]["chain_hash"] = auditchain.event_hash(events[2]["prev_hash"], events[2])
    check = auditchain.walk(events)
    assert not check.ok and check.broken.seq == 4 and "前一哈希" in check.broken.reason


def test_a_removed_event_leaves_a_gap():
    events = chained([event(i) for i in range(5)])
    del events[1]
    check = auditchain.walk(events)
    assert not check.ok and check.broken.seq == 3 and "位置" in check.broken.reason


def test_rewriting_the_whole_chain_gives_another_head():
    events = [event(i) for i in range(5)]
    honest = chained(events)[-1]["chain_hash"]
    events[1] = {**events[1], "data_json": '{"vote_id": 5, "chain_head": "cd"}'}
    forged = chained(events)
    assert auditchain.walk(forged).ok and forged[-1]["chain_hash"] != honest


def test_objects_with_attributes_hash_like_mappings():
    class Row:
        def __init__(self, fields):
            self.__dict__.update(fields)

    e = {**event(0), "seq": 1}
    assert auditchain.event_hash(auditchain.GENESIS, Row(e)) == auditchain.event_hash(auditchain.GENESIS, e)

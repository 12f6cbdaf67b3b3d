"""Votes in a meeting, through the operations: quorum, hall and online in one tally, receipts,
the chain, the minutes, and who may do what."""
import json

import pytest
from sqlalchemy import inspect, text

from app.core.db import unit_of_work
from app.core.refusal import Refused
from app.meetings import live
from app.meetings import operations as meetings
from app.votes import operations as votes
from app.votes import present
from app.votes.casting import CAST_RACES, Voter, cast_online
from app.votes.queries import get_vote
from app.votes.models import Ballot, Vote, VoteParticipation
from app.votes.signals import vote_closing_in_transaction
from tests.integration.live_helpers import Meeting

NONCE = "nonce-0123456789abcdef"


def cast_committed(user, vote_id, choice, nonce):
    """An online cast as the room and the API run it: one unit of work, retried on a lost race."""
    return unit_of_work(lambda attempt: cast_online(user, vote_id, choice, nonce, attempt),
                        retry_on=CAST_RACES, attempts=3)


def nonce(i):
    return f"nonce-{i:04d}-0123456789"


def live_room(make, db, **kw):
    room = Meeting(make, db, **kw)
    room.start(db)
    return room


def seat(room, db, online=(), hall=()):
    for user in online:
        live.join_online(user, room.meeting)
    for user in hall:
        live.check_in(room.secretary, room.meeting, user.id)
    db.session.commit()


def test_a_vote_cannot_open_without_the_quorum_and_the_room_is_told_the_numbers(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, room.members[0]])
    with pytest.raises(Refused) as refused:
        votes.open_vote(room.chair, room.meeting)
    assert refused.value.code == "no_quorum"
    assert "应到 5 人，实到 2 人" in refused.value.message
    assert "不能开始表决" in refused.value.message
    assert Vote.query.count() == 0


def test_only_the_chair_opens_and_closes(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    with pytest.raises(Refused):
        votes.open_vote(room.members[0], room.meeting)
    vote = votes.open_vote(room.chair, room.meeting)
    db.session.commit()
    with pytest.raises(Refused):
        votes.close_vote(room.secretary, vote)
    with pytest.raises(Refused):
        get_vote(room.stranger, vote.id)


def test_named_vote_counts_online_and_hall_once_each_and_goes_into_the_minutes(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, room.members[0], room.members[1]], hall=[room.members[2]])
    heard = []

    def listen(vote, **kw):
        heard.append(kw["result"]["passed"])

    vote_closing_in_transaction.connect(listen)
    try:
        vote = votes.open_vote(room.chair, room.meeting, kind="named")
        db.session.commit()
        assert vote.title == "预算"
        receipts = [cast_committed(room.chair, vote.id, "yes", nonce(1)),
                    cast_committed(room.members[0], vote.id, "yes", nonce(2)),
                    cast_committed(room.members[1], vote.id, "no", nonce(3))]
        assert len(set(receipts)) == 3
        with pytest.raises(Refused) as in_hall:
            cast_committed(room.members[2], vote.id, "yes", nonce(4))
        assert in_hall.value.code == "in_hall"
        votes.enter_hall_votes(room.secretary, vote, entries={str(room.members[2].id): "abstain"})
        db.session.commit()
        with pytest.raises(Refused):
            votes.enter_hall_votes(room.secretary, vote, entries={room.members[2].id: "yes"})
        db.session.rollback()
        votes.close_vote(room.chair, vote)
        db.session.commit()
    finally:
        vote_closing_in_transaction.disconnect(listen)
    result = vote.result
    assert heard == [False]
    assert (result["present"], result["cast"], result["online_cast"], result["hall_cast"]) == (4, 4, 3, 1)
    assert [c["count"] for c in result["counts"]] == [2, 1, 1]
    # two_committees: yes > half of the present (4): 2 is not more than 2.
    assert result["passed"] is False and vote.passed is False
    assert "应到 5 人，实到 4 人" in result["text"] and "未通过" in result["text"]
    assert vote.chain_head == result["chain_head"]
    meetings.end_meeting(room.chair, room.meeting)
    db.session.commit()
    minutes = room.meeting.minutes_text
    assert "表决：预算（记名）" in minutes
    assert "成员2（现场）：弃权" in minutes and "成员1（线上）：反对" in minutes
    assert vote.chain_head in minutes


def test_a_retry_gets_the_same_receipt_and_a_different_cast_is_refused(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    for kind in ("named", "secret"):
        vote = votes.open_vote(room.chair, room.meeting, kind=kind)
        db.session.commit()
        first = cast_committed(room.members[0], vote.id, "yes", NONCE)
        assert cast_committed(room.members[0], vote.id, "yes", NONCE) == first
        with pytest.raises(Refused) as changed:
            cast_committed(room.members[0], vote.id, "no", NONCE)
        assert changed.value.code == "already_cast"
        db.session.rollback()
        with pytest.raises(Refused):
            cast_committed(room.members[0], vote.id, "yes", "another-nonce-0123456789")
        db.session.rollback()
        assert VoteParticipation.query.filter_by(vote_id=vote.id).count() == 1
        # A secret ballot stays sealed in the participation until the close writes it.
        assert Ballot.query.filter_by(vote_id=vote.id).count() == (1 if kind == "named" else 0)
        votes.close_vote(room.chair, vote)
        db.session.commit()
        assert [b["receipt"] for b in present.receipts(vote)] == [first]


def test_a_cast_after_the_close_is_refused_and_stores_nothing(make, db):
    """A cast reads the vote under a share lock (PostgreSQL's FOR SHARE), then writes in one
    statement: a close waits for the casts in flight, and shuts out the ones after it."""
    from sqlalchemy import event

    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    vote_id = vote.id
    cast_committed(room.members[0], vote_id, "yes", nonce(1))
    voter = Voter(room.members[1].id)   # as the live room casts: by id, no account loaded
    statements = []
    listen = lambda *args: statements.append(args[2])   # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        cast_committed(voter, vote_id, "no", nonce(2))
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    if db.engine.dialect.name == "postgresql":
        assert len(statements) == 2 and "FOR SHARE" in statements[0]
    votes.close_vote(room.chair, db.session.get(Vote, vote_id))
    db.session.commit()
    with pytest.raises(Refused) as closed:
        cast_committed(room.members[2], vote_id, "yes", nonce(3))
    assert closed.value.code == "vote_closed"
    db.session.rollback()
    assert Ballot.query.filter_by(vote_id=vote_id).count() == 2
    assert VoteParticipation.query.filter_by(vote_id=vote_id).count() == 2


def test_absent_members_and_late_arrivals_cannot_vote(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, room.members[0], room.members[1]])
    vote = votes.open_vote(room.chair, room.meeting)
    db.session.commit()
    live.join_online(room.members[2], room.meeting)   # arrives after the vote opened
    db.session.commit()
    with pytest.raises(Refused) as late:
        cast_committed(room.members[2], vote.id, "yes", NONCE)
    assert late.value.code == "not_present"
    with pytest.raises(Refused) as outsider:
        cast_committed(room.resident, vote.id, "yes", NONCE)
    # Not a member, and not one who may see the meeting: a 404, as for any other stranger (the
    # rule's own `not_eligible` is checked in tests/unit/test_votes_rules.py).
    assert outsider.value.code == "not_found"
    with pytest.raises(Refused) as bad:
        cast_committed(room.members[0], vote.id, "maybe", NONCE)
    assert bad.value.code == "bad_choice"
    with pytest.raises(Refused) as no_nonce:
        cast_committed(room.members[0], vote.id, "yes", "short")
    assert no_nonce.value.code == "bad_nonce"


def test_secret_vote_hall_totals_are_capped_and_ballots_carry_no_voter(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, room.members[0]], hall=[room.members[1], room.members[2]])
    vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    mine = cast_committed(room.chair, vote.id, "yes", nonce(1))
    cast_committed(room.members[0], vote.id, "no", nonce(2))
    with pytest.raises(Refused) as too_many:
        votes.enter_hall_votes(room.secretary, vote, totals={"yes": 2, "no": 1})
    assert too_many.value.code == "hall_totals_exceed" and "会场实到 2 人" in too_many.value.message
    db.session.rollback()
    votes.enter_hall_votes(room.secretary, vote, totals={"yes": 1, "no": 1})
    votes.enter_hall_votes(room.secretary, vote, totals={"yes": 2})   # a recount replaces it
    db.session.commit()
    progress = present.progress_view(vote)
    assert (progress["cast"], progress["eligible"]) == (4, 4)
    assert "result" not in progress and vote.result is None
    participation = VoteParticipation.query.filter_by(vote_id=vote.id).all()
    assert {p.choice for p in participation} == {None} and {p.receipt for p in participation} == {None}
    votes.close_vote(room.chair, vote)
    db.session.commit()
    result = vote.result
    assert [c["count"] for c in result["counts"]] == [3, 1, 0]
    assert result["passed"] is True and result["hall_cast"] == 2
    listed = present.receipts(vote)
    assert mine in [r["receipt"] for r in listed]
    assert listed[-1]["receipt"] == "HALL"
    ok, findings = present.verify(vote)
    assert ok, findings


def test_receipts_are_not_published_while_the_vote_is_open(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    with pytest.raises(Refused):
        present.receipts(vote)


def test_a_changed_ballot_is_detected_by_verify(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    for i, user in enumerate([room.chair, *room.members]):
        cast_committed(user, vote.id, "yes" if i else "no", nonce(i))
    votes.close_vote(room.chair, vote)
    db.session.commit()
    assert present.verify(vote)[0]
    db.session.execute(text("UPDATE ballots SET choice = 'yes' WHERE vote_id = :v AND choice = 'no'"),
                       {"v": vote.id})
    db.session.commit()
    ok, findings = present.verify(vote)
    assert not ok
    assert any("哈希链：不一致" in line for line in findings)


def test_choose_up_to_k_and_too_many_choices(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    vote = votes.open_vote(room.chair, room.meeting, kind="secret", labels=["绿化", "停车", "照明"], up_to=2)
    db.session.commit()
    with pytest.raises(Refused) as refused:
        cast_committed(room.chair, vote.id, [0, 1, 2], NONCE)
    assert refused.value.code == "too_many_choices" and "最多只能选 2 项" in refused.value.message
    for i, user in enumerate([room.chair, *room.members]):
        cast_committed(user, vote.id, [0, 1] if i < 3 else [2], nonce(i))
    votes.close_vote(room.chair, vote)
    db.session.commit()
    result = vote.result
    assert [c["count"] for c in result["counts"]] == [3, 3, 1]
    assert [result["options"]["labels"][i] for i in result["elected"]] == ["绿化", "停车"]


def test_auto_close_when_everyone_present_has_voted(make, db, app):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, room.members[0], room.members[1]])
    vote = votes.open_vote(room.chair, room.meeting, auto_close=True)
    db.session.commit()
    for i, user in enumerate([room.chair, room.members[0], room.members[1]]):
        cast_committed(user, vote.id, "yes", nonce(i))
    vote_id = vote.id
    votes._send_progress(app, vote_id)   # what the throttled task does when it wakes
    closed = db.session.get(Vote, vote_id)
    db.session.refresh(closed)
    assert closed.state == "closed" and closed.passed is True


def test_one_vote_at_a_time_and_no_end_while_open(make, db):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    vote = votes.open_vote(room.chair, room.meeting)
    db.session.commit()
    with pytest.raises(Refused):
        votes.open_vote(room.chair, room.meeting)
    with pytest.raises(Refused) as refused:
        meetings.end_meeting(room.chair, room.meeting)
    assert refused.value.code == "vote_open"
    db.session.rollback()
    votes.close_vote(room.chair, vote)
    db.session.commit()
    with pytest.raises(Refused):
        votes.close_vote(room.chair, vote)


def test_household_base_counts_a_household_once(make, db):
    community = make.community()
    body = community.body_by_preset("residents_assembly")
    body.residents_base = "households"
    chair = make.user(community, name="主持人", room="102")
    wife, husband = make.user(community, name="王阿姨"), make.user(community, name="王叔叔")
    assert wife.household_id == husband.household_id
    make.member(body, chair, role="chair")
    make.member(body, wife)
    make.member(body, husband)
    from datetime import timedelta

    from app.core.timeutil import utcnow

    start = utcnow() + timedelta(minutes=10)
    meeting = meetings.create_meeting(chair, body, title="居民会议", start_dt=start)
    meetings.add_item(chair, meeting, title="公约")
    meetings.announce(chair, meeting, now=start - timedelta(days=30))
    meetings.start(chair, meeting)
    for user in (chair, wife, husband):
        live.join_online(user, meeting)
    db.session.commit()
    vote = votes.open_vote(chair, meeting)
    db.session.commit()
    assert json.loads(vote.snapshot_json)["households"]
    cast_committed(wife, vote.id, "yes", nonce(1))
    with pytest.raises(Refused) as taken:
        cast_committed(husband, vote.id, "no", nonce(2))
    assert taken.value.code == "household_already_cast" and "王阿姨" in taken.value.message
    db.session.rollback()
    cast_committed(chair, vote.id, "yes", nonce(3))
    votes.close_vote(chair, meeting_vote := db.session.get(Vote, vote.id))
    db.session.commit()
    assert meeting_vote.result["unit"] == "户" and meeting_vote.result["present"] == 2


def test_secret_ballots_cannot_be_joined_to_voters(app, db):
    """The schema itself: ballots hold vote, receipt, choice and link; nothing else."""
    inspector = inspect(db.engine)
    columns = {c["name"] for c in inspector.get_columns("ballots")}
    assert columns == {"vote_id", "receipt", "choice", "chain_hash"}
    assert {tuple(fk["constrained_columns"]) for fk in inspector.get_foreign_keys("ballots")} == {("vote_id",)}
    assert inspector.get_pk_constraint("ballots")["constrained_columns"] == ["vote_id", "receipt"]
    if db.engine.dialect.name == "sqlite":
        sql = db.session.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ballots'")).scalar()
        assert "WITHOUT ROWID" in sql.upper()


def test_flask_votes_verify_says_whether_chain_and_tally_match(make, db, app):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    for i, user in enumerate([room.chair, *room.members]):
        cast_committed(user, vote.id, "yes", nonce(i))
    votes.close_vote(room.chair, vote)
    db.session.commit()
    runner = app.test_cli_runner()
    good = runner.invoke(args=["votes", "verify", str(vote.id)])
    assert good.exit_code == 0 and "结论：一致" in good.output and vote.chain_head in good.output
    db.session.execute(text("DELETE FROM ballots WHERE vote_id = :v AND receipt = "
                            "(SELECT MIN(receipt) FROM ballots WHERE vote_id = :v)"), {"v": vote.id})
    db.session.commit()
    bad = runner.invoke(args=["votes", "verify", str(vote.id)])
    assert bad.exit_code == 1 and "不一致" in bad.output
    assert runner.invoke(args=["votes", "verify", "999999"]).exit_code != 0

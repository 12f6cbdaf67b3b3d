"""`flask votes verify` compares the recomputed head with every copy published at the close: the
vote's row, the audit log's `vote.closed` event, the minutes, the notice board item and a head a
resident kept. The attack it must catch: two 反对 ballots flipped to 赞成 on a copy of the database,
with every link, `votes.chain_head` and `result_json` recomputed to match."""
import json

from sqlalchemy import select, text

from app.core import audit
from app.meetings import operations as meetings
from app.notice.index import posted_vote_head
from app.votes import chain
from app.votes import operations as votes
from app.votes import present, queries
from app.votes.models import Ballot, Vote
from app.votes.verify import minutes_head
from tests.integration.test_audit_chain import relink_everything
from tests.integration.test_votes_meeting import cast_committed, live_room, nonce, seat


def closed_vote(make, db):
    """A secret vote of four: 2 赞成, 2 反对; closed, the meeting ended (its minutes locked)."""
    room = live_room(make, db)
    voters = [room.chair, *room.members]
    seat(room, db, online=voters)
    vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    for i, (user, choice) in enumerate(zip(voters, ["yes", "yes", "no", "no"], strict=True)):
        cast_committed(user, vote.id, choice, nonce(i))
    votes.close_vote(room.chair, vote)
    db.session.commit()
    meetings.end_meeting(room.chair, db.session.get(Vote, vote.id).meeting)
    db.session.commit()
    return db.session.get(Vote, vote.id)


def rewrite_consistently(db, vote):
    """The attack: flip the 反对 ballots, redo every link, the head and the stored result."""
    db.session.execute(text("UPDATE ballots SET choice = 'yes' WHERE vote_id = :v AND choice = 'no'"),
                       {"v": vote.id})
    rows = db.session.execute(select(Ballot.receipt, Ballot.choice).where(Ballot.vote_id == vote.id)).all()
    links = chain.chain_links(vote.id, rows)
    for receipt, _, link in links:
        db.session.execute(text("UPDATE ballots SET chain_hash = :h WHERE vote_id = :v AND receipt = :r"),
                           {"h": link, "v": vote.id, "r": receipt})
    db.session.expire_all()
    vote = db.session.get(Vote, vote.id)
    result = queries.compute_result(vote)
    head = links[-1][2]
    data = {**result.to_dict(), "chain_head": head, "title": vote.title}
    db.session.execute(text("UPDATE votes SET chain_head = :h, result_json = :r, passed = :p WHERE id = :v"),
                       {"h": head, "r": json.dumps(data, ensure_ascii=False), "p": result.passed, "v": vote.id})
    db.session.commit()
    return head


def also_rewrite_minutes_and_board(db, vote, old, new):
    db.session.execute(text("UPDATE meetings SET minutes_text = REPLACE(minutes_text, :o, :n) WHERE id = :m"),
                       {"o": old, "n": new, "m": vote.meeting_id})
    db.session.execute(text("UPDATE notice_postings SET search_text = REPLACE(search_text, :o, :n) "
                            "WHERE kind = 'meeting' AND source_id = :m"), {"o": old, "n": new, "m": vote.meeting_id})
    db.session.commit()


def verify(app, vote_id, *extra):
    return app.test_cli_runner().invoke(args=["votes", "verify", str(vote_id), *extra])


def test_a_clean_vote_agrees_with_every_published_copy(make, db, app):
    vote = closed_vote(make, db)
    head = vote.chain_head
    assert minutes_head(vote) == head and posted_vote_head(vote) == head
    result = verify(app, vote.id, "--head", head.upper(), "--audit-head", audit.current_head()[1])
    assert result.exit_code == 0, result.output
    assert "结论：一致" in result.output and "不一致" not in result.output
    for source in ("votes.chain_head", "审计日志 vote.closed 事件", "会议纪要", "公开栏会议条目", "--head"):
        assert f"{source}" in result.output
    assert result.output.count(f"一致（{head}）") == 6   # row, result, audit, minutes, board, --head


def test_the_consistent_rewrite_passed_before_and_the_audit_head_catches_it(make, db, app):
    vote = closed_vote(make, db)
    honest = vote.chain_head
    forged = rewrite_consistently(db, vote)
    assert forged != honest
    db.session.expire_all()
    vote = db.session.get(Vote, vote.id)
    # What the database alone says: the recount and the chain agree with the rewritten head.
    assert present.verify(vote)[0] is True and vote.passed
    # The attacker also fixes the minutes and the board: only the audit log's copy is left.
    also_rewrite_minutes_and_board(db, vote, honest, forged)
    result = verify(app, vote.id)
    assert result.exit_code == 1, result.output
    assert f"审计日志 vote.closed 事件：不一致（{honest}）" in result.output
    assert "与以下来源不符：审计日志 vote.closed 事件" in result.output
    assert "会议纪要（未签署）：一致" in result.output


def test_the_minutes_and_the_board_disagree_when_left_alone(make, db, app):
    vote = closed_vote(make, db)
    honest = vote.chain_head
    rewrite_consistently(db, vote)
    result = verify(app, vote.id)
    assert result.exit_code == 1
    assert f"会议纪要（未签署）：不一致（{honest}）" in result.output
    assert f"公开栏会议条目：不一致（{honest}）" in result.output


def test_a_rewrite_of_everything_in_the_database_is_caught_by_the_kept_head(make, db, app):
    vote = closed_vote(make, db)
    honest = vote.chain_head
    kept_audit_head = audit.current_head()[1]
    forged = rewrite_consistently(db, vote)
    also_rewrite_minutes_and_board(db, vote, honest, forged)
    # The vote.closed event too, and then the whole audit chain after it, consistently.
    db.session.execute(text("UPDATE audit_events SET data_json = REPLACE(data_json, :o, :n) "
                            "WHERE action = 'vote.closed'"), {"o": honest, "n": forged})
    relink_everything(db)
    inside = verify(app, vote.id)
    assert inside.exit_code == 0, inside.output     # nothing inside the database is left to disagree
    resident = verify(app, vote.id, "--head", honest)
    assert resident.exit_code == 1 and f"命令行 --head：不一致（{honest}）" in resident.output
    assert "与以下来源不符：命令行 --head" in resident.output
    backup = verify(app, vote.id, "--audit-head", kept_audit_head)
    assert backup.exit_code == 1 and "不在链中" in backup.output


def test_an_edited_vote_closed_event_breaks_the_audit_chain(make, db, app):
    vote = closed_vote(make, db)
    event = db.session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "vote.closed")).one()
    db.session.execute(text("UPDATE audit_events SET data_json = REPLACE(data_json, :o, :n) WHERE id = :id"),
                       {"o": vote.chain_head, "n": "f" * 64, "id": event.id})
    db.session.commit()
    runner = app.test_cli_runner()
    chain_check = runner.invoke(args=["audit", "verify"])
    assert chain_check.exit_code == 1 and f"编号 {event.id}" in chain_check.output
    result = verify(app, vote.id)
    assert result.exit_code == 1
    assert f"审计日志 vote.closed 事件：不一致（{'f' * 64}）" in result.output
    assert "审计日志哈希链：在" in result.output and "本表决的 vote.closed 事件处或之前" in result.output


def test_an_open_vote_and_an_unknown_vote_do_not_verify(make, db, app):
    room = live_room(make, db)
    seat(room, db, online=[room.chair, *room.members])
    vote = votes.open_vote(room.chair, room.meeting, kind="secret")
    db.session.commit()
    assert verify(app, vote.id).exit_code == 1
    assert verify(app, 999999).exit_code != 0

"""Votes in a meeting (DESIGN §6): open, the secretary's hall entry, close; the room told after
the commit.

open_vote → cast (`app.votes.casting`) / enter_hall_votes → close_vote. Each changes and flushes;
the caller commits and only then acknowledges (casts are committed many at a time by the group
commit of `app.votes.batch`, each acknowledged after the commit that holds it). Facts reach the room after the commit: `vote_opened`, `vote_progress`
(at most a few a second, counts only), `vote_closed`. In a named vote the hall's entries also go,
as `hall_entered`, to the officers' room alone (`officers_room`): who of the hall has been entered,
never a choice.
"""
import json
import logging
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import bindparam, update

from app.auth.models import User
from app.community.rules import ResidentsBase, RuleError
from app.core import audit
from app.core.db import after_commit
from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db, socketio
from app.meetings import operations as meeting_operations
from app.meetings.models import Attendance, MeetingMember
from app.meetings.live import NAMESPACE, emit_after_commit, households_of, room_version
from app.meetings.workflow import AttendanceMode, MeetingState
from app.votes import chain, sealed
from app.votes.choices import OptionSet
from app.votes.models import Ballot, Vote, VoteParticipation, VoteState
from app.votes.present import progress_view, vote_view
from app.votes.queries import compute_result, frozen, hall_entered, open_vote_of, rule_to_json
from app.votes.rules import Snapshot, VoteKind, check_hall_entry, check_hall_totals, open_words, source_words
from app.votes.signals import vote_closing_in_transaction

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.3
TITLE_MAX = 200


def _electorate(meeting, kind, options):
    """The snapshot: voting members, who is present in the hall and online right now."""
    rule = meeting.body.rule
    eligible = set(db.session.scalars(
        db.select(MeetingMember.user_id).where(MeetingMember.meeting_id == meeting.id,
                                               MeetingMember.is_voting.is_(True))))
    present = db.session.execute(
        db.select(Attendance.user_id, Attendance.mode)
        .where(Attendance.meeting_id == meeting.id, Attendance.left_dt.is_(None))).all()
    hall = {u for u, mode in present if mode is AttendanceMode.HALL and u in eligible}
    online = {u for u, mode in present if mode is AttendanceMode.ONLINE and u in eligible}
    households = None
    if rule.residents_base is ResidentsBase.HOUSEHOLDS:
        # Counted as the room's quorum meter counts them, so the meter and this check agree.
        households = households_of(eligible)
    return rule, Snapshot(kind=kind, eligible=eligible, hall=hall, online=online, options=options,
                          households=households)


def _options(labels, up_to):
    labels = [clean_text(label, 60) for label in (labels or []) if clean_text(label, 60)]
    if not labels:
        return OptionSet.motion()
    if len(labels) < 2:
        raise Refused("options", N_("至少需要两个选项；表决一项动议时请不填选项。"))
    try:
        return OptionSet.choose(labels, up_to)
    except RuleError:
        raise Refused("options", N_("选项须各不相同；“最多选几项”须在 1 到选项数之间。")) from None


def open_vote(actor, meeting, *, title=None, kind="named", labels=None, up_to=1, auto_close=False,
              now=None):
    """The chair opens a vote on the current agenda item, if the quorum is met now."""
    if not meeting.can_chair(actor):
        raise Refused("chair_only", N_("只有主持人可以开始表决。"))
    if meeting.state is not MeetingState.LIVE:
        raise Refused("wrong_state", N_("会议未在进行，不能表决。"))
    item = meeting.current
    if item is None:
        raise Refused("no_item", N_("请先编排议程。"))
    meeting_operations.require_votable(item)   # only what the notice told members they would vote on
    if open_vote_of(meeting) is not None:
        raise Refused("vote_open", N_("上一项表决尚未结束，请先结束它。"))
    try:
        kind = VoteKind(kind)
    except ValueError:
        raise Refused("kind", N_("表决方式只能是记名或无记名。")) from None
    title = clean_text(title or "", TITLE_MAX) or item.title
    options = _options(labels, up_to)
    rule, snapshot = _electorate(meeting, kind, options)
    ok, words = open_words(rule, snapshot)
    if not ok:
        raise Refused("no_quorum", words)
    vote = Vote(meeting_id=meeting.id, item_id=item.id, community_id=meeting.community_id,
                title=title, kind=kind.value, options_json=json.dumps(options.to_dict(), ensure_ascii=False),
                snapshot_json=json.dumps(snapshot.to_dict()), rule_json=rule_to_json(rule),
                state=VoteState.OPEN, auto_close=bool(auto_close), opened_dt=now or utcnow(),
                opened_by_id=actor.id)
    db.session.add(vote)
    db.session.flush()
    audit.record("vote.opened", actor=actor, obj=meeting, vote_id=vote.id, title=title,
                 kind=kind.value, quorum=source_words(words), eligible=len(snapshot.eligible),
                 hall=len(snapshot.hall), online=len(snapshot.online))
    emit_after_commit(meeting.id, "vote_opened", {"vote_id": vote.id, "meeting_id": meeting.id,
                                                   "vote": vote_view(vote)})
    return vote


def _emit(meeting_id, event, data):
    socketio.emit(event, data, namespace=NAMESPACE, to=f"meeting:{meeting_id}")


def officers_room(meeting_id):
    """The room of the sockets that may record (chair, secretary, staff): `join` puts them in it
    besides `meeting:<id>` (app/votes/events.py)."""
    return f"meeting:{meeting_id}:officers"


def member_room(meeting_id, user_id):
    """The sockets of one member in a meeting, for facts meant for them alone (`household_voted`):
    `join` puts every socket in it (app/votes/events.py)."""
    return f"meeting:{meeting_id}:user:{user_id}"


def tell_household(vote, snapshot, voter_id, name):
    """Once the cast is committed, the voter's household mates in the room hear that their
    household has voted and by whom (DESIGN §2: "the others see who did"); never the choice, and
    nobody outside the household."""
    household = snapshot.households[voter_id]
    mates = [u for u, h in snapshot.households.items() if h == household and u != voter_id]
    if not mates:
        return
    data = {"vote_id": vote.id, "meeting_id": vote.meeting_id, "by": name or "", "by_user_id": voter_id}

    def send():
        for mate in mates:
            socketio.emit("household_voted", data, namespace=NAMESPACE, to=member_room(data["meeting_id"], mate))

    after_commit(send)


def _still_open(vote):
    """The vote's state, read under a share lock on PostgreSQL: a close waits for casts in flight,
    and a cast that starts after the close sees it closed (SQLite serialises writers anyway)."""
    state = db.session.execute(db.select(Vote.state).where(Vote.id == vote.id)
                               .with_for_update(read=True)).scalar_one()
    if state != VoteState.OPEN:
        raise Refused("vote_closed", N_("表决已经结束。"))


def enter_hall_votes(actor, vote, *, entries=None, totals=None):
    """The secretary enters the hall: per person for a named vote (`entries`: {user_id: choice}),
    counted paper ballots for a secret one (`totals`, replacing any earlier entry). All or nothing."""
    meeting = vote.meeting
    if not meeting.can_record(actor):
        raise Refused("secretary_only", N_("只有记录员或主持人可以录入会场表决。"))
    _still_open(vote)
    snapshot, _ = frozen(vote)
    if vote.kind == VoteKind.NAMED.value:
        if not isinstance(entries, Mapping) or not entries:
            raise Refused("entries", N_("请逐人录入会场表决。"))
        voted = set(db.session.scalars(db.select(VoteParticipation.user_id)
                                       .where(VoteParticipation.vote_id == vote.id)))
        names = dict(db.session.execute(db.select(User.id, User.name).where(
            User.id.in_(set(snapshot.eligible) or {0}))).all())
        rows = []
        for key, choice in entries.items():
            try:
                user_id = int(key)
            except (TypeError, ValueError):
                raise Refused("entries", N_("成员编号无效。")) from None
            canonical = check_hall_entry(snapshot, user_id, choice, voted, names)
            voted.add(user_id)
            rows.append((user_id, canonical))
        for user_id, canonical in rows:
            receipt = chain.new_receipt()
            household = snapshot.households[user_id] if snapshot.is_household_base else None
            db.session.add(VoteParticipation(vote_id=vote.id, user_id=user_id, household_id=household,
                                             mode="hall", choice=canonical, receipt=receipt))
            db.session.add(Ballot(vote_id=vote.id, receipt=receipt, choice=canonical))
        db.session.flush()
        audit.record("vote.hall_entered", actor=actor, obj=meeting, vote_id=vote.id,
                     entries={str(u): c for u, c in rows})
        if snapshot.is_household_base:
            for user_id, _ in rows:
                tell_household(vote, snapshot, user_id, names.get(user_id))
        # Every officer's screen ticks off whom the hall list still waits for: the whole list,
        # so a message missed or overtaken is made good by the next one.
        entered = {"vote_id": vote.id, "meeting_id": meeting.id, "hall_entered": hall_entered(vote),
                   "version": room_version(meeting.id)}   # for the officers only: raises nothing
        after_commit(lambda: socketio.emit("hall_entered", entered, namespace=NAMESPACE,
                                           to=officers_room(entered["meeting_id"])))
    else:
        parsed = check_hall_totals(snapshot, totals)
        vote.hall_totals_json = json.dumps(parsed.to_dict(snapshot.options))
        audit.record("vote.hall_totals", actor=actor, obj=meeting, vote_id=vote.id,
                     totals=parsed.to_dict(snapshot.options))
    schedule_progress(vote.id)
    return vote


_progress_pending = set()


def schedule_progress(vote_id):
    """At most one `vote_progress` per vote per interval and process, counted when it goes out."""
    app = current_app._get_current_object()

    def queue():
        if vote_id in _progress_pending:
            return
        _progress_pending.add(vote_id)
        socketio.start_background_task(_send_progress, app, vote_id)

    after_commit(queue)


def _send_progress(app, vote_id):
    try:
        socketio.sleep(PROGRESS_INTERVAL)
    finally:
        # Anything committed from here on schedules the next message: the last count is never lost.
        _progress_pending.discard(vote_id)
    with app.app_context():
        try:
            vote = db.session.get(Vote, vote_id)
            if vote is None or not vote.is_open:
                return
            data = progress_view(vote)
            _emit(vote.meeting_id, "vote_progress", {**data, "version": room_version(vote.meeting_id)})
            if vote.auto_close and data["complete"]:
                close_vote(None, vote)
                db.session.commit()
        except Refused:
            db.session.rollback()   # closed meanwhile by the chair or another process
        except Exception:  # noqa: BLE001 - a background task has nobody to answer
            db.session.rollback()
            log.exception("vote progress of %s failed", vote_id)
        finally:
            db.session.remove()


def close_vote(actor, vote, now=None):
    """Close (the chair, or nobody when everyone present has voted and the vote said so), count,
    seal the ballots in the hash chain, store the result with its rule, tell the room and the
    areas above (a matter's stage moves with it, in this same transaction)."""
    meeting = vote.meeting
    if actor is not None and not meeting.can_chair(actor):
        raise Refused("chair_only", N_("只有主持人可以结束表决。"))
    closed = db.session.execute(
        update(Vote).where(Vote.id == vote.id, Vote.state == VoteState.OPEN)
        .values(state=VoteState.CLOSED).execution_options(synchronize_session=False))
    if closed.rowcount != 1:
        raise Refused("vote_closed", N_("表决已经结束。"))
    snapshot, _ = frozen(vote)
    if vote.kind == VoteKind.SECRET.value:
        head = sealed.write_ballots(vote, snapshot)   # the seals opened, the ballots written
        result = compute_result(vote)
    else:
        result = compute_result(vote)
        head = _seal(vote)
    data = {**result.to_dict(), "chain_head": head, "title": vote.title}
    db.session.refresh(vote)
    vote.closed_dt, vote.closed_by_id = now or utcnow(), getattr(actor, "id", None)
    vote.result_json = json.dumps(data, ensure_ascii=False)
    vote.passed, vote.chain_head = result.passed, head
    db.session.flush()
    audit.record("vote.closed", actor=actor, obj=meeting, vote_id=vote.id, passed=result.passed,
                 text=result.text, chain_head=head, auto=actor is None)
    vote_closing_in_transaction.send(vote, meeting=meeting, item=vote.item, result=data, actor=actor)
    emit_after_commit(meeting.id, "vote_closed", {"vote_id": vote.id, "meeting_id": meeting.id, "result": data})
    return vote


def _seal(vote):
    """Write each named ballot's link, in receipt order (a secret vote's ballots are written with
    theirs: `sealed.write_ballots`)."""
    ballots = db.session.execute(db.select(Ballot.receipt, Ballot.choice)
                                 .where(Ballot.vote_id == vote.id)).all()
    links = chain.chain_links(vote.id, ballots)
    if links:
        table = Ballot.__table__
        db.session.execute(table.update().where(table.c.vote_id == vote.id, table.c.receipt == bindparam("r"))
                           .values(chain_hash=bindparam("h")), [{"r": r, "h": h} for r, _, h in links])
    return links[-1][2] if links else chain.genesis(vote.id)


def _refuse_end_while_open(meeting):
    if open_vote_of(meeting) is not None:
        raise Refused("vote_open", N_("还有表决没有结束，请先结束表决再散会。"))


meeting_operations.add_end_check(_refuse_end_while_open)

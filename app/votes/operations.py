"""Vote operations: consultations (民意征集) and votes in a meeting (open, cast, hall, close)."""
import functools
import hashlib
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from cachetools import LRUCache, cached
from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.auth.models import User, UserState
from app.community.operations import load_community
from app.community.rules import Base, BodyRule, ResidentsBase, Threshold
from app.core import audit
from app.core.db import after_commit
from app.core.refusal import Refused
from app.core.notify import notify
from app.core.permissions import require
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db, socketio
from app.meetings import minutes as meeting_minutes
from app.meetings import operations as meeting_operations
from app.meetings import room as meeting_room
from app.meetings.models import Attendance, MeetingMember
from app.meetings.live import NAMESPACE, emit_after_commit, households_of, room_version
from app.meetings.operations import get_meeting
from app.meetings.workflow import AttendanceMode, MeetingState
from app.votes import chain
from app.votes.models import Ballot, Consultation, ConsultationResponse, Vote, VoteParticipation, VoteState
from app.votes.rules import (
    HallTotals, OptionSet, RuleError, Snapshot, VoteKind, can_open, check_cast,
    check_hall_entry, check_hall_totals, tally,
)
from app.votes.rules import progress as rules_progress
from app.votes.signals import vote_closed

log = logging.getLogger(__name__)

MAX_DAYS = 90


def create_consultation(actor, community, *, title, description, labels, up_to, start_dt, end_dt,
                        url_for_item=None):
    """Staff open a poll; every verified resident of the community is told."""
    require(actor.is_staff_of(community), "只有社区工作人员可以发起民意征集。")
    title = clean_text(title, 120)
    labels = [clean_text(label, 60) for label in labels if clean_text(label, 60)]
    problems = []
    if not title:
        problems.append("请填写标题。")
    try:
        options = OptionSet.choose(labels, up_to) if labels else OptionSet.motion()
    except RuleError:
        options = None
        problems.append("选项须各不相同，至少两项；“最多选几项”不能超过选项数。")
    if options is not None and not options.is_motion and len(labels) < 2:
        problems.append("至少需要两个选项；只征求赞成与否时请不填选项。")
    if end_dt <= start_dt:
        problems.append("结束时间必须晚于开始时间。")
    elif end_dt - start_dt > timedelta(days=MAX_DAYS):
        problems.append(f"征集期不能超过 {MAX_DAYS} 天。")
    if end_dt <= utcnow():
        problems.append("结束时间已经过去。")
    if problems:
        raise Refused("invalid_consultation", "".join(problems))
    consultation = Consultation(
        community_id=community.id, title=title, description=description or "",
        options_json=json.dumps(options.to_dict(), ensure_ascii=False),
        start_dt=start_dt, end_dt=end_dt, created_by_id=actor.id)
    db.session.add(consultation)
    audit.record("consultation.created", actor=actor, obj=consultation, title=title,
                 options=options.to_dict())
    residents = User.query.filter_by(community_id=community.id, state=UserState.VERIFIED).all()
    url = url_for_item(consultation) if url_for_item else None
    notify(residents, f"民意征集：{title}，欢迎参与。", url)
    return consultation


def load_consultation(user, consultation_id, community_id=None):
    """The consultation if the user belongs to its community; otherwise (or under another
    community's address) a 404, so one community learns nothing of another's."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or community_id not in (None, consultation.community_id):
        raise Refused("not_found", "找不到该民意征集。")
    load_community(user, consultation.community_id)
    return consultation


def respond(user, consultation, choice, now=None):
    """One answer per resident; the same answer again is acknowledged, a different one refused."""
    community = consultation.community
    if not user.is_resident_of(community):
        raise Refused("not_resident", "只有本社区已认证的居民可以参与民意征集。")
    phase = consultation.phase(now)
    if phase == "upcoming":
        raise Refused("not_open", "民意征集尚未开始。")
    if phase == "closed":
        raise Refused("closed", "民意征集已经结束。")
    try:
        canonical = consultation.options.canonical(choice)
    except Refused as exc:
        raise Refused(exc.code, exc.message) from None
    existing = ConsultationResponse.query.filter_by(consultation_id=consultation.id,
                                                    user_id=user.id).first()
    if existing is not None:
        if existing.choice == canonical:
            return existing, False
        raise Refused("already_answered", "您已经提交过不同的意见，不能更改。")
    response = ConsultationResponse(consultation_id=consultation.id, user_id=user.id, choice=canonical)
    db.session.add(response)
    try:
        # A double tap racing itself: the unique constraint decides, the loser reads the winner.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        existing = ConsultationResponse.query.filter_by(consultation_id=consultation.id,
                                                        user_id=user.id).one()
        if existing.choice != canonical:
            raise Refused("already_answered", "您已经提交过不同的意见，不能更改。") from None
        return existing, False
    audit.record("consultation.answered", actor=user, community_id=community.id,
                 obj=consultation)
    return response, True


@dataclass(frozen=True)
class ConsultationResult:
    counts: list        # [(label, count)] in option order
    answered: int
    blank: int
    eligible: int

    @property
    def turnout_text(self):
        return f"应参与 {self.eligible} 人，实际参与 {self.answered} 人"


def result(consultation):
    options = consultation.options
    counts = {key: 0 for key in options.keys}
    blank = 0
    rows = (db.session.query(ConsultationResponse.choice, func.count())
            .filter(ConsultationResponse.consultation_id == consultation.id)
            .group_by(ConsultationResponse.choice).all())
    answered = 0
    for choice, count in rows:
        answered += count
        normalized = options.normalize(choice)
        if options.is_blank(choice):
            blank += count
        if options.is_motion:
            counts[normalized] += count
        else:
            for key in normalized:
                counts[key] += count
    eligible = User.query.filter_by(community_id=consultation.community_id,
                                    state=UserState.VERIFIED).count()
    return ConsultationResult(counts=[(options.label(k), counts[k]) for k in options.keys],
                              answered=answered, blank=blank, eligible=eligible)


def can_see_result(user, consultation, now=None):
    """Totals are published at the end; while open only staff see them (no bandwagon)."""
    if consultation.phase(now) == "closed":
        return True
    return user is not None and user.is_authenticated and user.is_staff_of(consultation.community)


def answer_of(user, consultation):
    if user is None or not user.is_authenticated:
        return None
    return ConsultationResponse.query.filter_by(consultation_id=consultation.id,
                                                user_id=user.id).first()


# == votes in a meeting (DESIGN §6) ===========================================================
#
# open_vote → cast / enter_hall_votes → close_vote. Each changes and flushes; the caller commits
# and only then acknowledges (for a cast, `cast_online` under the caller's unit of work, retrying a lost race).
# Facts reach the room after the commit: `vote_opened`, `vote_progress` (at most a few a second,
# counts only), `vote_closed`. In a named vote the hall's entries also go, as `hall_entered`, to
# the officers' room alone (`officers_room`): who of the hall has been entered, never a choice.

PROGRESS_INTERVAL = 0.3
TITLE_MAX = 200


def _rule_to_json(rule):
    return json.dumps({
        "quorum": str(rule.quorum), "majority": str(rule.majority),
        "majority_base": rule.majority_base.value, "notice_days": rule.notice_days,
        "residents_base": rule.residents_base.value if rule.residents_base else None,
        "plan_with_notice": rule.plan_with_notice,
    })


def _rule_from_json(text):
    data = json.loads(text)
    return BodyRule(
        quorum=Threshold.parse(data["quorum"]), majority=Threshold.parse(data["majority"]),
        majority_base=Base(data["majority_base"]), notice_days=data["notice_days"],
        residents_base=ResidentsBase(data["residents_base"]) if data["residents_base"] else None,
        plan_with_notice=data["plan_with_notice"])


# cachetools caches are not thread-safe by themselves (the test servers use threads).
_caches_lock = threading.Lock()


# A vote's snapshot and rule never change once it is open: each process parses them once. Keyed
# by the frozen text itself: ids and times can repeat when a database is emptied and filled again
# (tests, a restored backup); the text cannot be stale.
@cached(LRUCache(maxsize=200), key=lambda vote: (vote.id, vote.snapshot_json, vote.rule_json),
        lock=_caches_lock)
def frozen(vote):
    """(Snapshot, BodyRule) of a vote as it opened."""
    return Snapshot.from_dict(json.loads(vote.snapshot_json)), _rule_from_json(vote.rule_json)


def _receipt_key():
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(b"yishi-vote-receipts\0" + str(secret).encode()).digest()


def load_vote(user, vote_id):
    """The vote if the user may see its meeting; otherwise a 404."""
    vote = db.session.get(Vote, vote_id) if isinstance(vote_id, int) and not isinstance(vote_id, bool) else None
    if vote is None:
        raise Refused("not_found", "找不到该表决。")
    get_meeting(user, vote.meeting_id)
    return vote


def votes_of(meeting):
    return Vote.query.filter_by(meeting_id=meeting.id).order_by(Vote.id).all()


def open_vote_of(meeting):
    return Vote.query.filter_by(meeting_id=meeting.id, state=VoteState.OPEN).first()


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
        raise Refused("options", "至少需要两个选项；表决一项动议时请不填选项。")
    try:
        return OptionSet.choose(labels, up_to)
    except RuleError:
        raise Refused("options", "选项须各不相同；“最多选几项”须在 1 到选项数之间。") from None


def open_vote(actor, meeting, *, title=None, kind="named", labels=None, up_to=1, auto_close=False,
              now=None):
    """The chair opens a vote on the current agenda item, if the quorum is met now."""
    if not meeting.can_chair(actor):
        raise Refused("chair_only", "只有主持人可以开始表决。")
    if meeting.state is not MeetingState.LIVE:
        raise Refused("wrong_state", "会议未在进行，不能表决。")
    item = meeting.current
    if item is None:
        raise Refused("no_item", "请先编排议程。")
    meeting_operations.require_votable(item)   # only what the notice told members they would vote on
    if open_vote_of(meeting) is not None:
        raise Refused("vote_open", "上一项表决尚未结束，请先结束它。")
    try:
        kind = VoteKind(kind)
    except ValueError:
        raise Refused("kind", "表决方式只能是记名或无记名。") from None
    title = clean_text(title or "", TITLE_MAX) or item.title
    options = _options(labels, up_to)
    rule, snapshot = _electorate(meeting, kind, options)
    ok, text = can_open(rule, snapshot)
    if not ok:
        raise Refused("no_quorum", text)
    vote = Vote(meeting_id=meeting.id, item_id=item.id, community_id=meeting.community_id,
                title=title, kind=kind.value, options_json=json.dumps(options.to_dict(), ensure_ascii=False),
                snapshot_json=json.dumps(snapshot.to_dict()), rule_json=_rule_to_json(rule),
                state=VoteState.OPEN, auto_close=bool(auto_close), opened_dt=now or utcnow(),
                opened_by_id=actor.id)
    db.session.add(vote)
    db.session.flush()
    audit.record("vote.opened", actor=actor, obj=meeting, vote_id=vote.id, title=title,
                 kind=kind.value, quorum=text, eligible=len(snapshot.eligible),
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


def _tell_household(vote, snapshot, voter_id, name):
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
        raise Refused("vote_closed", "表决已经结束。")


def _household_voted(snapshot, vote, user_id):
    """Who of the voter's household has cast (the only part of `voted` the checks look at)."""
    if not snapshot.is_household_base:
        return set(), {}
    household = snapshot.households[user_id]
    mates = [u for u, h in snapshot.households.items() if h == household and u != user_id]
    voted = set(db.session.scalars(db.select(VoteParticipation.user_id).where(
        VoteParticipation.vote_id == vote.id, VoteParticipation.user_id.in_(mates or [0]))))
    names = dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(voted or {0}))).all())
    return voted, names


def cast(user, vote, choice, nonce, *, locked=False, first_try=False):
    """A member present online casts; returns the receipt. The caller commits, then acknowledges.

    A retry with the same nonce and choice returns the same receipt; anything else from a voter
    who has cast is refused. `locked`: the vote row was read under the share lock in this
    transaction. `first_try`: skip looking for an earlier cast; the unique key catches one.
    """
    if locked:
        if vote.state != VoteState.OPEN:
            raise Refused("vote_closed", "表决已经结束。")
    else:
        _still_open(vote)
    snapshot, _ = frozen(vote)
    if user.id not in snapshot.online:
        check_cast(snapshot, user.id, choice)   # says why: not eligible, in the hall, absent
    nonce = chain.check_nonce(nonce)
    receipt = chain.derive_receipt(_receipt_key(), vote.id, nonce)
    canonical = snapshot.options.canonical(choice)
    if not first_try:
        mine = VoteParticipation.query.filter_by(vote_id=vote.id, user_id=user.id).first()
        if mine is not None:
            return _retry(vote, mine, receipt, canonical)
    voted, names = _household_voted(snapshot, vote, user.id)
    canonical = check_cast(snapshot, user.id, choice, voted, names)
    named = vote.kind == VoteKind.NAMED.value
    household = snapshot.households[user.id] if snapshot.is_household_base else None
    # Two plain inserts: a cast storm is the hottest path of the whole application.
    participation = insert(VoteParticipation.__table__).values(
        vote_id=vote.id, user_id=user.id, household_id=household, mode="online",
        choice=canonical if named else None, receipt=receipt if named else None)
    ballot = insert(Ballot.__table__).values(vote_id=vote.id, receipt=receipt, choice=canonical)
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement, one round trip: PostgreSQL runs a data-modifying WITH even though the
        # outer INSERT does not read it, and a duplicate still fails the whole statement.
        db.session.execute(ballot.add_cte(participation.cte("participation")))
    else:
        db.session.execute(participation)
        db.session.execute(ballot)
    if snapshot.is_household_base:
        _tell_household(vote, snapshot, user.id,
                        db.session.scalar(db.select(User.name).where(User.id == user.id)))
    schedule_progress(vote.id)
    return receipt


def _retry(vote, mine, receipt, canonical):
    if vote.kind == VoteKind.NAMED.value:
        existing = (mine.receipt, mine.choice) if mine.receipt == receipt else None
    else:
        ballot = db.session.get(Ballot, (vote.id, receipt))
        existing = (ballot.receipt, ballot.choice) if ballot is not None else None
    return chain.retry_receipt(existing, canonical)


def _load_for_cast(user, vote_id):
    """The vote under the share lock; a 404 for anyone who may not see its meeting. A voter in
    the snapshot is a member of the meeting, so the meeting need not be loaded for them."""
    vote = db.session.get(Vote, vote_id, with_for_update={"read": True}) \
        if isinstance(vote_id, int) and not isinstance(vote_id, bool) else None
    if vote is None:
        raise Refused("not_found", "找不到该表决。")
    if user.id not in frozen(vote)[0].eligible:
        get_meeting(db.session.get(User, user.id), vote.meeting_id)
    return vote


class Voter:
    """Who casts, by id alone: a cast needs no more of the account than that (the snapshot holds
    the electorate), which spares the hottest path a query."""

    def __init__(self, user_id):
        self.id = user_id


# What a cast needs of an open vote that never changes while it is open, per process: vote id ->
# (opened_dt, snapshot, kind). Filled by the full path; used by `_cast_in_one_statement`.
_open_votes = LRUCache(maxsize=200)


def _remember_open(vote):
    if vote.state == VoteState.OPEN:
        known = (vote.opened_dt, frozen(vote)[0], vote.kind)
        with _caches_lock:
            _open_votes[vote.id] = known


@functools.cache
def _one_statement_cast():
    """INSERT the participation and the ballot only if the vote is still open (read under the
    same share lock as `_still_open`) and is still the vote this process knows (its opening time):
    one statement, one round trip, no vote row loaded."""
    votes, participations = Vote.__table__, VoteParticipation.__table__
    open_vote = (db.select(votes.c.id).where(votes.c.id == bindparam("vote_id"),
                                             votes.c.state == VoteState.OPEN,
                                             votes.c.opened_dt == bindparam("opened_dt"))
                 .with_for_update(read=True).cte("open_vote"))
    participation = insert(participations).from_select(
        ["vote_id", "user_id", "household_id", "mode", "choice", "receipt"],
        db.select(open_vote.c.id, bindparam("user_id", type_=db.Integer),
                  db.cast(bindparam("household_id"), db.Integer), db.literal("online"),
                  db.cast(bindparam("p_choice"), db.String), db.cast(bindparam("p_receipt"), db.String)),
    ).returning(participations.c.vote_id).cte("participation")
    return insert(Ballot.__table__).from_select(
        ["vote_id", "receipt", "choice"],
        db.select(participation.c.vote_id, db.cast(bindparam("receipt"), db.String),
                  db.cast(bindparam("choice"), db.String)))


def _cast_in_one_statement(user, vote_id, choice, nonce):
    """The common cast on PostgreSQL, as a first try: an online voter of an open vote this process
    has seen. Returns the receipt, or None when the full path must decide (any refusal, a vote not
    yet seen here, closed or replaced since): that path then says why."""
    with _caches_lock:
        known = _open_votes.get(vote_id)
    if known is None or db.session.get_bind().dialect.name != "postgresql":
        return None
    opened_dt, snapshot, kind = known
    if user.id not in snapshot.online or snapshot.is_household_base:
        return None
    try:
        nonce = chain.check_nonce(nonce)
        canonical = check_cast(snapshot, user.id, choice)
    except Refused:
        return None
    receipt = chain.derive_receipt(_receipt_key(), vote_id, nonce)
    named = kind == VoteKind.NAMED.value
    inserted = db.session.execute(_one_statement_cast(), {
        "vote_id": vote_id, "opened_dt": opened_dt, "user_id": user.id, "household_id": None,
        "p_choice": canonical if named else None, "p_receipt": receipt if named else None,
        "receipt": receipt, "choice": canonical}).rowcount
    if inserted != 1:
        with _caches_lock:
            _open_votes.pop(vote_id, None)
        return None
    schedule_progress(vote_id)
    return receipt


CAST_RACES = (IntegrityError, OperationalError)


def cast_online(user, vote_id, choice, nonce, attempt=0):
    """One try at an online cast, for the caller's unit of work (`core.db.unit_of_work` with
    `retry_on=CAST_RACES`), which acknowledges with the receipt only once it is committed.

    `user` is a User or a `Voter`. The first try inserts straight away (on PostgreSQL in one
    statement once this process knows the vote). Two casts of one voter (a double tap, a retry over
    a second connection) race on the participation's unique key; the loser rolls back and tries
    again, now finding the winner's ballot. SQLite may also refuse a writer whose snapshot went
    stale; that is retried the same way.
    """
    receipt = _cast_in_one_statement(user, vote_id, choice, nonce) if attempt == 0 else None
    if receipt is None:
        vote = _load_for_cast(user, vote_id)
        receipt = cast(user, vote, choice, nonce, locked=True, first_try=attempt == 0)
        _remember_open(vote)
    return receipt


def enter_hall_votes(actor, vote, *, entries=None, totals=None):
    """The secretary enters the hall: per person for a named vote (`entries`: {user_id: choice}),
    counted paper ballots for a secret one (`totals`, replacing any earlier entry). All or nothing."""
    meeting = vote.meeting
    if not meeting.can_record(actor):
        raise Refused("secretary_only", "只有记录员或主持人可以录入会场表决。")
    _still_open(vote)
    snapshot, _ = frozen(vote)
    if vote.kind == VoteKind.NAMED.value:
        if not isinstance(entries, Mapping) or not entries:
            raise Refused("entries", "请逐人录入会场表决。")
        voted = set(db.session.scalars(db.select(VoteParticipation.user_id)
                                       .where(VoteParticipation.vote_id == vote.id)))
        names = dict(db.session.execute(db.select(User.id, User.name).where(
            User.id.in_(set(snapshot.eligible) or {0}))).all())
        rows = []
        for key, choice in entries.items():
            try:
                user_id = int(key)
            except (TypeError, ValueError):
                raise Refused("entries", "成员编号无效。") from None
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
                _tell_household(vote, snapshot, user_id, names.get(user_id))
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


def counts(vote):
    """(cast, present) in the vote's unit: what `vote_progress` shows, never the choices."""
    snapshot, _ = frozen(vote)
    cast_count = db.session.scalar(db.select(func.count(VoteParticipation.id))
                                   .where(VoteParticipation.vote_id == vote.id))
    if vote.hall_totals_json:
        cast_count += json_totals_ballots(vote, snapshot)
    return cast_count, snapshot.present_count


def json_totals_ballots(vote, snapshot):
    return HallTotals.parse(snapshot.options, json.loads(vote.hall_totals_json)).ballots


def hall_entered(vote):
    """The ids of the hall members entered so far in a named vote (for the officers only)."""
    return sorted(db.session.scalars(db.select(VoteParticipation.user_id).where(
        VoteParticipation.vote_id == vote.id, VoteParticipation.mode == "hall")))


def progress_view(vote):
    cast_count, present = counts(vote)
    return {"vote_id": vote.id, "meeting_id": vote.meeting_id,
            **rules_progress(min(cast_count, present), present).to_dict()}


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


def _ballots_for_tally(vote, snapshot):
    if vote.kind == VoteKind.NAMED.value:
        rows = db.session.execute(db.select(VoteParticipation.user_id, VoteParticipation.mode,
                                            VoteParticipation.choice)
                                  .where(VoteParticipation.vote_id == vote.id)
                                  .order_by(VoteParticipation.id)).all()
        online = {u: c for u, mode, c in rows if mode == "online"}
        hall = {u: c for u, mode, c in rows if mode == "hall"}
        return online, hall
    online = list(db.session.scalars(db.select(Ballot.choice).where(
        Ballot.vote_id == vote.id, Ballot.receipt != chain.HALL_RECEIPT)))
    totals = json.loads(vote.hall_totals_json) if vote.hall_totals_json else None
    return online, totals


def compute_result(vote):
    """The tally of the stored ballots under the frozen snapshot and rule."""
    snapshot, rule = frozen(vote)
    online, hall = _ballots_for_tally(vote, snapshot)
    return tally(rule, snapshot, online, hall)


def close_vote(actor, vote, now=None):
    """Close (the chair, or nobody when everyone present has voted and the vote said so), count,
    seal the ballots in the hash chain, store the result with its rule, tell the room and the
    areas above (a matter's stage moves with it, in this same transaction)."""
    meeting = vote.meeting
    if actor is not None and not meeting.can_chair(actor):
        raise Refused("chair_only", "只有主持人可以结束表决。")
    closed = db.session.execute(
        update(Vote).where(Vote.id == vote.id, Vote.state == VoteState.OPEN)
        .values(state=VoteState.CLOSED).execution_options(synchronize_session=False))
    if closed.rowcount != 1:
        raise Refused("vote_closed", "表决已经结束。")
    snapshot, rule = frozen(vote)
    result = compute_result(vote)
    if vote.kind == VoteKind.SECRET.value and vote.hall_totals_json:
        totals = HallTotals.parse(snapshot.options, json.loads(vote.hall_totals_json))
        db.session.add(Ballot(vote_id=vote.id, receipt=chain.HALL_RECEIPT, choice=totals.canonical()))
        db.session.flush()
    head = _seal(vote)
    data = {**result.to_dict(), "chain_head": head, "title": vote.title}
    db.session.refresh(vote)
    vote.closed_dt, vote.closed_by_id = now or utcnow(), getattr(actor, "id", None)
    vote.result_json = json.dumps(data, ensure_ascii=False)
    vote.passed, vote.chain_head = result.passed, head
    db.session.flush()
    audit.record("vote.closed", actor=actor, obj=meeting, vote_id=vote.id, passed=result.passed,
                 text=result.text, chain_head=head, auto=actor is None)
    vote_closed.send(vote, meeting=meeting, item=vote.item, result=data, actor=actor)
    emit_after_commit(meeting.id, "vote_closed", {"vote_id": vote.id, "meeting_id": meeting.id, "result": data})
    return vote


def _seal(vote):
    """Write each ballot's link, in receipt order; on PostgreSQL a secret vote's rows are also
    rewritten in that order, so not even the table's physical order follows arrival."""
    ballots = db.session.execute(db.select(Ballot.receipt, Ballot.choice)
                                 .where(Ballot.vote_id == vote.id)).all()
    links = chain.chain_links(vote.id, ballots)
    if vote.kind == VoteKind.SECRET.value and db.engine.dialect.name != "sqlite":
        db.session.execute(delete(Ballot).where(Ballot.vote_id == vote.id))
        db.session.execute(insert(Ballot.__table__), [
            {"vote_id": vote.id, "receipt": r, "choice": c, "chain_hash": h} for r, c, h in links])
    elif links:
        table = Ballot.__table__
        db.session.execute(table.update().where(table.c.vote_id == vote.id, table.c.receipt == bindparam("r"))
                           .values(chain_hash=bindparam("h")), [{"r": r, "h": h} for r, _, h in links])
    return links[-1][2] if links else chain.genesis(vote.id)


def receipts(vote):
    """After the close: every receipt with its choice, in chain order, for voters to find theirs."""
    if vote.is_open:
        raise Refused("vote_open", "表决结束后才公布回执码。")
    rows = db.session.execute(db.select(Ballot.receipt, Ballot.choice, Ballot.chain_hash)
                              .where(Ballot.vote_id == vote.id)).all()
    return [{"receipt": r, "choice": c, "chain_hash": h} for r, c, h in chain.canonical_order(rows)]


def verify(vote):
    """Recompute the chain and the tally from what is stored: (ok, lines of findings)."""
    if vote.is_open or not vote.result_json:
        return False, [f"表决 {vote.id} 尚未结束。"]
    rows = db.session.execute(db.select(Ballot.receipt, Ballot.choice, Ballot.chain_hash)
                              .where(Ballot.vote_id == vote.id)).all()
    findings = []
    chain_ok, bad = chain.verify_chain(vote.id, rows, vote.chain_head)
    findings.append(f"哈希链：{'一致' if chain_ok else f'不一致（第 {bad + 1} 张选票起）'}，链头 {vote.chain_head}")
    stored = vote.result
    try:
        again = compute_result(vote).to_dict()
        same = all(again[k] == stored.get(k) for k in ("counts", "cast", "present", "members", "passed",
                                                       "elected", "text"))
    except (Refused, RuleError) as exc:
        same = False
        findings.append(f"重新计票失败：{exc}")
    findings.append(f"重新计票：{'与公布结果一致' if same else '与公布结果不一致'}")
    snapshot, _ = frozen(vote)
    if vote.kind == VoteKind.SECRET.value:
        online_ballots = sum(1 for r in rows if r[0] != chain.HALL_RECEIPT)
        online_people = db.session.scalar(db.select(func.count(VoteParticipation.id)).where(
            VoteParticipation.vote_id == vote.id, VoteParticipation.mode == "online"))
        matches = online_ballots == online_people
        findings.append(f"在线选票 {online_ballots} 张，在线投票记录 {online_people} 条："
                        f"{'相符' if matches else '不符'}")
        same = same and matches
    return chain_ok and same, findings


# -- what screens show ----------------------------------------------------------------------

def _options_view(options):
    return [{"key": key, "label": options.label(key)} for key in options.keys]


def vote_view(vote, user=None):
    """A vote for the room and the API: counts only while open; the result once closed."""
    snapshot, rule = frozen(vote)
    options = snapshot.options
    data = {
        "id": vote.id, "meeting_id": vote.meeting_id, "item_id": vote.item_id, "title": vote.title,
        "kind": vote.kind, "kind_label": VoteKind(vote.kind).label, "state": vote.state,
        "options": {**options.to_dict(), "choices": _options_view(options)},
        "auto_close": vote.auto_close, "opened_dt": _iso(vote.opened_dt), "closed_dt": _iso(vote.closed_dt),
        "unit": snapshot.unit, "eligible": snapshot.members_count,
        "hall_present": snapshot.hall_count, "online_present": snapshot.online_count,
        "progress": progress_view(vote),
        "result": vote.result, "chain_head": vote.chain_head,
        "receipts_url": f"/votes/{vote.id}/receipts",
    }
    if user is not None:
        mine = VoteParticipation.query.filter_by(vote_id=vote.id, user_id=user.id).first()
        data["me"] = {
            "eligible": user.id in snapshot.eligible,
            "where": "hall" if user.id in snapshot.hall else "online" if user.id in snapshot.online else None,
            "voted": mine is not None,
            "can_cast": vote.is_open and mine is None and user.id in snapshot.online,
            # A secret ballot's receipt is known only to the voter's device; a named one is public.
            "receipt": mine.receipt if mine is not None else None,
            "choice": mine.choice if mine is not None else None,
        }
        if vote.kind == VoteKind.NAMED.value and vote.is_open and vote.meeting.can_record(user):
            data["hall_entered"] = sorted(db.session.scalars(db.select(VoteParticipation.user_id).where(
                VoteParticipation.vote_id == vote.id, VoteParticipation.mode == "hall")))
        if vote.kind == VoteKind.SECRET.value and vote.meeting.can_record(user):
            data["hall_totals"] = json.loads(vote.hall_totals_json) if vote.hall_totals_json else None
        if vote.kind == VoteKind.SECRET.value and snapshot.is_household_base:
            data["me"]["can_cast"] = data["me"]["can_cast"] and \
                snapshot.households[user.id] not in snapshot.hall_households()
        if snapshot.is_household_base and vote.is_open and mine is None and user.id in snapshot.eligible:
            # Another adult of the household has cast for it: the screen says who, without a tap.
            voted, names = _household_voted(snapshot, vote, user.id)
            if voted:
                by = min(voted)
                data["me"]["household_voted"] = {"by": names.get(by, ""), "by_user_id": by}
                data["me"]["can_cast"] = False
    return data


def _iso(dt):
    return dt.isoformat() + "Z" if dt else None


def named_choices(vote):
    """Who chose what in a named vote, for the minutes: [(name, mode, label)]."""
    snapshot, _ = frozen(vote)
    rows = db.session.execute(db.select(User.name, VoteParticipation.mode, VoteParticipation.choice)
                              .join(User, User.id == VoteParticipation.user_id)
                              .where(VoteParticipation.vote_id == vote.id)
                              .order_by(VoteParticipation.id)).all()
    return [(name, mode, _choice_label(snapshot.options, choice)) for name, mode, choice in rows]


def choice_text(options, canonical):
    """A stored choice in words; the hall's sealed paper totals as they were entered."""
    totals = HallTotals.from_canonical(canonical)
    if totals is not None:
        return totals.words(options)
    return _choice_label(options, canonical)


def _choice_label(options, canonical):
    normalized = options.normalize(canonical)
    if options.is_motion:
        return options.label(normalized)
    return "、".join(options.label(i) for i in normalized) or "空白"


def minutes_lines(meeting):
    """The 表决 section of the minutes: every closed vote with its numbers and rule in words."""
    lines = []
    for vote in votes_of(meeting):
        lines.append(f"### 表决：{vote.title}（{VoteKind(vote.kind).label}）")
        if vote.is_open:
            lines.append("- 表决尚未结束")
            continue
        result = vote.result
        lines.append(f"- 结果：{result['text']}")
        lines.append(f"- 计票规则：法定人数 {result['rule']['quorum']}，通过 {result['rule']['majority']}"
                     f"（以{'应到' if result['rule']['majority_base'] == 'members' else '实到'}为基数）")
        lines.append(f"- 选票哈希链头：`{vote.chain_head}`（回执码公示：/votes/{vote.id}/receipts）")
        if vote.kind == VoteKind.NAMED.value:
            for name, mode, label in named_choices(vote):
                lines.append(f"  - {name}（{'现场' if mode == 'hall' else '线上'}）：{label}")
        lines.append("")
    return lines


def room_votes(meeting, user):
    """The `votes` key of the room's state: every vote of the meeting as this user sees it."""
    return [vote_view(vote, user) for vote in votes_of(meeting)]


def _refuse_end_while_open(meeting):
    if open_vote_of(meeting) is not None:
        raise Refused("vote_open", "还有表决没有结束，请先结束表决再散会。")


meeting_operations.add_end_check(_refuse_end_while_open)
meeting_room.add_state_part(lambda meeting, user, data: data.update(votes=room_votes(meeting, user)))
meeting_minutes.add_section(minutes_lines)

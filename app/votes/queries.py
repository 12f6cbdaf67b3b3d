"""Reading meeting votes: the loader, a vote's frozen snapshot and rule, who has cast, the count.

Everything here reads; `operations` (open, hall entry, close), `casting` (online casts) and
`present` (what screens and the minutes show) build on it.
"""
import json
import threading

from cachetools import LRUCache, cached
from sqlalchemy import func

from app.auth.models import User
from app.community.rules import Base, BodyRule, ResidentsBase, Threshold
from app.core.i18n import N_
from app.core.refusal import Refused
from app.extensions import db
from app.meetings.operations import get_meeting
from app.votes import chain
from app.votes.choices import HallTotals
from app.votes.models import Ballot, Vote, VoteParticipation, VoteState
from app.votes.rules import Snapshot, VoteKind, tally


def rule_to_json(rule):
    return json.dumps({
        "quorum": str(rule.quorum), "majority": str(rule.majority),
        "majority_base": rule.majority_base.value, "notice_days": rule.notice_days,
        "residents_base": rule.residents_base.value if rule.residents_base else None,
        "plan_with_notice": rule.plan_with_notice,
    })


def rule_from_json(text):
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
    return Snapshot.from_dict(json.loads(vote.snapshot_json)), rule_from_json(vote.rule_json)


def vote_or_404(vote_id, **options):
    """The vote row by id (`options` as for `Session.get`, e.g. a share lock), or a 404."""
    vote = db.session.get(Vote, vote_id, **options) \
        if isinstance(vote_id, int) and not isinstance(vote_id, bool) else None
    if vote is None:
        raise Refused("not_found", N_("找不到该表决。"))
    return vote


def get_vote(user, vote_id, *, public=False):
    """The vote if the user may see its meeting; otherwise a 404. `public`: for what anyone may
    see of any vote, its receipts published at the close, so no account is asked for."""
    vote = vote_or_404(vote_id)
    if not public:
        get_meeting(user, vote.meeting_id)
    return vote


def votes_of(meeting):
    return Vote.query.filter_by(meeting_id=meeting.id).order_by(Vote.id).all()


def prefetch_views(votes, user=None):
    """For a list of votes shown whole (the API's): read what `counts` and `present.vote_view`
    would otherwise ask once per vote (how many have cast, the user's own participation) in two
    queries. Each is used once, by the next `counts` / `vote_view` of that vote, so a later change
    in the same session is never hidden behind it."""
    ids = [v.id for v in votes]
    if not ids:
        return votes
    cast = dict(db.session.execute(db.select(VoteParticipation.vote_id, func.count(VoteParticipation.user_id))
                                   .where(VoteParticipation.vote_id.in_(ids))
                                   .group_by(VoteParticipation.vote_id)).all())
    mine = {}
    if user is not None:
        mine = {p.vote_id: p for p in VoteParticipation.query.filter(
            VoteParticipation.vote_id.in_(ids), VoteParticipation.user_id == user.id)}
    for vote in votes:
        vote.__dict__["_cast_count"] = cast.get(vote.id, 0)
        if user is not None:
            vote.__dict__["_mine"] = (user.id, mine.get(vote.id))
    return votes


def open_vote_of(meeting):
    return Vote.query.filter_by(meeting_id=meeting.id, state=VoteState.OPEN).first()


def household_voted(snapshot, vote, user_id):
    """Who of the voter's household has cast (the only part of `voted` the checks look at)."""
    if not snapshot.is_household_base or user_id not in snapshot.eligible:
        return set(), {}   # not a voter: the cast checks refuse them before any household
    household = snapshot.households[user_id]
    mates = [u for u, h in snapshot.households.items() if h == household and u != user_id]
    voted = set(db.session.scalars(db.select(VoteParticipation.user_id).where(
        VoteParticipation.vote_id == vote.id, VoteParticipation.user_id.in_(mates or [0]))))
    names = dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(voted or {0}))).all())
    return voted, names


def hall_entered(vote):
    """The ids of the hall members entered so far in a named vote (for the officers only)."""
    return sorted(db.session.scalars(db.select(VoteParticipation.user_id).where(
        VoteParticipation.vote_id == vote.id, VoteParticipation.mode == "hall")))


def counts(vote):
    """(cast, present) in the vote's unit: what `vote_progress` shows, never the choices."""
    snapshot, _ = frozen(vote)
    cast_count = vote.__dict__.pop("_cast_count", None)   # prefetch_views, for a list
    if cast_count is None:
        cast_count = db.session.scalar(db.select(func.count()).select_from(VoteParticipation)
                                       .where(VoteParticipation.vote_id == vote.id))
    if vote.hall_totals_json:
        cast_count += json_totals_ballots(vote, snapshot)
    return cast_count, snapshot.present_count


def json_totals_ballots(vote, snapshot):
    return HallTotals.parse(snapshot.options, json.loads(vote.hall_totals_json)).ballots


def _ballots_for_tally(vote, snapshot):
    if vote.kind == VoteKind.NAMED.value:
        rows = db.session.execute(db.select(VoteParticipation.user_id, VoteParticipation.mode,
                                            VoteParticipation.choice)
                                  .where(VoteParticipation.vote_id == vote.id)
                                  .order_by(VoteParticipation.user_id)).all()
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

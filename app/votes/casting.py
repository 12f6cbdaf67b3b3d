"""Online casts: `cast_in`, one cast in an open transaction (the room and the API reach it through
the group commit of `app.votes.batch`), and `cast_online`, one cast in its own unit of work.

A cast is judged by the pure `app.votes.rules.prepare_cast` (who may cast, the nonce, the canonical
choice, the receipt) against the vote read under a share lock, the voter's earlier cast (a retry)
and the household's casts.

A named vote's cast writes the participation (with choice and receipt) and the ballot. A secret
vote's cast writes the participation alone, its ballot sealed in it under the vote's key
(app/votes/seal.py): no plaintext ballot exists before the close.
"""
import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, OperationalError

from app.auth.models import User
from app.core.i18n import N_
from app.core.refusal import Refused
from app.extensions import db
from app.meetings.operations import get_meeting
from app.votes import chain, seal
from app.votes.sealed import vote_key
from app.votes.models import Ballot, Vote, VoteParticipation, VoteState
from app.votes.operations import schedule_progress, tell_household
from app.votes.queries import frozen, household_voted
from app.votes.rules import VoteKind, prepare_cast

CAST_RACES = (IntegrityError, OperationalError)


class Voter:
    """Who casts, by id alone: a cast needs no more of the account than that (the snapshot holds
    the electorate), which spares the hottest path a query."""

    def __init__(self, user_id):
        self.id = user_id


def cast_online(user, vote_id, choice, nonce, attempt=0):
    """One try at an online cast, for the caller's unit of work (`core.db.unit_of_work` with
    `retry_on=CAST_RACES`), which acknowledges with the receipt only once it is committed.
    (The room and the API cast through `app.votes.batch`, which calls `cast_in` for each.)"""
    return cast_in(user, load_for_cast([vote_id]).get(vote_id), vote_id, choice, nonce, attempt)


def load_for_cast(vote_ids):
    """{id: vote} of those votes, read under a share lock that lasts to the commit: a close waits
    for the casts in flight, and a cast that starts after the close sees it closed."""
    ids = sorted({v for v in vote_ids if isinstance(v, int) and not isinstance(v, bool)})
    if not ids:
        return {}
    votes = db.session.scalars(db.select(Vote).where(Vote.id.in_(ids)).with_for_update(read=True)
                               .execution_options(populate_existing=True))
    return {vote.id: vote for vote in votes}


def cast_in(user, vote, vote_id, choice, nonce, attempt=0):
    """A cast of `user` (a User or a `Voter`) in `vote` (from `load_for_cast`, None when there is
    none), in the open transaction; returns the receipt.

    The first try inserts straight away. Two casts of one voter (a double tap, a retry over a
    second connection) race on the participation's unique key; the loser rolls back and tries
    again (`attempt` > 0), now finding the winner's ballot. A retry with the same nonce and choice
    returns the same receipt; anything else from a voter who has cast is refused.
    """
    judged = judge(user, vote, vote_id, choice, nonce)
    if attempt > 0:
        mine = VoteParticipation.query.filter_by(vote_id=vote.id, user_id=user.id).first()
        if mine is not None:
            return _retry(vote, mine, judged.prepared, judged.key)
    store([judged])
    announce([judged])
    return judged.receipt


@dataclass(frozen=True, slots=True)
class Judged:
    """A cast that passed every check, ready to store: the vote, the voter, the prepared ballot
    and the key it was prepared with."""
    vote: Vote
    snapshot: object
    voter_id: int
    prepared: object
    key: bytes

    @property
    def receipt(self):
        return self.prepared.receipt


def judge(user, vote, vote_id, choice, nonce):
    """Every check of a cast that is not a retry, against `vote` read under the share lock in
    this transaction: a `Judged`, or a `Refused` raised."""
    if vote is None:
        raise Refused("not_found", N_("找不到该表决。"))
    snapshot, _ = frozen(vote)
    if user.id not in snapshot.eligible:
        # A voter in the snapshot is a member of the meeting; anyone else may not even see it.
        get_meeting(db.session.get(User, user.id), vote.meeting_id)
    if vote.state != VoteState.OPEN:
        raise Refused("vote_closed", N_("表决已经结束。"))
    voted, names = household_voted(snapshot, vote, user.id)
    key = _key_for(snapshot, vote.id)
    prepared = prepare_cast(snapshot, vote.id, user.id, choice, nonce, key, voted, names)
    return Judged(vote, snapshot, user.id, prepared, key)


# Plain inserts, many rows per statement: a cast storm is the hottest path of the application.
_PARTICIPATIONS = insert(VoteParticipation.__table__)
_BALLOTS = insert(Ballot.__table__)


def store(casts):
    """Insert the judged casts: each participation (a secret vote's ballot sealed in it), and a
    named vote's ballots. A voter or household that has cast already fails the whole statement
    on its unique key (IntegrityError): the caller's savepoint takes it back."""
    if not casts:
        return
    db.session.execute(_PARTICIPATIONS, [
        {"vote_id": c.vote.id, "user_id": c.voter_id, "household_id": c.prepared.household,
         "mode": "online", **_stored(c.vote.id, c.voter_id, c.prepared, c.key)} for c in casts])
    ballots = [{"vote_id": c.vote.id, "receipt": c.receipt, "choice": c.prepared.choice}
               for c in casts if c.prepared.named]
    if ballots:
        db.session.execute(_BALLOTS, ballots)


def announce(casts):
    """After the commit: a household's mates hear who cast for it; the room's count, once per vote."""
    for cast in casts:
        if cast.snapshot.is_household_base:
            tell_household(cast.vote, cast.snapshot, cast.voter_id,
                           db.session.scalar(db.select(User.name).where(User.id == cast.voter_id)))
    for vote_id in dict.fromkeys(cast.vote.id for cast in casts):
        schedule_progress(vote_id)


def _receipt_key():
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(b"yishi-vote-receipts\0" + str(secret).encode()).digest()


def _key_for(snapshot, vote_id):
    return vote_key(vote_id) if snapshot.kind is VoteKind.SECRET else _receipt_key()


def _stored(vote_id, voter_id, prepared, key):
    """What the participation keeps of the ballot: a named vote's choice and receipt in clear, a
    secret vote's only sealed."""
    if prepared.named:
        return {"choice": prepared.choice, "receipt": prepared.receipt, "sealed": None}
    return {"choice": None, "receipt": None,
            "sealed": seal.seal(key, vote_id, voter_id, prepared.receipt, prepared.choice)}


def _retry(vote, mine, prepared, key):
    """The voter's own ballot, if the retry's nonce points to it (same receipt)."""
    if vote.kind == VoteKind.NAMED.value:
        stored = (mine.receipt, mine.choice)
    elif mine.sealed is not None:
        stored = seal.open_seal(key, vote.id, mine.user_id, mine.sealed)
    else:
        stored = None
    existing = stored if stored is not None and stored[0] == prepared.receipt else None
    return chain.retry_receipt(existing, prepared.choice)

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

from flask import current_app
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, OperationalError

from app.auth.models import User
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
    if vote is None:
        raise Refused("not_found", "找不到该表决。")
    if user.id not in frozen(vote)[0].eligible:
        # A voter in the snapshot is a member of the meeting; anyone else may not even see it.
        get_meeting(db.session.get(User, user.id), vote.meeting_id)
    return _cast(user, vote, choice, nonce, first_try=attempt == 0)


def _receipt_key():
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(b"yishi-vote-receipts\0" + str(secret).encode()).digest()


def _key_for(snapshot, vote_id):
    return vote_key(vote_id) if snapshot.kind is VoteKind.SECRET else _receipt_key()


# -- the full path ---------------------------------------------------------------------------

def _cast(user, vote, choice, nonce, *, first_try=False):
    """A member present online casts in `vote`, read under the share lock in this transaction;
    returns the receipt. `first_try`: skip looking for an earlier cast; the unique key catches one.
    """
    if vote.state != VoteState.OPEN:
        raise Refused("vote_closed", "表决已经结束。")
    snapshot, _ = frozen(vote)
    voted, names = household_voted(snapshot, vote, user.id)
    key = _key_for(snapshot, vote.id)
    prepared = prepare_cast(snapshot, vote.id, user.id, choice, nonce, key, voted, names)
    if not first_try:
        mine = VoteParticipation.query.filter_by(vote_id=vote.id, user_id=user.id).first()
        if mine is not None:
            return _retry(vote, mine, prepared, key)
    # Plain inserts: a cast storm is the hottest path of the whole application.
    participation = insert(VoteParticipation.__table__).values(
        vote_id=vote.id, user_id=user.id, household_id=prepared.household, mode="online",
        **_stored(vote.id, user.id, prepared, key))
    if not prepared.named:
        db.session.execute(participation)   # the ballot is sealed in it: no ballot row yet
    elif db.session.get_bind().dialect.name == "postgresql":
        # One statement, one round trip: PostgreSQL runs a data-modifying WITH even though the
        # outer INSERT does not read it, and a duplicate still fails the whole statement.
        ballot = insert(Ballot.__table__).values(vote_id=vote.id, receipt=prepared.receipt,
                                                 choice=prepared.choice)
        db.session.execute(ballot.add_cte(participation.cte("participation")))
    else:
        db.session.execute(participation)
        db.session.execute(insert(Ballot.__table__).values(vote_id=vote.id, receipt=prepared.receipt,
                                                           choice=prepared.choice))
    if snapshot.is_household_base:
        tell_household(vote, snapshot, user.id,
                       db.session.scalar(db.select(User.name).where(User.id == user.id)))
    schedule_progress(vote.id)
    return prepared.receipt


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

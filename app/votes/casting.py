"""Online casts: `cast_online`, the one entry the room and the API call, and its fast variant.

Both paths judge a cast with the pure `app.votes.rules.prepare_cast` (who may cast, the nonce, the
canonical choice, the receipt) and differ only in how they store it: the fast variant inserts in
one statement on PostgreSQL for a vote this process already knows; the full path loads the vote
under a share lock, finds an earlier cast of the voter (a retry) and the household's casts.

A named vote's cast writes the participation (with choice and receipt) and the ballot. A secret
vote's cast writes the participation alone, its ballot sealed in it under the vote's key
(app/votes/seal.py): no plaintext ballot exists before the close.
"""
import functools
import hashlib
import threading

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import bindparam, insert
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
from app.votes.queries import frozen, household_voted, vote_or_404
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

    `user` is a User or a `Voter`. The first try inserts straight away (on PostgreSQL in one
    statement once this process knows the vote). Two casts of one voter (a double tap, a retry over
    a second connection) race on the participation's unique key; the loser rolls back and tries
    again, now finding the winner's ballot. SQLite may also refuse a writer whose snapshot went
    stale; that is retried the same way.

    A retry with the same nonce and choice returns the same receipt; anything else from a voter
    who has cast is refused.
    """
    receipt = _cast_in_one_statement(user, vote_id, choice, nonce) if attempt == 0 else None
    if receipt is None:
        vote = _load_for_cast(user, vote_id)
        receipt = _cast(user, vote, choice, nonce, first_try=attempt == 0)
        _remember_open(vote)
    return receipt


def _receipt_key():
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(b"yishi-vote-receipts\0" + str(secret).encode()).digest()


def _key_for(snapshot, vote_id):
    return vote_key(vote_id) if snapshot.kind is VoteKind.SECRET else _receipt_key()


# -- the full path ---------------------------------------------------------------------------

def _load_for_cast(user, vote_id):
    """The vote under the share lock; a 404 for anyone who may not see its meeting. A voter in
    the snapshot is a member of the meeting, so the meeting need not be loaded for them."""
    vote = vote_or_404(vote_id, with_for_update={"read": True})
    if user.id not in frozen(vote)[0].eligible:
        get_meeting(db.session.get(User, user.id), vote.meeting_id)
    return vote


def _cast(user, vote, choice, nonce, *, first_try=False):
    """A member present online casts in `vote`, read under the share lock in this transaction;
    returns the receipt. `first_try`: skip looking for an earlier cast; the unique key catches one.
    """
    if vote.state != VoteState.OPEN:
        raise Refused("vote_closed", N_("表决已经结束。"))
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


# -- the fast variant ------------------------------------------------------------------------

# What a cast needs of an open vote that never changes while it is open, per process: vote id ->
# (opened_dt, snapshot). Filled by the full path; used by `_cast_in_one_statement`. cachetools
# caches are not thread-safe by themselves (the test servers use threads).
_open_votes = LRUCache(maxsize=200)
_open_votes_lock = threading.Lock()


def _remember_open(vote):
    if vote.state == VoteState.OPEN:
        known = (vote.opened_dt, frozen(vote)[0])
        with _open_votes_lock:
            _open_votes[vote.id] = known


@functools.cache
def _one_statement_cast(named):
    """INSERT the participation (and a named vote's ballot) only if the vote is still open (read
    under the same share lock as the full path) and is still the vote this process knows (its
    opening time): one statement, one round trip, no vote row loaded."""
    votes, participations = Vote.__table__, VoteParticipation.__table__
    open_vote = (db.select(votes.c.id).where(votes.c.id == bindparam("vote_id"),
                                             votes.c.state == VoteState.OPEN,
                                             votes.c.opened_dt == bindparam("opened_dt"))
                 .with_for_update(read=True).cte("open_vote"))
    participation = insert(participations).from_select(
        ["vote_id", "user_id", "household_id", "mode", "choice", "receipt", "sealed"],
        db.select(open_vote.c.id, bindparam("user_id", type_=db.Integer),
                  db.cast(bindparam("household_id"), db.Integer), db.literal("online"),
                  db.cast(bindparam("p_choice"), db.String), db.cast(bindparam("p_receipt"), db.String),
                  db.cast(bindparam("sealed", type_=db.LargeBinary), db.LargeBinary)))
    if not named:
        return participation
    participation = participation.returning(participations.c.vote_id).cte("participation")
    return insert(Ballot.__table__).from_select(
        ["vote_id", "receipt", "choice"],
        db.select(participation.c.vote_id, db.cast(bindparam("receipt"), db.String),
                  db.cast(bindparam("choice"), db.String)))


def _cast_in_one_statement(user, vote_id, choice, nonce):
    """The common cast on PostgreSQL, as a first try: an online voter of an open vote this process
    has seen. Returns the receipt, or None when the full path must decide (any refusal, a vote not
    yet seen here, closed or replaced since): that path then says why."""
    with _open_votes_lock:
        known = _open_votes.get(vote_id)
    if known is None or db.session.get_bind().dialect.name != "postgresql":
        return None
    opened_dt, snapshot = known
    if user.id not in snapshot.online or snapshot.is_household_base:
        return None
    key = _key_for(snapshot, vote_id)
    try:
        prepared = prepare_cast(snapshot, vote_id, user.id, choice, nonce, key)
    except Refused:
        return None
    stored = _stored(vote_id, user.id, prepared, key)
    inserted = db.session.execute(_one_statement_cast(prepared.named), {
        "vote_id": vote_id, "opened_dt": opened_dt, "user_id": user.id, "household_id": None,
        "p_choice": stored["choice"], "p_receipt": stored["receipt"], "sealed": stored["sealed"],
        "receipt": prepared.receipt, "choice": prepared.choice}).rowcount
    if inserted != 1:
        with _open_votes_lock:
            _open_votes.pop(vote_id, None)
        return None
    schedule_progress(vote_id)
    return prepared.receipt

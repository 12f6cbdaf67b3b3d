"""Group commit of online casts: the room's `cast` and the API's cast both end here.

`submit_cast(request)` hands the cast to this process's committer (app/core/batch.py) and waits.
The committer writes the casts that arrived together in one transaction: the cookie sockets'
session epochs read in one query, each vote read once under its share lock, and which of the
voters have cast already in one more. Each cast is then judged alone (`casting.judge`): a refused
one (a wrong nonce, a closed vote, a bad choice, a voter not checked in, a household that has
cast) is answered with its own refusal and writes nothing. The casts that passed go in one
statement under one SAVEPOINT; if that still meets a ballot it did not expect (a race with
another process), it is rolled back and every cast of the batch runs alone in a SAVEPOINT of its
own (`core.batch.each_in_savepoint`), as do the retries and the double taps from the start, so a
lost race is tried again alone. One commit, then every caller hears its own outcome: the receipt
only once the ballot is committed. Tally broadcasts, `household_voted` and every other after-commit effect of the
batch run after that commit.
"""
import threading
from dataclasses import dataclass

from flask import current_app

from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.core.batch import GroupCommitter, each_in_savepoint
from app.core.db import savepoint
from app.core.i18n import N_
from app.core.refusal import Refused
from app.extensions import db
from app.votes import casting
from app.votes.casting import Voter, cast_in, load_for_cast
from app.votes.models import VoteParticipation

EXTENSION = "yishi.cast_committer"
_making = threading.Lock()


@dataclass(frozen=True, slots=True)
class CastCommand:
    """One online cast as it arrived. `epoch`: the session epoch a cookie socket connected with,
    checked against the account in the batch (None for a token, checked by its request)."""
    user_id: int
    vote_id: int
    choice: object
    nonce: object
    epoch: int | None = None


def submit_cast(request):
    """{"receipt", "vote_id"} once the cast is committed; raises its refusal otherwise."""
    return committer(current_app._get_current_object()).submit(request)


def committer(app):
    """This app's cast committer (one per app and process)."""
    found = app.extensions.get(EXTENSION)
    if found is None:
        with _making:
            found = app.extensions.get(EXTENSION)
            if found is None:
                found = app.extensions[EXTENSION] = GroupCommitter(
                    app, _write_casts, name="casts", window=app.config["CAST_BATCH_WINDOW"],
                    max_batch=app.config["CAST_BATCH_MAX"], timeout=app.config["CAST_COMMIT_TIMEOUT"])
    return found


def _write_casts(jobs):
    _refuse_logged_out(jobs)
    votes = load_for_cast(job.payload.vote_id for job in jobs if job.error is None)
    judged, alone = _judge_all(jobs, votes)
    try:
        # The common storm: every judged cast in one statement, under one savepoint.
        with savepoint():
            casting.store([cast for _, cast in judged])
    except IntegrityError:
        # Someone's ballot got there first after all: each cast alone, as below.
        order = {id(job): i for i, job in enumerate(jobs)}
        alone = sorted([job for job, _ in judged] + alone, key=lambda job: order[id(job)])
    else:
        for job, cast in judged:
            job.succeed({"receipt": cast.receipt, "vote_id": cast.vote.id})
        casting.announce([cast for _, cast in judged])

    def cast_alone(command, attempt):
        receipt = cast_in(Voter(command.user_id), votes.get(command.vote_id), command.vote_id,
                          command.choice, command.nonce, attempt)
        return {"receipt": receipt, "vote_id": command.vote_id}

    each_in_savepoint(alone, cast_alone)


def _judge_all(jobs, votes):
    """([(job, Judged)] to store together, [jobs] to cast alone). Refused casts are answered here.
    Alone: a voter who has a ballot in the vote already (a retry: its nonce decides), and a second
    cast of one voter or household in the batch (a double tap: the first decides)."""
    has_cast = _voters_with_ballots(jobs)
    judged, alone, taken = [], [], set()
    for job in jobs:
        if job.error is not None:
            continue
        command = job.payload
        if (command.vote_id, command.user_id) in has_cast or (command.vote_id, command.user_id) in taken:
            alone.append(job)
            continue
        try:
            cast = casting.judge(Voter(command.user_id), votes.get(command.vote_id), command.vote_id,
                                 command.choice, command.nonce)
        except Refused as exc:
            job.refuse(exc)
            continue
        household = (command.vote_id, "household", cast.prepared.household)
        if cast.prepared.household is not None and household in taken:
            alone.append(job)
            continue
        taken.update({(command.vote_id, command.user_id), household})
        judged.append((job, cast))
    return judged, alone


def _voters_with_ballots(jobs):
    """{(vote id, voter id)} of the batch's voters who have cast already: one read."""
    wanted = {(job.payload.vote_id, job.payload.user_id) for job in jobs if job.error is None}
    if not wanted:
        return set()
    participations = VoteParticipation.__table__
    found = db.session.execute(db.select(participations.c.vote_id, participations.c.user_id).where(
        participations.c.vote_id.in_({v for v, _ in wanted}),
        participations.c.user_id.in_({u for _, u in wanted}))).all()
    return {tuple(row) for row in found} & wanted


def _refuse_logged_out(jobs):
    """A cookie socket whose account has logged out (everywhere) since it connected may not cast:
    the epochs of the whole batch in one read."""
    ids = {job.payload.user_id for job in jobs if job.payload.epoch is not None}
    if not ids:
        return
    epochs = dict(db.session.execute(db.select(User.id, User.session_epoch).where(User.id.in_(ids))).all())
    for job in jobs:
        if job.payload.epoch is not None and epochs.get(job.payload.user_id) != job.payload.epoch:
            job.refuse(Refused("unauthorized", N_("请先登录。")))

"""Group commit of online casts: the room's `cast` and the API's cast both end here.

`submit_cast(request)` hands the cast to this process's committer (app/core/batch.py) and waits.
The committer writes the casts that arrived together in one transaction: the cookie sockets'
session epochs read in one query, each vote read once under its share lock, then each cast in its
own SAVEPOINT (`casting.cast_in`), so a refused cast (a wrong nonce, a closed vote, a second
ballot, a household that has cast, a voter not checked in) is refused alone and a lost race is
tried again alone. One commit, then every caller hears its own outcome: the receipt only once the
ballot is committed. Tally broadcasts, `household_voted` and every other after-commit effect of the
batch run after that commit.
"""
from dataclasses import dataclass

from flask import current_app

from app.auth.models import User
from app.core.batch import GroupCommitter, each_in_savepoint
from app.core.refusal import Refused
from app.extensions import db
from app.votes.casting import Voter, cast_in, load_for_cast

EXTENSION = "yishi.cast_committer"


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
        found = app.extensions[EXTENSION] = GroupCommitter(
            app, _write_casts, name="casts", window=app.config["CAST_BATCH_WINDOW"],
            max_batch=app.config["CAST_BATCH_MAX"], timeout=app.config["CAST_COMMIT_TIMEOUT"])
    return found


def _write_casts(jobs):
    _refuse_logged_out(jobs)
    votes = load_for_cast(job.payload.vote_id for job in jobs if job.error is None)

    def cast(request, attempt):
        receipt = cast_in(Voter(request.user_id), votes.get(request.vote_id), request.vote_id,
                          request.choice, request.nonce, attempt)
        return {"receipt": receipt, "vote_id": request.vote_id}

    each_in_savepoint(jobs, cast)


def _refuse_logged_out(jobs):
    """A cookie socket whose account has logged out (everywhere) since it connected may not cast:
    the epochs of the whole batch in one read."""
    ids = {job.payload.user_id for job in jobs if job.payload.epoch is not None}
    if not ids:
        return
    epochs = dict(db.session.execute(db.select(User.id, User.session_epoch).where(User.id.in_(ids))).all())
    for job in jobs:
        if job.payload.epoch is not None and epochs.get(job.payload.user_id) != job.payload.epoch:
            job.refuse(Refused("unauthorized", "请先登录。"))

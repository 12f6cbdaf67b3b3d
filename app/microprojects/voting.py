"""The residents' vote on the shortlist, and its result.

A ballot is secret: who voted (a person or a household, online or on paper) is kept in
`micro_participations`; what was chosen in `micro_ballots` under a token that only the server's
secret key can compute from the round and the voter. Neither table has an ordered id or a time
stamp, and on SQLite both are WITHOUT ROWID, so the database alone does not link a ballot to its
voter. The token lets a voter change a changeable ballot (the row is replaced in place) and gives a
retry the same receipt. Paper ballots are counted at the polling table and entered as totals per
project; the people who voted on paper are checked off, so nobody votes both ways.
"""
import hashlib
import hmac
import json

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User, UserState
from app.core import audit
from app.core.db import unit_of_work
from app.core.i18n import N_, Message
from app.core.notify import notify
from app.core.refusal import Refused
from app.core.signals import send_after_commit
from app.core.timeutil import utcnow
from app.extensions import db
from app.microprojects import rules
from app.microprojects.models import (
    MicroBallot, MicroIdea, MicroPaperTotal, MicroParticipation, MicroRound,
)
from app.microprojects.operations import require_resident, require_staff, shortlist, url_of
from app.microprojects.rules import BallotBase, Phase
from app.microprojects.signals import project_needs_matter, send_changed

ONLINE, PAPER = "online", "paper"
_participations, _ballots = MicroParticipation.__table__, MicroBallot.__table__
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def voter_key(user, round_):
    """Who holds the ballot: the person, or their household when the round votes per household."""
    if round_.base is BallotBase.household:
        if not user.household_id:
            raise Refused("no_household", N_("本轮每户一票，您的账号还没有登记门牌。请联系社区工作人员。"))
        return f"h:{user.household_id}"
    return f"u:{user.id}"


def _secret():
    return str(current_app.config["SECRET_KEY"]).encode()


def token_of(round_id, key):
    return hmac.new(_secret(), f"micro-ballot:{round_id}:{key}".encode(), hashlib.sha256).hexdigest()


def receipt_of(token):
    digest = hmac.new(_secret(), f"micro-receipt:{token}".encode(), hashlib.sha256).digest()
    chars = "".join(RECEIPT_ALPHABET[b % len(RECEIPT_ALPHABET)] for b in digest[:12])
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


def costs_of(round_):
    """{idea id: the cost the ballot counts} of the shortlist, read as plain columns (no entities)."""
    rows = db.session.execute(select(MicroIdea.id, MicroIdea.estimate_fen, MicroIdea.cost_fen).where(
        MicroIdea.round_id == round_.id, MicroIdea.is_shortlisted.is_(True)).order_by(MicroIdea.id))
    return {id_: (estimate if estimate is not None else (cost or 0)) for id_, estimate, cost in rows}


# -- casting ------------------------------------------------------------------------------------

def cast(user, round_id, picks, now=None):
    """Cast (or change, where the round allows) the ballot of `user` and commit it; returns the
    receipt once committed. Two casts of one household racing: the loser retries and sees it.

    The first attempt assumes a first ballot (most are) and inserts without looking; the primary
    key refuses it when the voter already took part, and the retry looks (a changed ballot, a
    retried cast, a paper voter, the loser of a household's race)."""
    def work(attempt):
        round_ = db.session.get(MicroRound, round_id)
        return _cast(user, round_, picks, now, first=attempt == 0)
    return unit_of_work(work, retry_on=(IntegrityError,), attempts=3)


def _cast(user, round_, picks, now=None, first=False):
    if round_ is None:
        raise Refused("not_found", N_("找不到该年度项目。"))
    require_resident(user, round_.community)
    rules.require_phase(round_.phase(now), Phase.voting)
    choice = rules.canonical(rules.check_choice(round_.choice_rule, picks, costs_of(round_)))
    key = voter_key(user, round_)
    token = token_of(round_.id, key)
    receipt = receipt_of(token)
    mine = None if first else db.session.get(MicroParticipation, (round_.id, key))
    if mine is None:
        # Two plain inserts (no unit-of-work flush: nothing else in the session changes); the
        # primary key refuses a second participation of the same voter (a household's two members
        # racing): the loser is retried and finds the winner's.
        db.session.execute(insert(_participations).values(round_id=round_.id, voter_key=key, channel=ONLINE))
        db.session.execute(insert(_ballots).values(round_id=round_.id, token=token, receipt=receipt, choice=choice))
        return receipt
    if mine.channel == PAPER:
        raise Refused("voted_on_paper", N_("您已在投票点投了纸质票，不能再网上投票。"))
    ballot = db.session.get(MicroBallot, (round_.id, token))
    if ballot is not None and ballot.choice == choice:
        return receipt       # a retry of the same cast: the same receipt
    elif not round_.is_changeable:
        code = "household_already_cast" if round_.base is BallotBase.household else "already_cast"
        raise Refused(code, N_("本轮选票投出后不能更改，您（或您家）已经投过票。"))
    else:
        ballot.choice = choice
    db.session.flush()
    return receipt


def my_ballot(user, round_):
    """(receipt, picks) of the ballot `user` (or their household) cast online, or None; 'paper'
    when they voted on paper."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_resident_of(round_.community):
        return None
    try:
        key = voter_key(user, round_)
    except Refused:
        return None
    mine = db.session.get(MicroParticipation, (round_.id, key))
    if mine is None:
        return None
    if mine.channel == PAPER:
        return PAPER
    ballot = db.session.get(MicroBallot, (round_.id, token_of(round_.id, key)))
    return (ballot.receipt, rules.parse_canonical(ballot.choice)) if ballot else None


# -- paper ballots ------------------------------------------------------------------------------

def record_paper_voter(actor, round_, phone, now=None):
    """Staff at the polling table check a resident off as having voted on paper."""
    require_staff(actor, round_.community)
    rules.require_phase(round_.phase(now), Phase.voting)
    resident = User.query.filter_by(phone=(phone or "").strip(), community_id=round_.community_id).first()
    if resident is None or not resident.is_resident_of(round_.community):
        raise Refused("no_such_resident", N_("本社区没有这位已认证的居民。"))
    key = voter_key(resident, round_)
    mine = db.session.get(MicroParticipation, (round_.id, key))
    if mine is not None:
        if mine.channel == ONLINE:
            raise Refused("voted_online", N_("这位居民（或其家庭）已经在网上投票，不能再投纸质票。"))
        raise Refused("already_cast", N_("这位居民（或其家庭）已经登记投过纸质票。"))
    db.session.add(MicroParticipation(round_id=round_.id, voter_key=key, channel=PAPER))
    db.session.flush()
    audit.record("micro_round.paper_voter", actor=actor, obj=round_)
    return resident


def paper_voters(round_):
    return db.session.scalar(select(func.count()).select_from(MicroParticipation).where(
        MicroParticipation.round_id == round_.id, MicroParticipation.channel == PAPER)) or 0


def paper_totals(round_):
    return {row.idea_id: row.count for row in MicroPaperTotal.query.filter_by(round_id=round_.id)}


def set_paper_totals(actor, round_, totals, now=None):
    """The counted paper ballots per project, never more than the people who voted on paper."""
    require_staff(actor, round_.community)
    rules.require_phase(round_.phase(now), Phase.voting)
    voters = paper_voters(round_)
    clean = rules.check_paper_totals(round_.choice_rule, totals, voters, costs_of(round_))
    for idea_id, count in clean.items():
        row = db.session.get(MicroPaperTotal, (round_.id, idea_id))
        if row is None:
            db.session.add(MicroPaperTotal(round_id=round_.id, idea_id=idea_id, count=count))
        else:
            row.count = count
    db.session.flush()
    audit.record("micro_round.paper_totals", actor=actor, obj=round_, paper_voters=voters,
                 totals={str(k): v for k, v in clean.items()})
    return clean


# -- turnout and the count ------------------------------------------------------------------------

def eligible(round_):
    """Verified residents, or their households, of the round's community."""
    base = User.query.filter(User.community_id == round_.community_id, User.state == UserState.VERIFIED)
    if round_.base is BallotBase.household:
        return base.filter(User.household_id.isnot(None)).with_entities(User.household_id).distinct().count()
    return base.count()


def turnout(round_):
    rows = db.session.execute(select(MicroParticipation.channel, func.count()).where(
        MicroParticipation.round_id == round_.id).group_by(MicroParticipation.channel)).all()
    counts = dict(rows)
    return {"online": counts.get(ONLINE, 0), "paper": counts.get(PAPER, 0),
            "voted": sum(counts.values()), "eligible": eligible(round_)}


def count_votes(round_):
    """Votes per shortlisted project: online ballots plus paper totals."""
    counts = {idea.id: 0 for idea in shortlist(round_)}
    for (choice,) in db.session.execute(select(MicroBallot.choice).where(MicroBallot.round_id == round_.id)):
        for idea_id in rules.parse_canonical(choice):
            if idea_id in counts:
                counts[idea_id] += 1
    for idea_id, count in paper_totals(round_).items():
        if idea_id in counts:
            counts[idea_id] += count
    return counts


def receipts(round_):
    """After the vote: every online ballot's receipt with its choice, in receipt order."""
    if round_.results_dt is None:
        return []
    rows = db.session.execute(select(MicroBallot.receipt, MicroBallot.choice)
                              .where(MicroBallot.round_id == round_.id).order_by(MicroBallot.receipt)).all()
    return [(r.receipt, rules.parse_canonical(r.choice)) for r in rows]


def settle(round_, now=None):
    """Once voting is over, count and fund, once: the result is frozen with its rule, counts and
    money. Called by whatever first looks at the round after the vote (no scheduler)."""
    now = now or utcnow()
    if round_.results_json is not None:
        return round_.funding
    view = round_.phase(now)
    if view.phase not in (Phase.results, Phase.implementation, Phase.closed):
        return None
    locked = db.session.get(MicroRound, round_.id, with_for_update=True, populate_existing=True)
    if locked.results_json is not None:
        return locked.funding
    counts = count_votes(locked)
    ideas = {i.id: i for i in shortlist(locked)}
    result = rules.fund([rules.Candidate(i, counts[i], ideas[i].cost_for_vote_fen) for i in ideas],
                        locked.fund_fen)
    data = result.to_dict() | {"turnout": turnout(locked), "paper_totals": {
        str(k): v for k, v in paper_totals(locked).items()}}
    # Compare-and-set: of two first looks at once (SQLite takes no row lock), one writes the result
    # and tells the areas above; the other finds it written and reads it.
    written = db.session.execute(
        update(MicroRound).where(MicroRound.id == locked.id, MicroRound.results_json.is_(None))
        .values(results_json=json.dumps(data, ensure_ascii=False), results_dt=now, updated_dt=now)
        .execution_options(synchronize_session=False))
    db.session.refresh(locked)
    if written.rowcount != 1:
        return locked.funding
    for line in result.lines:
        ideas[line.id].is_funded = line.is_funded
    db.session.flush()
    audit.record("micro_round.results", obj=locked, funded=result.funded_ids, committed_fen=result.committed_fen,
                 fund_fen=result.fund_fen, counts={str(k): v for k, v in counts.items()})
    threshold = locked.matter_threshold_fen
    for idea_id in result.funded_ids:
        if threshold is not None and ideas[idea_id].cost_for_vote_fen > threshold:
            send_after_commit(project_needs_matter, idea_id, actor_id=locked.created_by_id)
    _tell_voters(locked)
    send_changed(locked.id, "results")
    return result


def stored_turnout(round_):
    if round_.results_json:
        return json.loads(round_.results_json).get("turnout")
    return turnout(round_)


def _tell_voters(round_):
    """The online voters (each person; a household's residents) hear that the result is out."""
    keys = [k for (k,) in db.session.execute(select(MicroParticipation.voter_key).where(
        MicroParticipation.round_id == round_.id))]
    users = [int(k[2:]) for k in keys if k.startswith("u:")]
    households = [int(k[2:]) for k in keys if k.startswith("h:")]
    found = []
    if users:
        found += User.query.filter(User.id.in_(users)).all()
    if households:
        found += User.query.filter(User.household_id.in_(households)).all()
    notify(found, Message(N_("「%(title)s」的居民投票结果已公布。"), title=round_.title), url_of(round_))


def voted(user, round_):
    """Whether `user` (or their household) voted in the round, either way."""
    try:
        key = voter_key(user, round_)
    except Refused:
        return False
    return db.session.get(MicroParticipation, (round_.id, key)) is not None


def funded(round_):
    return (MicroIdea.query.filter_by(round_id=round_.id, is_funded=True).order_by(MicroIdea.id).all())

"""A micro-project round as the notice board shows it: the context of its pages (the board's own
pages, the posting on the board, the print sheet) and the round as open data (JSON, CSV, the API)."""
import json

from flask_babel import gettext as _

from app.core.timeutil import utcnow
from app.core.web import public_url_for
from app.microprojects import implementation as impl, operations as ops, rules, voting


def money(round_):
    funding = round_.funding
    funded = voting.funded(round_) if funding else []
    spent = sum(i.spent_fen for i in funded)
    return {"fund_fen": round_.fund_fen, "committed_fen": funding.committed_fen if funding else 0,
            "spent_fen": spent}


def context(round_):
    now = utcnow()
    view = round_.phase(now)
    funding = round_.funding
    return dict(round=round_, community=round_.community, view=view, now=now, rules=rules,
                ideas=round_.ideas.all(), shortlist=ops.shortlist(round_), funding=funding,
                funded=voting.funded(round_) if funding else [], money=money(round_),
                turnout=voting.stored_turnout(round_) if funding else None,
                ratings={i.id: impl.ratings(i) for i in (voting.funded(round_) if funding else [])},
                permalink=public_url_for("notice.micro_round", round_id=round_.id))


def idea_data(idea, line=None):
    """One idea as open data: its screening, its place in the vote, its implementation."""
    return {
        "id": idea.id, "round_id": idea.round_id, "title": idea.title, "description": idea.description,
        "beneficiaries": idea.beneficiaries, "place": idea.place, "kind": idea.kind, "category": idea.category,
        "source": idea.source, "cosign_count": idea.cosign_count, "cost_fen": idea.cost_fen,
        "screening": idea.screening, "ground": idea.ground, "screening_reason": idea.screening_reason,
        "estimate_fen": idea.estimate_fen, "merged_into_id": idea.merged_into_id,
        "is_shortlisted": idea.is_shortlisted, "votes": line.votes if line else None,
        "rank": line.rank if line else None, "is_funded": idea.is_funded,
        "handler_org": idea.handler_org.name if idea.handler_org and idea.assigned_dt else None,
        "progress": idea.progress, "spent_fen": idea.spent_fen,
        "milestones": [{"id": m.id, "title": m.title, "due_dt": m.due_dt.isoformat(), "percent": m.percent,
                        "done_dt": m.done_dt.isoformat() if m.done_dt else None, "is_overdue": m.is_overdue()}
                       for m in idea.milestones],
        "overdue_milestones": len(impl.overdue(idea)) if idea.is_funded else 0,
        "accepted": idea.accepted_dt is not None, "confirmed": idea.confirmed_dt is not None,
        "matter_id": idea.matter_id,
        "ratings": {r.value: n for r, n in impl.ratings(idea).items()} if idea.is_funded else None,
    }


def data_of(round_):
    """The round as open data (also the API's answer)."""
    funding = round_.funding
    lines = {line.id: line for line in funding.lines} if funding else {}
    ideas = [idea_data(idea, lines.get(idea.id)) for idea in round_.ideas]
    view = round_.phase()
    return {
        "id": round_.id, "community_id": round_.community_id, "community": round_.community.name,
        "title": round_.title, "year": round_.year, "phase": view.phase.value, "is_waiting": view.is_waiting,
        "dates": {name: getattr(round_, name).isoformat() for name in rules.DATE_FIELDS},
        "fund_fen": round_.fund_fen,
        "caps_fen": {k.value: v for k, v in round_.caps.items()},
        "ballot_base": round_.ballot_base, "choice_mode": round_.choice_mode, "max_choices": round_.max_choices,
        "is_changeable": round_.is_changeable, "shortlist_fixed": round_.shortlist_fixed_dt is not None,
        "shortlist_result": round_.shortlist_result_text,
        "funding_rule": str(_(rules.FUNDING_RULE_TEXT)) + str(_(rules.TIE_BREAK_TEXT)),
        "results": json.loads(round_.results_json) if round_.results_json else None,
        "money": money(round_), "ideas": ideas,
    }



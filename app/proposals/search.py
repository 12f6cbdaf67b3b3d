"""Finding proposals by their words: the plan of a search over the term index, and the
published proposals whose titles look like a new one."""
from sqlalchemy import or_, select

from app.core.chinese import search_terms
from app.extensions import db
from app.proposals import similar
from app.proposals.models import TERM_INDEX, Proposal, ProposalSettings
from app.proposals.workflow import ProposalState


def _in_title_or_problem(term):
    return or_(Proposal.title.ilike(f"%{term}%"), Proposal.problem.ilike(f"%{term}%"))


def search_plan(q, community_id):
    """(driving term or None, clauses): every term must occur in the title or the problem.

    The rarest indexed word drives the query through its slice of the term index, which is
    already in proposal order, so a page stops as soon as it is full; the other words are
    point lookups in the same index, and substrings are tested last on what is left.
    """
    return TERM_INDEX.plan(search_terms(q), Proposal.id, _in_title_or_problem,
                           executor=db.session, community_id=community_id)


def similar_to(community, query, *, exclude_id=None, limit=5):
    """Published proposals of the community whose titles look like `query` (best first)."""
    terms = [t for t in search_terms(query) if t not in similar.STOP_BIGRAMS] or \
        search_terms(query)
    if not terms:
        return []
    clauses = [Proposal.community_id == community.id,
               Proposal.state != ProposalState.draft.value, Proposal.published_dt.isnot(None),
               or_(*[Proposal.title.ilike(f"%{t}%") for t in terms])]
    if exclude_id:
        clauses.append(Proposal.id != exclude_id)
    rows = db.session.execute(select(Proposal.id, Proposal.title).where(*clauses)
                              .order_by(Proposal.id.desc()).limit(300)).all()
    ranked = similar.rank(query, [(r.id, r.title) for r in rows], limit=limit, min_score=0.2)
    if not ranked:
        return []
    found = {p.id: p for p in Proposal.query.filter(Proposal.id.in_([i for i, _ in ranked]))}
    settings = ProposalSettings.for_community(community.id)
    result = []
    for ident, score in ranked:
        found[ident]._settings = settings
        result.append((found[ident], score))
    return result

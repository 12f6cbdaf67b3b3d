"""Finding proposals by their words: the plan of a search over the term index, and the
published proposals whose titles look like a new one."""
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.proposals import similar
from app.proposals.models import Proposal, ProposalSettings, ProposalTerm
from app.proposals.workflow import ProposalState


def _is_indexed(term):
    # Two-character CJK words are whole entries of the term index; a lone character or a Latin
    # word may be part of a longer word, so it is matched as a substring instead.
    return len(term) == 2 and not term.isascii()


def _term_exists(community_id, term):
    t = aliased(ProposalTerm)
    return select(t.proposal_id).where(t.community_id == community_id, t.term == term,
                                       t.proposal_id == Proposal.id).exists()


def _rarest(community_id, terms, probe=5000):
    """The indexed term with the fewest proposals (each count stops at `probe`)."""
    if len(terms) == 1:
        return terms[0]
    counts = [select(func.count()).select_from(
        select(ProposalTerm.proposal_id).where(ProposalTerm.community_id == community_id,
                                               ProposalTerm.term == term)
        .limit(probe).subquery()).scalar_subquery() for term in terms]
    row = db.session.execute(select(*counts)).one()
    return min(zip(row, terms))[1]


def search_plan(q, community_id):
    """(driving term or None, clauses): every term must occur in the title or the problem.

    The rarest indexed word drives the query through its slice of the term index, which is
    already in proposal order, so a page stops as soon as it is full; the other words are
    point lookups in the same index, and substrings are tested last on what is left.
    """
    terms = similar.search_terms(q)
    indexed = [t for t in terms if _is_indexed(t)]
    substrings = [or_(Proposal.title.ilike(f"%{t}%"), Proposal.problem.ilike(f"%{t}%"))
                  for t in terms if not _is_indexed(t)]
    driver = _rarest(community_id, indexed) if indexed else None
    others = [_term_exists(community_id, t) for t in indexed if t != driver]
    return driver, others + substrings


def similar_to(community, query, *, exclude_id=None, limit=5):
    """Published proposals of the community whose titles look like `query` (best first)."""
    terms = [t for t in similar.search_terms(query) if t not in similar.STOP_BIGRAMS] or \
        similar.search_terms(query)
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

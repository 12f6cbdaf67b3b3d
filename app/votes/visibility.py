"""Who may see a vote's result and receipts: the one rule for its pages, the API and the board.

A closed vote of a public body (居民会议, 居民代表会议, or a body the community marked public) is
public: its receipts list and its result are open to anyone. A vote of any other body (党支部委员会,
两委, 党员大会, 监督委员会) is seen only by the body's members and the community's staff until what
it decided is published; from then on it is public with the publication. An area above registers
what "published" means for its votes (`add_publication`): the matters area answers for the votes
that decide a 四议两公开 matter's stage (its resolution's publication). Everyone else is told the
vote does not exist (404), so nobody learns what a closed body decided, or that it voted.
"""
from app.core.i18n import N_
from app.core.refusal import Refused
from app.extensions import db
from app.votes.models import Vote

_publications = []


def add_publication(check):
    """Register `check(vote) -> bool`: True once what the vote decided has been published."""
    _publications.append(check)


def is_published(vote):
    return any(check(vote) for check in _publications)


def is_public(vote):
    """Anyone may see the vote's result and receipts (once it is closed)."""
    return vote.meeting.body.results_public or is_published(vote)


def is_insider(user, vote):
    """A member of the vote's body (now, or in the meeting's snapshot) or the community's staff."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    meeting = vote.meeting
    return (meeting.member(user) is not None or meeting.body.is_member(user)
            or user.is_staff_of(meeting.community))


def can_see_result(user, vote):
    """May `user` (None or anonymous for the public) see this vote's result and receipts?"""
    return is_public(vote) or is_insider(user, vote)


def can_see_minutes(user, meeting):
    """A meeting's minutes carry its votes' results: readable only where every one of them is."""
    votes = Vote.query.filter_by(meeting_id=meeting.id).all()
    return all(can_see_result(user, vote) for vote in votes)


def load_visible(user, vote_id):
    """The vote if `user` may see its result and receipts; otherwise 404, as if it did not exist."""
    vote = db.session.get(Vote, vote_id) if isinstance(vote_id, int) else None
    if vote is None or not can_see_result(user, vote):
        raise Refused("not_found", N_("找不到该表决。"))
    return vote

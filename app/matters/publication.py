"""When a vote on a matter becomes public: with the publication of the matter's resolution.

A vote of a non-public body (党支部委员会, 两委, 党员大会, 监督委员会) that decides a 四议两公开
matter's stage is seen by that body and the staff alone until the resolution is published (决议公开);
from then on it is public with the publication, and hidden again if the matter is sent back and
its resolution withdrawn. Registered with app/votes/visibility.py by the package's import.
"""
from app.extensions import db
from app.matters.models import Matter


def resolution_published(vote):
    """True when the vote was on an agenda item carrying a matter whose resolution is published."""
    item = vote.item
    if item is None or not item.matter_id:
        return False
    matter = db.session.get(Matter, item.matter_id)
    return (matter is not None and matter.community_id == vote.community_id
            and matter.resolution_published_dt is not None)

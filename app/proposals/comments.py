"""Comments on a proposal: reading them, writing one, and staff hiding one with a reason."""
from sqlalchemy.orm import selectinload

from app.core import audit
from app.core.notify import notify
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.proposals.models import ProposalComment
from app.proposals.operations import require_insider, tell, url_of


def comments(proposal):
    return (ProposalComment.query.filter_by(proposal_id=proposal.id)
            .options(selectinload(ProposalComment.author))
            .order_by(ProposalComment.id).all())


def add_comment(actor, proposal, body):
    require_insider(proposal, actor)
    if not proposal.is_public:
        raise Refused("wrong_state", N_("提案发布后才能评论。"))
    body = (body or "").strip()
    if not body:
        raise Refused("body_required", N_("评论不能为空。"))
    if len(body) > 3000:
        raise Refused("too_long", N_("评论不超过 3000 字。"))
    comment = ProposalComment(proposal_id=proposal.id, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record("proposal.comment", actor=actor, obj=proposal, comment_id=comment.id)
    tell(proposal, Message(N_("%(name)s 发表了评论。"), name=actor.name), actor)
    return comment


def hide_comment(actor, proposal, comment_id, reason):
    comment = db.session.get(ProposalComment, comment_id)
    if comment is None or comment.proposal_id != proposal.id:
        raise Refused("not_found", N_("找不到该评论。"))
    require_insider(proposal, actor)
    if not actor.is_staff_of(proposal.community):
        raise Refused("forbidden", N_("只有两委成员或社区工作人员可以隐藏评论。"))
    reason = clean_text(reason, 500)
    if not reason:
        raise Refused("reason_required", N_("隐藏评论须说明理由。"))
    if comment.is_hidden:
        raise Refused("already_hidden", N_("该评论已被隐藏。"))
    comment.is_hidden = True
    comment.hidden_reason = reason
    comment.hidden_by_id = actor.id
    comment.hidden_dt = utcnow()
    audit.record("proposal.hide_comment", actor=actor, obj=proposal, reason=reason,
                 comment_id=comment.id)
    notify([comment.author], Message(N_("您在提案「%(title)s」下的评论已被隐藏：%(reason)s"),
                                     title=proposal.title, reason=reason),
           url_of(proposal))
    db.session.flush()
    return comment

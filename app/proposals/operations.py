"""Every change to a proposal: load, check, ask the workflow, change, audit, flush, notify.

Views and API endpoints call these and nothing lower; the caller commits.
"""
import threading
from datetime import timedelta

from cachetools import TTLCache
from flask import url_for
from sqlalchemy import and_, delete, event, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased, selectinload

from app.core import audit
from app.core.db import after_commit
from app.core.refusal import Refused
from app.core.notify import notify
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.proposals import attachments, similar, workflow
from app.proposals.models import (
    Proposal, ProposalAttachment, ProposalComment, ProposalCosign, ProposalFollow, ProposalReply,
    ProposalSettings, ProposalTerm,
)
from app.proposals.signals import proposal_changed, proposal_escalated
from app.proposals.workflow import Action, ProposalState, Role

PER_PAGE = 20
SEARCH_COUNT_CAP = 1000
OPEN_STATES = (ProposalState.under_review.value, ProposalState.accepted.value,
               ProposalState.assigned.value)

# -- loading -----------------------------------------------------------------

def is_published(proposal):
    """Whether the proposal was ever published: a draft withdrawn before that never was."""
    return proposal.published_dt is not None


def can_read(proposal, user):
    """The one reading rule, for pages, the API and the notice board alike: a published proposal
    is public with its whole trail (DESIGN §3.7); an unpublished one is its author's alone."""
    if is_published(proposal):
        return True
    return (user is not None and getattr(user, "is_authenticated", False)
            and user.id == proposal.author_id)


def load(proposal_id, community=None, user=None):
    """The proposal if `user` may read it (and it is in `community`); otherwise a 404.

    `user` may be None (anonymous): published proposals are public.
    """
    proposal = db.session.get(Proposal, proposal_id) if proposal_id is not None else None
    if proposal is None or (community is not None and proposal.community_id != community.id):
        raise Refused("not_found", "找不到该提案。")
    if not can_read(proposal, user):
        raise Refused("not_found", "找不到该提案。")
    return proposal


def load_for_member(proposal_id, user):
    """For acting on a proposal: readable, and of a community the user belongs to (or handles).

    Reading is `load`; only a change needs the caller to be an insider, else 404.
    """
    proposal = load(proposal_id, user=user)
    if not proposal.is_insider(user):
        raise Refused("not_found", "找不到该提案。")
    return proposal


def _require_insider(proposal, user):
    if not proposal.is_insider(user):
        raise Refused("not_found", "找不到该提案。")


def settings_for(community):
    return ProposalSettings.for_community(community.id)


# -- settings ----------------------------------------------------------------

def update_settings(actor, community, *, cosign_threshold, window_days, review_days, reply_days,
                    rehandle_days, categories):
    if not actor.is_admin_of(community):
        raise Refused("forbidden", "只有本社区管理员可以修改提案设置。")
    values = {"cosign_threshold": cosign_threshold, "window_days": window_days,
              "review_days": review_days, "reply_days": reply_days, "rehandle_days": rehandle_days}
    for value in values.values():
        if not isinstance(value, int) or not 1 <= value <= 365:
            raise Refused("invalid_settings", "人数和天数必须是 1 到 365 之间的整数。")
    cats = list(dict.fromkeys(clean_text(c, 32) for c in categories if clean_text(c, 32)))
    if not cats:
        raise Refused("invalid_settings", "至少需要一个提案类别。")
    settings = settings_for(community)
    before = {k: getattr(settings, k) for k in values} | {"categories": settings.categories}
    for name, value in values.items():
        setattr(settings, name, value)
    settings.categories_text = "\n".join(cats)
    db.session.add(settings)
    audit.record("proposal_settings.update", actor=actor, community_id=community.id,
                 before=before, after=values | {"categories": cats})
    db.session.flush()
    return settings


# -- drafts ----------------------------------------------------------------

def _clean_fields(settings, title, category, problem, suggestion, place):
    errors = {}
    title = clean_text(title, 120)
    problem = (problem or "").strip()
    suggestion = (suggestion or "").strip()
    if len(title) < 4:
        errors["title"] = ["标题至少 4 个字。"]
    if category not in settings.categories:
        errors["category"] = ["请选择本社区的提案类别。"]
    if len(problem) < 10:
        errors["problem"] = ["请把问题写清楚（至少 10 个字）。"]
    if len(suggestion) < 5:
        errors["suggestion"] = ["请写出具体的建议（至少 5 个字）。"]
    if len(problem) > 5000 or len(suggestion) > 5000:
        errors.setdefault("problem", []).append("问题和建议各不超过 5000 字。")
    if errors:
        raise Refused("invalid", "提案内容不完整：" + "；".join(e[0] for e in errors.values()), details=errors)
    return dict(title=title, category=category, problem=problem, suggestion=suggestion,
                place=clean_text(place, 120))


def create_draft(actor, community, *, title, category, problem, suggestion, place="", files=()):
    """A draft by anyone of the community (unverified users may draft, not publish)."""
    if actor.community_id != community.id:
        raise Refused("forbidden", "只有本社区居民可以提出提案。")
    fields = _clean_fields(settings_for(community), title, category, problem, suggestion, place)
    now = utcnow()
    proposal = Proposal(community_id=community.id, author_id=actor.id,
                        state=ProposalState.draft.value, created_dt=now, updated_dt=now, **fields)
    db.session.add(proposal)
    db.session.flush()
    _index_terms(proposal)
    for filename, data in files:
        add_attachment(actor, proposal, filename, data)
    audit.record("proposal.create", actor=actor, obj=proposal, to_state=ProposalState.draft)
    db.session.add(ProposalFollow(proposal_id=proposal.id, user_id=actor.id))
    db.session.flush()
    return proposal


def update_draft(actor, proposal, *, title, category, problem, suggestion, place="", files=()):
    if not proposal.can_edit(actor):
        raise (Refused("wrong_state", "提案发布后不能再修改。")
               if actor.id == proposal.author_id else Refused("forbidden", "只有提案人可以修改草稿。"))
    fields = _clean_fields(proposal.settings, title, category, problem, suggestion, place)
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.updated_dt = utcnow()
    _index_terms(proposal)
    for filename, data in files:
        add_attachment(actor, proposal, filename, data)
    audit.record("proposal.edit", actor=actor, obj=proposal)
    db.session.flush()
    return proposal


def _index_terms(proposal):
    db.session.flush()
    db.session.execute(delete(ProposalTerm).where(ProposalTerm.proposal_id == proposal.id))
    terms = ProposalTerm.terms_of(proposal.title, proposal.problem)
    if terms:
        db.session.execute(insert(ProposalTerm), [
            {"community_id": proposal.community_id, "term": t, "proposal_id": proposal.id}
            for t in terms])


def add_attachment(actor, proposal, filename, data):
    if not proposal.can_edit(actor):
        raise Refused("forbidden", "只能在草稿阶段由提案人添加附件。")
    if len(proposal.attachments) >= attachments.MAX_FILES:
        raise Refused("too_many_files", f"每个提案最多 {attachments.MAX_FILES} 个附件。")
    name, kind = attachments.check(filename, data)
    stored = attachments.store(data, kind)
    attachment = ProposalAttachment(proposal=proposal, filename=name, stored_name=stored,
                                    content_type=kind, size=len(data))
    db.session.add(attachment)
    # A rolled-back request must not leave an orphan file behind.
    db.session.info.setdefault("proposal_files", []).append(stored)
    return attachment


def remove_attachment(actor, attachment):
    if not attachment.proposal.can_edit(actor):
        raise Refused("forbidden", "只能在草稿阶段由提案人删除附件。")
    stored = attachment.stored_name
    db.session.delete(attachment)
    after_commit(lambda: attachments.remove(stored))


def load_attachment(proposal, attachment_id):
    """The attachment and where its bytes are; seeing it follows seeing the proposal."""
    found = db.session.get(ProposalAttachment, attachment_id)
    if found is None or found.proposal_id != proposal.id:
        raise Refused("not_found", "找不到该附件。")
    path = attachments.path_of(found.stored_name)
    if not path.exists():
        raise Refused("not_found", "附件文件已不存在。")
    return found, path


# -- transitions -------------------------------------------------------------

def _url(proposal):
    try:
        return url_for("proposals.show", community_id=proposal.community_id, proposal_id=proposal.id)
    except RuntimeError:
        return f"/c/{proposal.community_id}/proposals/{proposal.id}"


def _audience(proposal):
    """Author, co-signers and followers."""
    users = [proposal.author]
    users += [c.user for c in ProposalCosign.query.filter_by(proposal_id=proposal.id)]
    users += [f.user for f in ProposalFollow.query.filter_by(proposal_id=proposal.id)]
    return users


def _tell(proposal, text, actor=None, extra=()):
    users = [u for u in list(_audience(proposal)) + list(extra)
             if actor is None or u.id != actor.id]
    notify(users, f"提案「{proposal.title}」：{text}", _url(proposal))


def _staff_of(community):
    from app.auth.models import RoleKind, User
    from app.community.models import CommunityRole

    return (User.query.join(CommunityRole, CommunityRole.user_id == User.id)
            .filter(CommunityRole.community_id == community.id,
                    CommunityRole.kind.in_([RoleKind.STAFF, RoleKind.ADMIN])).all())


def _transition(actor, proposal, action, *, now=None, reason="", extra_guard=None, values=None,
                **inputs):
    """Ask the workflow, then move the row with its stored state as a compare-and-set guard."""
    _require_insider(proposal, actor)
    now = now or utcnow()
    has_cosigned = False
    if action is Action.cosign:
        has_cosigned = ProposalCosign.query.filter_by(
            proposal_id=proposal.id, user_id=actor.id).first() is not None
    move = workflow.decide(proposal.snapshot(), action, proposal.roles_of(actor), now,
                           proposal.settings.rules, reason=reason,
                           has_cosigned=has_cosigned, **inputs)
    if callable(values):
        values = values(move)
    changes = {"state": move.to_state.value, "updated_dt": now} | (values or {})
    guard = [Proposal.id == proposal.id, Proposal.state == move.from_state.value]
    if extra_guard is not None:
        guard.append(extra_guard)
    result = db.session.execute(update(Proposal).where(*guard).values(**changes)
                                .execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:
        raise Refused("stale", "提案刚刚被其他人处理过，请刷新页面后重试。")
    db.session.refresh(proposal)
    audit.record(f"proposal.{action.value}", actor=actor, obj=proposal,
                 from_state=move.from_state, to_state=move.to_state, reason=reason or None,
                 note=move.note, **({"due": move.due_dt} if move.due_dt else {}))
    from_state, to_state = move.from_state.value, move.to_state.value
    after_commit(lambda: _send_changed(proposal, action.value, from_state, to_state))
    return move


def _preview(actor, proposal, action, now, **inputs):
    _require_insider(proposal, actor)
    return workflow.decide(proposal.snapshot(), action, proposal.roles_of(actor), now,
                           proposal.settings.rules, **inputs)


def _send_changed(proposal, action, from_state, to_state):
    # This runs inside SQLAlchemy's after-commit hook, where no SQL may run: the proposal is
    # handed over as it is held (not looked up again), and receivers that need the database
    # must wait for the transaction to end (see app/notice/index.py).
    if proposal_changed.receivers:
        proposal_changed.send(proposal, action=action, from_state=from_state, to_state=to_state)


def publish(actor, proposal, now=None):
    now = now or utcnow()
    move = _transition(actor, proposal, Action.publish, now=now, values={"published_dt": now})
    s = proposal.settings
    _tell(proposal, f"已发布，{s.window_days} 天内需 {s.cosign_threshold} 位居民附议。", actor)
    return move


def withdraw(actor, proposal, now=None):
    move = _transition(actor, proposal, Action.withdraw, now=now)
    _tell(proposal, "提案人已撤回提案。", actor)
    return move


def cosign(actor, proposal, now=None):
    now = now or utcnow()
    snap_count = proposal.cosign_count
    # The count is part of the guard: two co-signs at once cannot both count as the fifth.
    move = _transition(
        actor, proposal, Action.cosign, now=now,
        extra_guard=Proposal.cosign_count == snap_count,
        values=lambda m: {"cosign_count": snap_count + 1}
        | ({"review_started_dt": now} if m.to_state is ProposalState.under_review else {}))
    db.session.add(ProposalCosign(proposal_id=proposal.id, user_id=actor.id, created_dt=now))
    _follow(proposal, actor)
    to_review = move.to_state is ProposalState.under_review
    if to_review:
        _tell(proposal, f"附议人数已达到 {proposal.settings.cosign_threshold} 人，转入审查。",
              actor, extra=_staff_of(proposal.community))
    else:
        notify([proposal.author], f"{actor.name} 附议了您的提案「{proposal.title}」"
               f"（{proposal.cosign_count}/{proposal.settings.cosign_threshold}）。", _url(proposal))
    db.session.flush()
    return move


def take_to_review(actor, proposal, now=None):
    now = now or utcnow()
    move = _transition(actor, proposal, Action.take_to_review, now=now,
                       values={"review_started_dt": now})
    _tell(proposal, "社区已直接将提案提交审查。", actor)
    return move


def accept(actor, proposal, now=None):
    move = _transition(actor, proposal, Action.accept, now=now)
    _tell(proposal, "已立案，等待交办。", actor)
    return move


def decline(actor, proposal, ground, reason, now=None):
    reason = (reason or "").strip()
    move = _transition(actor, proposal, Action.decline, now=now, reason=reason, ground=ground,
                       values={"decline_ground": ground or None, "decline_reason": reason})
    _tell(proposal, f"不予立案（{proposal.decline_ground_label}）：{reason}", actor)
    return move


def merge(actor, proposal, target_id, reason="", now=None):
    _preview(actor, proposal, Action.merge, now or utcnow(), reason=reason)
    target = db.session.get(Proposal, target_id) if target_id else None
    if target is None or target.community_id != proposal.community_id or not target.is_public:
        raise Refused("merge_target", "请选择本社区一项已发布的提案作为并案对象。")
    if target.id == proposal.id:
        raise Refused("merge_target", "不能并入提案自身。")
    if target.id > proposal.id:
        raise Refused("merge_target", "只能并入更早提出的提案。")
    if not workflow.can_absorb_merge(target.effective_state()):
        raise Refused("merge_target", f"并案对象「{target.title}」的状态是「{target.effective_state().label}」，"
                      "已不会再有新的答复，不能并入。")
    move = _transition(actor, proposal, Action.merge, now=now, reason=reason,
                       values={"merged_into_id": target.id})
    # The merged proposal's people follow the target and hear its reply.
    for user in _audience(proposal):
        _follow(target, user)
    _tell(proposal, f"已并入提案「{target.title}」办理，您将收到该提案的答复。", actor)
    audit.record("proposal.merged_in", actor=actor, obj=target, reason=reason or None,
                 merged_id=proposal.id)
    db.session.flush()
    return move


def assign(actor, proposal, org_id, days=None, now=None):
    from app.community.models import HandlerOrg

    now = now or utcnow()
    _preview(actor, proposal, Action.assign, now, days=days)
    org = db.session.get(HandlerOrg, org_id) if org_id else None
    if org is None or not org.serves(proposal.community):
        raise Refused("handler_required", "请选择为本社区服务的承办单位。")
    move = _transition(actor, proposal, Action.assign, now=now, days=days,
                       values=lambda m: {"handler_org_id": org.id, "assigned_dt": now,
                                         "reply_due_dt": m.due_dt})
    _tell(proposal, f"已交办给「{org.name}」，答复期限 {proposal.reply_due_dt:%Y-%m-%d}。", actor,
          extra=[link.user for link in org.links])
    return move


def extend(actor, proposal, reason, days=None, now=None):
    now = now or utcnow()
    move = _transition(actor, proposal, Action.extend, now=now, reason=(reason or "").strip(),
                       days=days, values=lambda m: {"is_extended": True, "reply_due_dt": m.due_dt})
    _tell(proposal, f"答复期限延长至 {proposal.reply_due_dt:%Y-%m-%d}：{reason}", actor)
    return move


def return_assignment(actor, proposal, reason, now=None):
    org = proposal.handler_org
    move = _transition(actor, proposal, Action.return_assignment, now=now,
                       reason=(reason or "").strip(),
                       values={"handler_org_id": None, "assigned_dt": None, "reply_due_dt": None})
    name = org.name if org else "承办单位"
    _tell(proposal, f"「{name}」退回了交办（{reason}），社区将重新交办。", actor,
          extra=_staff_of(proposal.community))
    return move


def answer(actor, proposal, category, body, reason="", now=None):
    now = now or utcnow()
    body = (body or "").strip()
    # Who and when first: someone who may not answer should hear that, not about the text.
    _preview(actor, proposal, Action.answer, now, reason=reason, category=category)
    if len(body) < 5:
        raise Refused("body_required", "请写出答复内容（至少 5 个字）。")
    late = proposal.reply_due_dt is not None and now >= proposal.reply_due_dt
    move = _transition(actor, proposal, Action.answer, now=now, reason=(reason or "").strip(),
                       category=category)
    db.session.add(ProposalReply(proposal_id=proposal.id, org_id=proposal.handler_org_id,
                                 author_id=actor.id, category=_category_value(category), body=body,
                                 reason=(reason or "").strip() or None, is_late=late, created_dt=now))
    _tell(proposal, f"承办单位已答复（{workflow.ReplyCategory(category).label}），请评价。", actor)
    db.session.flush()
    return move


def _category_value(category):
    return workflow.ReplyCategory(category).value


def rate(actor, proposal, rating, now=None):
    now = now or utcnow()
    rehandles = proposal.rehandle_count

    def values(m):
        changes = {"rating": workflow.Rating(rating).value}
        if m.to_state is ProposalState.assigned:  # 不满意 the first time: handled again
            return changes | {"rehandle_count": rehandles + 1, "assigned_dt": now,
                              "reply_due_dt": m.due_dt}
        return changes | {"closed_dt": now}

    move = _transition(actor, proposal, Action.rate, now=now, rating=rating, values=values)
    reply = proposal.latest_reply
    if reply is not None:
        reply.rating = workflow.Rating(rating).value
        reply.rated_dt = now
    label = workflow.Rating(rating).label
    if move.to_state is ProposalState.assigned:
        _tell(proposal, f"提案人评价「{label}」，已退回承办单位重新办理，"
              f"{proposal.settings.rehandle_days} 天内答复。", actor,
              extra=[link.user for link in proposal.handler_org.links] if proposal.handler_org else ())
    else:
        _tell(proposal, f"提案人评价「{label}」，提案已办结。", actor,
              extra=[link.user for link in proposal.handler_org.links] if proposal.handler_org else ())
    db.session.flush()
    return move


def can_rate_as_cosigner(proposal, user):
    return (getattr(user, "is_authenticated", False) and proposal.latest_reply is not None
            and proposal.state in (ProposalState.answered.value, ProposalState.closed.value)
            and user.id != proposal.author_id and has_cosigned(proposal, user))


def rate_as_cosigner(actor, proposal, rating):
    """A co-signer's own rating of the latest reply: shown and audited, it moves nothing."""
    _require_insider(proposal, actor)
    cosign = ProposalCosign.query.filter_by(proposal_id=proposal.id, user_id=actor.id).first()
    if cosign is None:
        raise Refused("not_allowed", "只有附议人可以评价答复。")
    if proposal.latest_reply is None or proposal.state not in (
            ProposalState.answered.value, ProposalState.closed.value):
        raise Refused("wrong_state", "提案答复后才能评价。")
    try:
        value = workflow.Rating(rating).value
    except ValueError:
        raise Refused("rating_required", "请选择评价") from None
    cosign.rating = value
    cosign.rated_reply_id = proposal.latest_reply.id
    audit.record("proposal.cosigner_rate", actor=actor, obj=proposal, rating=value,
                 reply_id=proposal.latest_reply.id)
    db.session.flush()
    return cosign


def cosigner_ratings(proposal):
    """{rating label: count} of the co-signers' ratings of the latest reply."""
    reply = proposal.latest_reply
    if reply is None:
        return {}
    counts = {}
    for c in ProposalCosign.query.filter_by(proposal_id=proposal.id, rated_reply_id=reply.id):
        counts[c.rating_label] = counts.get(c.rating_label, 0) + 1
    return counts


def escalate(actor, proposal, reason, now=None):
    reason = (reason or "").strip()
    move = _transition(actor, proposal, Action.escalate, now=now, reason=reason)
    _tell(proposal, f"已转为四议两公开事项办理：{reason}", actor)
    # No lookups in the after-commit hook (no SQL may run there): send the objects as held.
    after_commit(lambda: proposal_escalated.send(proposal, actor=actor, reason=reason))
    return move


def answer_from_matter(proposal, *, body, category, actor=None, now=None):
    """The outcome of the 四议两公开 matter a proposal was escalated into, recorded as its answer.

    Called by the matters area (which stands above proposals) once its matter is decided.
    """
    if proposal.state != ProposalState.escalated.value:
        raise Refused("wrong_state", "只有已转为四议两公开事项的提案可以由事项结果答复。")
    category = _category_value(category)
    now = now or utcnow()
    db.session.add(ProposalReply(proposal_id=proposal.id, author_id=getattr(actor, "id", None),
                                 category=category, body=body, created_dt=now))
    audit.record("proposal.matter_outcome", actor=actor, obj=proposal,
                 from_state=proposal.state, to_state=proposal.state, category=category)
    _tell(proposal, f"四议两公开事项有了结果（{workflow.ReplyCategory(category).label}）。")
    db.session.flush()


def record_expiry(proposal, now=None):
    """Write down an expiry the clock already decided, and tell the people concerned."""
    now = now or utcnow()
    if proposal.effective_state(now) is not ProposalState.expired or \
            proposal.state != ProposalState.collecting.value:
        return None
    move = workflow.decide(proposal.snapshot(), Action.expire, Role.other, now,
                           proposal.settings.rules)
    result = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id,
                               Proposal.state == ProposalState.collecting.value)
        .values(state=move.to_state.value, updated_dt=now)
        .execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:
        return None
    db.session.refresh(proposal)
    audit.record("proposal.expire", obj=proposal, from_state=move.from_state,
                 to_state=move.to_state, note=move.note)
    _tell(proposal, move.note + "，提案已过期。")
    return move


def expire_lapsed(now=None):
    """Record every lapsed collection (for `flask proposals expire`; correct without it too)."""
    now = now or utcnow()
    count = 0
    for proposal in Proposal.query.filter_by(state=ProposalState.collecting.value):
        if record_expiry(proposal, now):
            count += 1
    db.session.flush()
    return count


# -- follow and comments -----------------------------------------------------

def _follow(proposal, user):
    exists = ProposalFollow.query.filter_by(proposal_id=proposal.id, user_id=user.id).first()
    if exists is None:
        db.session.add(ProposalFollow(proposal_id=proposal.id, user_id=user.id))
        db.session.flush()


def is_following(proposal, user):
    if not getattr(user, "is_authenticated", False):
        return False
    return ProposalFollow.query.filter_by(proposal_id=proposal.id, user_id=user.id).first() is not None


def has_cosigned(proposal, user):
    if not getattr(user, "is_authenticated", False):
        return False
    return ProposalCosign.query.filter_by(proposal_id=proposal.id, user_id=user.id).first() is not None


def follow(actor, proposal):
    _require_insider(proposal, actor)
    if not proposal.is_public:
        raise Refused("wrong_state", "草稿不能关注。")
    _follow(proposal, actor)
    audit.record("proposal.follow", actor=actor, obj=proposal)


def unfollow(actor, proposal):
    _require_insider(proposal, actor)
    ProposalFollow.query.filter_by(proposal_id=proposal.id, user_id=actor.id).delete()
    audit.record("proposal.unfollow", actor=actor, obj=proposal)


def add_comment(actor, proposal, body):
    _require_insider(proposal, actor)
    if not proposal.is_public:
        raise Refused("wrong_state", "提案发布后才能评论。")
    body = (body or "").strip()
    if not body:
        raise Refused("body_required", "评论不能为空。")
    if len(body) > 3000:
        raise Refused("too_long", "评论不超过 3000 字。")
    comment = ProposalComment(proposal_id=proposal.id, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record("proposal.comment", actor=actor, obj=proposal, comment_id=comment.id)
    _tell(proposal, f"{actor.name} 发表了评论。", actor)
    return comment


def hide_comment(actor, proposal, comment_id, reason):
    comment = db.session.get(ProposalComment, comment_id)
    if comment is None or comment.proposal_id != proposal.id:
        raise Refused("not_found", "找不到该评论。")
    _require_insider(proposal, actor)
    if not actor.is_staff_of(proposal.community):
        raise Refused("forbidden", "只有两委成员或社区工作人员可以隐藏评论。")
    reason = clean_text(reason, 500)
    if not reason:
        raise Refused("reason_required", "隐藏评论须说明理由。")
    if comment.is_hidden:
        raise Refused("already_hidden", "该评论已被隐藏。")
    comment.is_hidden = True
    comment.hidden_reason = reason
    comment.hidden_by_id = actor.id
    comment.hidden_dt = utcnow()
    audit.record("proposal.hide_comment", actor=actor, obj=proposal, reason=reason,
                 comment_id=comment.id)
    notify([comment.author], f"您在提案「{proposal.title}」下的评论已被隐藏：{reason}",
           _url(proposal))
    db.session.flush()
    return comment


# -- reading -----------------------------------------------------------------

def timeline(proposal):
    """The proposal's audited trail, oldest first."""
    from app.core.audit import AuditEvent

    hidden = {"proposal.follow", "proposal.unfollow", "proposal.edit"}
    return [e for e in (AuditEvent.query.filter_by(object_type="proposals", object_id=proposal.id)
                        .order_by(AuditEvent.id).all())
            if e.action not in hidden]


EVENT_LABELS = {
    "proposal.create": "起草提案",
    "proposal.comment": "发表评论",
    "proposal.hide_comment": "隐藏评论",
    "proposal.merged_in": "其他提案并入本提案",
    "proposal.matter_outcome": "四议两公开事项结果",
    "proposal.matter_opened": "建立四议两公开事项",
    "proposal.cosigner_rate": "附议人评价",
} | {f"proposal.{a.value}": a.label for a in Action}


def comments(proposal):
    return (ProposalComment.query.filter_by(proposal_id=proposal.id)
            .options(selectinload(ProposalComment.author))
            .order_by(ProposalComment.id).all())


def cosigners(proposal):
    return (ProposalCosign.query.filter_by(proposal_id=proposal.id)
            .options(selectinload(ProposalCosign.user)).order_by(ProposalCosign.id).all())


def _collecting_live(settings, now):
    cutoff = now - timedelta(days=settings.window_days)
    return and_(Proposal.state == ProposalState.collecting.value,
                or_(Proposal.published_dt > cutoff,
                    Proposal.cosign_count >= settings.cosign_threshold))


def _expired(settings, now):
    cutoff = now - timedelta(days=settings.window_days)
    return or_(Proposal.state == ProposalState.expired.value,
               and_(Proposal.state == ProposalState.collecting.value,
                    Proposal.published_dt <= cutoff,
                    Proposal.cosign_count < settings.cosign_threshold))


def overdue_clause(settings, now):
    review_cutoff = now - timedelta(days=settings.review_days)
    return or_(
        and_(Proposal.state.in_([ProposalState.under_review.value, ProposalState.accepted.value]),
             Proposal.review_started_dt <= review_cutoff),
        and_(Proposal.state == ProposalState.assigned.value, Proposal.reply_due_dt <= now),
    )


def state_clause(state, settings, now):
    if state == ProposalState.collecting.value:
        return _collecting_live(settings, now)
    if state == ProposalState.expired.value:
        return _expired(settings, now)
    return Proposal.state == state


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


LIST_STATES = [s for s in ProposalState if s is not ProposalState.draft]


class Page:
    """One page of results; `total` may be capped for searches (`is_capped`)."""

    def __init__(self, items, total, page, per_page, is_capped=False):
        self.items, self.total, self.page, self.per_page = items, total, page, per_page
        self.is_capped = is_capped
        self.pages = max(1, -(-total // per_page))
        self.has_prev = page > 1
        self.has_next = page < self.pages
        self.prev_num, self.next_num = page - 1, page + 1


# Counting a large community's proposals reads its whole index on every page view; above
# COUNT_CACHE_MIN the total shown ("共 N 项") may be up to COUNT_CACHE_SECONDS old, per process.
COUNT_CACHE_MIN = 5000
COUNT_CACHE_SECONDS = 60
_count_cache = TTLCache(maxsize=1000, ttl=COUNT_CACHE_SECONDS)
_count_lock = threading.Lock()  # cachetools caches are not thread-safe by themselves


def _cached_total(key, compute):
    with _count_lock:
        total = _count_cache.get(key)
    if total is not None:
        return total
    total = compute()
    if total >= COUNT_CACHE_MIN:
        with _count_lock:
            _count_cache[key] = total
    return total


def list_proposals(community, user, *, state=None, category=None, mine=False, overdue=False,
                   q=None, page=1, per_page=PER_PAGE, now=None):
    """The community's proposals, newest first; expiry and overdue decided in SQL from times."""
    now = now or utcnow()
    settings = settings_for(community)
    clauses = [Proposal.community_id == community.id]
    if mine and getattr(user, "is_authenticated", False):
        clauses.append(Proposal.author_id == user.id)
    else:
        # Public means published (a draft withdrawn before publishing never was).
        clauses += [Proposal.state != ProposalState.draft.value, Proposal.published_dt.isnot(None)]
    if state and state in {s.value for s in ProposalState}:
        clauses.append(state_clause(state, settings, now))
    if category:
        clauses.append(Proposal.category == category)
    if overdue:
        clauses.append(overdue_clause(settings, now))
    capped = False
    searching = bool(q and similar.search_terms(q))
    base, order = select(Proposal.id), Proposal.id.desc()
    if searching:
        driver, text_clauses = search_plan(q, community.id)
        clauses += text_clauses
        if driver is not None:
            base = select(Proposal.id).join(ProposalTerm, and_(
                ProposalTerm.proposal_id == Proposal.id,
                ProposalTerm.community_id == community.id, ProposalTerm.term == driver))
            order = ProposalTerm.proposal_id.desc()
    base = base.where(*clauses)
    page = max(1, page)
    start = (page - 1) * per_page
    ids = None
    if searching:
        # Counting every match of a common word in a large community costs more than it tells:
        # the first SEARCH_COUNT_CAP + 1 ids, in order, give both the count and (unless the page
        # lies beyond them) the page, in one pass over the index.
        head = db.session.scalars(base.order_by(order).limit(SEARCH_COUNT_CAP + 1)).all()
        total = len(head)
        if total > SEARCH_COUNT_CAP:
            total, capped = SEARCH_COUNT_CAP, True
        if start + per_page <= len(head) or not capped:
            ids = head[start:start + per_page]
    else:
        key = (str(db.engine.url), community.id, state, category,
               user.id if mine and getattr(user, "is_authenticated", False) else None, overdue)
        total = _cached_total(key, lambda: db.session.scalar(
            select(func.count()).select_from(base.subquery())))
    # Ids first, from the index alone, then only the rows of this page: a deep page does not
    # read the rows it skips.
    if ids is None:
        ids = db.session.scalars(base.order_by(order).offset(start).limit(per_page)).all()
    found = {p.id: p for p in Proposal.query.filter(Proposal.id.in_(ids))
             .options(selectinload(Proposal.author))} if ids else {}
    items = [found[i] for i in ids]
    for item in items:
        item._settings = settings
    return Page(items, total, page, per_page, capped)


def staff_queue(community, now=None):
    """Open proposals needing the committee or a handler, overdue and soonest due first."""
    now = now or utcnow()
    settings = settings_for(community)
    items = (Proposal.query.filter(Proposal.community_id == community.id,
                                   Proposal.state.in_(OPEN_STATES))
             .options(selectinload(Proposal.handler_org)).order_by(Proposal.id).limit(500).all())
    for item in items:
        item._settings = settings
    return sorted(items, key=lambda p: (p.deadline(now).due_dt if p.deadline(now) else now))


def handler_queue(user, now=None):
    org_ids = [link.org_id for link in user.handler_links]
    if not org_ids:
        return [], []
    open_items = (Proposal.query.filter(Proposal.handler_org_id.in_(org_ids),
                                        Proposal.state == ProposalState.assigned.value)
                  .order_by(Proposal.reply_due_dt).limit(500).all())
    done = (Proposal.query.join(ProposalReply, ProposalReply.proposal_id == Proposal.id)
            .filter(ProposalReply.org_id.in_(org_ids), Proposal.state != ProposalState.assigned.value)
            .order_by(ProposalReply.id.desc()).limit(20).all())
    return open_items, list(dict.fromkeys(done))


def street_overview(street, now=None):
    """Per community: open proposals, overdue ones (listed), with the settings of each."""
    now = now or utcnow()
    rows = []
    for community in street.communities:
        settings = settings_for(community)
        overdue = (Proposal.query.filter(Proposal.community_id == community.id,
                                         overdue_clause(settings, now))
                   .order_by(Proposal.id).limit(100).all())
        for item in overdue:
            item._settings = settings
        open_count = db.session.scalar(select(func.count(Proposal.id)).where(
            Proposal.community_id == community.id, Proposal.state.in_(OPEN_STATES)))
        rows.append({"community": community, "open": open_count, "overdue": overdue})
    return rows


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
    settings = settings_for(community)
    result = []
    for ident, score in ranked:
        found[ident]._settings = settings
        result.append((found[ident], score))
    return result


def handler_orgs_for(community):
    from app.community.models import HandlerOrg

    return [o for o in HandlerOrg.query.filter_by(street_id=community.street_id)
            .order_by(HandlerOrg.id) if o.serves(community)]


def merge_targets(proposal):
    """Earlier published proposals of the same community that can take it in."""
    states = [s.value for s in workflow.MERGE_TARGET_STATES]
    found = (Proposal.query.filter(Proposal.community_id == proposal.community_id,
                                   Proposal.id < proposal.id, Proposal.state.in_(states))
             .order_by(Proposal.id.desc()).limit(100).all())
    # A collection that lapsed is stored as collecting until someone writes the expiry down.
    return [p for p in found if workflow.can_absorb_merge(p.effective_state())]


def similar_hint(proposal):
    """What the similar-proposal hint offers for one proposal: co-signing while it still collects,
    otherwise the way to its answer (its reply, its decline, the proposal it was merged into)."""
    state = proposal.effective_state()
    url = url_for("proposals.show", community_id=proposal.community_id, proposal_id=proposal.id)
    if workflow.can_be_cosigned(state):
        return {"can_cosign": True, "url": url, "next": "可以附议"}
    if state is ProposalState.merged and proposal.merged_into_id:
        url = url_for("proposals.show", community_id=proposal.community_id,
                      proposal_id=proposal.merged_into_id)
        return {"can_cosign": False, "url": url, "next": "已并案，查看并入的提案及其答复"}
    if proposal.replies:
        return {"can_cosign": False, "url": url + "#replies", "next": f"{state.label}，查看答复"}
    if state is ProposalState.declined:
        return {"can_cosign": False, "url": url + "#decline", "next": "不予立案，查看说明"}
    return {"can_cosign": False, "url": url, "next": f"{state.label}，查看进展"}


def actions_for(proposal, user, now=None):
    """The actions whose forms to show this user now."""
    if not getattr(user, "is_authenticated", False) or not proposal.is_insider(user):
        return []
    return workflow.allowed_actions(proposal.snapshot(), proposal.roles_of(user), now or utcnow(),
                                    proposal.settings.rules,
                                    has_cosigned=has_cosigned(proposal, user))


def unverified_author_state(proposal, user):
    """The account state ("pending", "rejected") of a draft's author who may not publish it yet,
    so the page says why there is no 发布 button; None for anyone else."""
    if proposal.state != ProposalState.draft.value or user is None \
            or not getattr(user, "is_authenticated", False) or user.id != proposal.author_id:
        return None
    if Role.unverified not in proposal.roles_of(user):
        return None
    return getattr(user.state, "value", user.state)


@event.listens_for(Session, "after_commit")
def _keep_files(session):
    session.info.pop("proposal_files", None)


@event.listens_for(Session, "after_rollback")
def _drop_files(session):
    # Files stored in a transaction that was rolled back belong to nothing.
    for stored in session.info.pop("proposal_files", []):
        attachments.remove(stored)

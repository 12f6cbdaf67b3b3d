"""Every change to a proposal: load, check, ask the workflow, change, audit, flush, notify.

Views and API endpoints call these and nothing lower; the caller commits. Reading lives in
`queries` (lists, queues, the trail), `search` (words and similar titles) and `comments`.
"""
from flask import url_for
from sqlalchemy import update

from app.community.models import HandlerOrg
from app.community.operations import staff_of
from app.core import audit, follow as following

from app.core.i18n import N_, NP_, Message, fill
from app.core.refusal import Refused
from app.core.signals import send_after_commit
from app.core.notify import notify
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.proposals import workflow
from app.proposals.models import (
    Proposal, ProposalCosign, ProposalFollow, ProposalReply,
)
# EVENT_LABELS, cosigner_ratings and timeline are read here by the notice board
# (app/notice/sources.py): an interface kept until it imports them from `queries`.
from app.proposals.queries import EVENT_LABELS, cosigner_ratings, settings_for, timeline  # noqa: F401
from app.proposals.signals import proposal_changed, proposal_escalated
from app.proposals.workflow import Action, ProposalState, Role

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


def get_proposal(user, proposal_id, *, community_id=None, member=False):
    """The one loader: the proposal if `user` may read it (and it is of `community_id`, when
    given); with `member`, only for an insider of its community (one who may act on it).
    Anything else is a 404 (Refused "not_found"), so what may not be seen is not there.

    `user` may be None (anonymous): published proposals are public.
    """
    proposal = db.session.get(Proposal, proposal_id) if proposal_id is not None else None
    if proposal is None or (community_id is not None and proposal.community_id != community_id):
        raise Refused("not_found", N_("找不到该提案。"))
    if not can_read(proposal, user) or (member and not proposal.is_insider(user)):
        raise Refused("not_found", N_("找不到该提案。"))
    return proposal


def load(proposal_id, community=None, user=None):
    """`get_proposal` under its old name and argument order: the notice board's interface
    (app/notice/sources.py) until it calls `get_proposal`."""
    return get_proposal(user, proposal_id,
                        community_id=community.id if community is not None else None)


def require_insider(proposal, user):
    if not proposal.is_insider(user):
        raise Refused("not_found", N_("找不到该提案。"))


# -- settings ----------------------------------------------------------------

def update_settings(actor, community, *, cosign_threshold, window_days, review_days, reply_days,
                    rehandle_days, categories):
    if not actor.is_admin_of(community):
        raise Refused("forbidden", N_("只有本社区管理员可以修改提案设置。"))
    values = {"cosign_threshold": cosign_threshold, "window_days": window_days,
              "review_days": review_days, "reply_days": reply_days, "rehandle_days": rehandle_days}
    for value in values.values():
        if not isinstance(value, int) or not 1 <= value <= 365:
            raise Refused("invalid_settings", N_("人数和天数必须是 1 到 365 之间的整数。"))
    cats = list(dict.fromkeys(clean_text(c, 32) for c in categories if clean_text(c, 32)))
    if not cats:
        raise Refused("invalid_settings", N_("至少需要一个提案类别。"))
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

# -- transitions -------------------------------------------------------------

def url_of(proposal):
    try:
        return url_for("proposals.show", community_id=proposal.community_id, proposal_id=proposal.id)
    except RuntimeError:
        return f"/c/{proposal.community_id}/proposals/{proposal.id}"


def audience(proposal):
    """Who hears of a change to the proposal: its author, co-signers and followers."""
    users = [proposal.author]
    users += [c.user for c in ProposalCosign.query.filter_by(proposal_id=proposal.id)]
    users += following.followers(ProposalFollow, "proposal_id", proposal.id)
    return users


def tell(proposal, text, actor=None, extra=()):
    """Notify the proposal's audience; `text` is a msgid (N_) or a Message, said in each one's language."""
    said = text if isinstance(text, Message) else Message(text)
    following.tell(list(audience(proposal)) + list(extra),
                   Message(N_("提案「%(title)s」：%(text)s"), title=proposal.title, text=said),
                   url_of(proposal), actor)


def _transition(actor, proposal, action, *, now=None, reason="", extra_guard=None, values=None,
                **inputs):
    """Ask the workflow, then move the row with its stored state as a compare-and-set guard."""
    require_insider(proposal, actor)
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
        raise Refused("stale", N_("提案刚刚被其他人处理过，请刷新页面后重试。"))
    db.session.refresh(proposal)
    audit.record(f"proposal.{action.value}", actor=actor, obj=proposal,
                 from_state=move.from_state, to_state=move.to_state, reason=reason or None,
                 note=_source(move.note), **({"due": move.due_dt} if move.due_dt else {}))
    send_after_commit(proposal_changed, proposal.id, action=action.value,
                      from_state=move.from_state.value, to_state=move.to_state.value)
    return move


def _source(message):
    """A workflow note as the audit log keeps it: in the source language, whoever acted."""
    return fill(message.msgid, message.params)


def _preview(actor, proposal, action, now, **inputs):
    require_insider(proposal, actor)
    return workflow.decide(proposal.snapshot(), action, proposal.roles_of(actor), now,
                           proposal.settings.rules, **inputs)


def publish(actor, proposal, now=None):
    now = now or utcnow()
    move = _transition(actor, proposal, Action.publish, now=now, values={"published_dt": now})
    s = proposal.settings
    tell(proposal, Message(NP_("已发布，%(num)d 天内需 %(threshold)d 位居民附议。",
                               "已发布，%(num)d 天内需 %(threshold)d 位居民附议。"),
                           num=s.window_days, threshold=s.cosign_threshold), actor)
    return move


def withdraw(actor, proposal, now=None):
    move = _transition(actor, proposal, Action.withdraw, now=now)
    tell(proposal, N_("提案人已撤回提案。"), actor)
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
    add_follower(proposal, actor)
    to_review = move.to_state is ProposalState.under_review
    if to_review:
        tell(proposal, Message(N_("附议人数已达到 %(threshold)d 人，转入审查。"),
                               threshold=proposal.settings.cosign_threshold),
              actor, extra=staff_of(proposal.community))
    else:
        notify([proposal.author], Message(N_("%(name)s 附议了您的提案「%(title)s」（%(count)d/%(threshold)d）。"),
                                          name=actor.name, title=proposal.title, count=proposal.cosign_count,
                                          threshold=proposal.settings.cosign_threshold), url_of(proposal))
    db.session.flush()
    return move


def take_to_review(actor, proposal, now=None):
    now = now or utcnow()
    move = _transition(actor, proposal, Action.take_to_review, now=now,
                       values={"review_started_dt": now})
    tell(proposal, N_("社区已直接将提案提交审查。"), actor)
    return move


def accept(actor, proposal, now=None):
    move = _transition(actor, proposal, Action.accept, now=now)
    tell(proposal, N_("已立案，等待交办。"), actor)
    return move


def decline(actor, proposal, ground, reason, now=None):
    reason = (reason or "").strip()
    move = _transition(actor, proposal, Action.decline, now=now, reason=reason, ground=ground,
                       values={"decline_ground": ground or None, "decline_reason": reason})
    tell(proposal, Message(N_("不予立案（%(ground)s）：%(reason)s"),
                           ground=workflow.DeclineGround(proposal.decline_ground).message, reason=reason),
         actor)
    return move


def merge(actor, proposal, target_id, reason="", now=None):
    _preview(actor, proposal, Action.merge, now or utcnow(), reason=reason)
    target = db.session.get(Proposal, target_id) if target_id else None
    if target is None or target.community_id != proposal.community_id or not target.is_public:
        raise Refused("merge_target", N_("请选择本社区一项已发布的提案作为并案对象。"))
    if target.id == proposal.id:
        raise Refused("merge_target", N_("不能并入提案自身。"))
    if target.id > proposal.id:
        raise Refused("merge_target", N_("只能并入更早提出的提案。"))
    if not workflow.can_absorb_merge(target.effective_state()):
        raise Refused("merge_target", N_("并案对象「%(title)s」的状态是「%(state)s」，"
                                         "已不会再有新的答复，不能并入。"),
                      title=target.title, state=target.effective_state().message)
    move = _transition(actor, proposal, Action.merge, now=now, reason=reason,
                       values={"merged_into_id": target.id})
    # The merged proposal's people follow the target and hear its reply.
    for user in audience(proposal):
        add_follower(target, user)
    tell(proposal, Message(N_("已并入提案「%(title)s」办理，您将收到该提案的答复。"), title=target.title),
         actor)
    audit.record("proposal.merged_in", actor=actor, obj=target, reason=reason or None,
                 merged_id=proposal.id)
    db.session.flush()
    return move


def assign(actor, proposal, org_id, days=None, now=None):
    now = now or utcnow()
    _preview(actor, proposal, Action.assign, now, days=days)
    org = db.session.get(HandlerOrg, org_id) if org_id else None
    if org is None or not org.serves(proposal.community):
        raise Refused("handler_required", N_("请选择为本社区服务的承办单位。"))
    move = _transition(actor, proposal, Action.assign, now=now, days=days,
                       values=lambda m: {"handler_org_id": org.id, "assigned_dt": now,
                                         "reply_due_dt": m.due_dt})
    tell(proposal, Message(N_("已交办给「%(org)s」，答复期限 %(due)s。"), org=org.name,
                           due=proposal.reply_due_dt), actor,
          extra=[link.user for link in org.links])
    return move


def extend(actor, proposal, reason, days=None, now=None):
    now = now or utcnow()
    move = _transition(actor, proposal, Action.extend, now=now, reason=(reason or "").strip(),
                       days=days, values=lambda m: {"is_extended": True, "reply_due_dt": m.due_dt})
    tell(proposal, Message(N_("答复期限延长至 %(due)s：%(reason)s"), due=proposal.reply_due_dt,
                           reason=reason), actor)
    return move


def return_assignment(actor, proposal, reason, now=None):
    org = proposal.handler_org
    move = _transition(actor, proposal, Action.return_assignment, now=now,
                       reason=(reason or "").strip(),
                       values={"handler_org_id": None, "assigned_dt": None, "reply_due_dt": None})
    name = org.name if org else Message(N_("承办单位"))
    tell(proposal, Message(N_("「%(org)s」退回了交办（%(reason)s），社区将重新交办。"), org=name,
                           reason=reason), actor,
          extra=staff_of(proposal.community))
    return move


def answer(actor, proposal, category, body, reason="", now=None):
    now = now or utcnow()
    body = (body or "").strip()
    # Who and when first: someone who may not answer should hear that, not about the text.
    _preview(actor, proposal, Action.answer, now, reason=reason, category=category)
    if len(body) < 5:
        raise Refused("body_required", N_("请写出答复内容（至少 5 个字）。"))
    late = proposal.reply_due_dt is not None and now >= proposal.reply_due_dt
    move = _transition(actor, proposal, Action.answer, now=now, reason=(reason or "").strip(),
                       category=category)
    db.session.add(ProposalReply(proposal_id=proposal.id, org_id=proposal.handler_org_id,
                                 author_id=actor.id, category=_category_value(category), body=body,
                                 reason=(reason or "").strip() or None, is_late=late, created_dt=now))
    tell(proposal, Message(N_("承办单位已答复（%(category)s），请评价。"),
                           category=workflow.ReplyCategory(category).message), actor)
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
    label = workflow.Rating(rating).message
    if move.to_state is ProposalState.assigned:
        tell(proposal, Message(NP_("提案人评价「%(rating)s」，已退回承办单位重新办理，%(num)d 天内答复。",
                                   "提案人评价「%(rating)s」，已退回承办单位重新办理，%(num)d 天内答复。"),
                               rating=label, num=proposal.settings.rehandle_days), actor,
              extra=[link.user for link in proposal.handler_org.links] if proposal.handler_org else ())
    else:
        tell(proposal, Message(N_("提案人评价「%(rating)s」，提案已办结。"), rating=label), actor,
              extra=[link.user for link in proposal.handler_org.links] if proposal.handler_org else ())
    db.session.flush()
    return move


def rate_as_cosigner(actor, proposal, rating):
    """A co-signer's own rating of the latest reply: shown and audited, it moves nothing."""
    require_insider(proposal, actor)
    cosign = ProposalCosign.query.filter_by(proposal_id=proposal.id, user_id=actor.id).first()
    if cosign is None:
        raise Refused("not_allowed", N_("只有附议人可以评价答复。"))
    if proposal.latest_reply is None or proposal.state not in (
            ProposalState.answered.value, ProposalState.closed.value):
        raise Refused("wrong_state", N_("提案答复后才能评价。"))
    try:
        value = workflow.Rating(rating).value
    except ValueError:
        raise Refused("rating_required", N_("请选择评价")) from None
    cosign.rating = value
    cosign.rated_reply_id = proposal.latest_reply.id
    audit.record("proposal.cosigner_rate", actor=actor, obj=proposal, rating=value,
                 reply_id=proposal.latest_reply.id)
    db.session.flush()
    return cosign


def escalate(actor, proposal, reason, now=None):
    reason = (reason or "").strip()
    move = _transition(actor, proposal, Action.escalate, now=now, reason=reason)
    tell(proposal, Message(N_("已转为四议两公开事项办理：%(reason)s"), reason=reason), actor)
    send_after_commit(proposal_escalated, proposal.id, actor_id=actor.id, reason=reason)
    return move


def answer_from_matter(proposal, *, body, category, actor=None, now=None):
    """The outcome of the 四议两公开 matter a proposal was escalated into, recorded as its answer.

    Called by the matters area (which stands above proposals) once its matter is decided.
    """
    if proposal.state != ProposalState.escalated.value:
        raise Refused("wrong_state", N_("只有已转为四议两公开事项的提案可以由事项结果答复。"))
    category = _category_value(category)
    now = now or utcnow()
    db.session.add(ProposalReply(proposal_id=proposal.id, author_id=getattr(actor, "id", None),
                                 category=category, body=body, created_dt=now))
    audit.record("proposal.matter_outcome", actor=actor, obj=proposal,
                 from_state=proposal.state, to_state=proposal.state, category=category)
    tell(proposal, Message(N_("四议两公开事项有了结果（%(category)s）。"),
                           category=workflow.ReplyCategory(category).message))
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
                 to_state=move.to_state, note=_source(move.note))
    tell(proposal, Message(N_("%(note)s，提案已过期。"), note=move.note))
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


# -- following ---------------------------------------------------------------

def add_follower(proposal, user):
    following.add(ProposalFollow, "proposal_id", proposal.id, user)


def is_following(proposal, user):
    return following.is_following(ProposalFollow, "proposal_id", proposal.id, user)


def follow(actor, proposal):
    require_insider(proposal, actor)
    if not proposal.is_public:
        raise Refused("wrong_state", N_("草稿不能关注。"))
    add_follower(proposal, actor)
    audit.record("proposal.follow", actor=actor, obj=proposal)


def unfollow(actor, proposal):
    require_insider(proposal, actor)
    following.remove(ProposalFollow, "proposal_id", proposal.id, actor)
    audit.record("proposal.unfollow", actor=actor, obj=proposal)

"""Carrying out a funded project (三社联动): the handler organisation and its people, milestones with
progress, spending against the estimate, photos, residents' ratings, and the acceptance (验收) by
staff confirmed by the supervisory committee. The 四议两公开 matter of a large project is opened here
too, after the results' commit."""
import logging

from app.auth.models import User
from app.community.models import HandlerOrg
from app.core import audit
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.matters import operations as matters
from app.microprojects import rules
from app.microprojects.models import (
    MicroFollow, MicroHandlerPerson, MicroIdea, MicroMilestone, MicroRating, MicroSpending,
)
from app.microprojects.operations import add_photo, is_staff, require_implementer, require_staff, tell
from app.microprojects.rules import Phase, Rating
from app.microprojects.signals import send_changed
from app.microprojects.voting import voted

log = logging.getLogger(__name__)
SUPERVISORY = "supervisory_committee"


def _require_funded(idea):
    if not idea.is_funded:
        raise Refused("wrong_state", N_("只有已立项的项目可以实施。"))


def _require_implementing(idea, now=None):
    _require_funded(idea)
    rules.require_phase(idea.round.phase(now), Phase.implementation, Phase.closed)
    if idea.accepted_dt is not None:
        raise Refused("locked", N_("项目已经验收，不能再修改实施记录。"))


def assign(actor, idea, org_id, phones=(), now=None):
    """Staff assign a funded project to a handler organisation and its people."""
    now = now or utcnow()
    community = idea.round.community
    require_staff(actor, community)
    _require_funded(idea)
    rules.require_phase(idea.round.phase(now), Phase.results, Phase.implementation)
    org = db.session.get(HandlerOrg, org_id) if org_id else None
    if org is None or not org.serves(community):
        raise Refused("invalid", N_("请选择为本社区服务的承办单位。"), details={"org_id": [N_("请选择承办单位。")]})
    people = []
    for phone in phones:
        phone = (phone or "").strip()
        if not phone:
            continue
        user = User.query.filter_by(phone=phone).first()
        if user is None:
            raise Refused("no_such_user", N_("找不到手机号为 %(phone)s 的用户。"), phone=phone)
        people.append(user)
    idea.handler_org_id, idea.assigned_dt = org.id, now
    idea.people = [MicroHandlerPerson(idea_id=idea.id, user_id=u.id) for u in people]
    db.session.flush()
    audit.record("micro_idea.assigned", actor=actor, obj=idea, org_id=org.id, people=[u.id for u in people])
    tell(idea, Message(N_("项目「%(title)s」已交由%(org)s实施。"), title=idea.title, org=org.name), actor)
    send_changed(idea.round_id, "assigned", idea_id=idea.id)
    return idea


def add_milestone(actor, idea, *, title, due_dt, percent, now=None):
    require_implementer(actor, idea)
    _require_implementing(idea, now)
    title = clean_text(title, 120)
    if not title or len(title) < 2:
        raise Refused("invalid", N_("请填写节点名称。"), details={"title": [N_("请填写节点名称。")]})
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
        raise Refused("invalid", N_("完成度须在 1% 到 100% 之间。"), details={"percent": [N_("完成度须在 1% 到 100% 之间。")]})
    if due_dt is None:
        raise Refused("invalid", N_("请填写计划完成时间。"), details={"due_dt": [N_("请填写计划完成时间。")]})
    milestone = MicroMilestone(idea=idea, title=title, due_dt=due_dt, percent=percent)
    db.session.add(milestone)
    db.session.flush()
    audit.record("micro_idea.milestone_planned", actor=actor, obj=idea, milestone_id=milestone.id,
                 title=title, due=str(due_dt), percent=percent)
    send_changed(idea.round_id, "milestone", idea_id=idea.id)
    return milestone


def complete_milestone(actor, milestone, *, note="", files=(), now=None):
    idea = milestone.idea
    require_implementer(actor, idea)
    _require_implementing(idea, now)
    if milestone.done_dt is not None:
        raise Refused("conflict", N_("这个节点已经完成。"))
    now = now or utcnow()
    milestone.done_dt, milestone.note = now, (note or "").strip()[:5000] or None
    for filename, data in files:
        add_photo(actor, idea, filename, data, milestone=milestone)
    db.session.flush()
    late = milestone.done_dt > milestone.due_dt
    audit.record("micro_idea.milestone_done", actor=actor, obj=idea, milestone_id=milestone.id, late=late)
    tell(idea, Message(N_("项目「%(title)s」完成了“%(step)s”，进度 %(percent)d%%。"), title=idea.title,
                       step=milestone.title, percent=milestone.percent), actor)
    send_changed(idea.round_id, "milestone", idea_id=idea.id)
    return milestone


def load_milestone(idea, milestone_id):
    milestone = db.session.get(MicroMilestone, milestone_id)
    if milestone is None or milestone.idea_id != idea.id:
        raise Refused("not_found", N_("找不到该节点。"))
    return milestone


def add_spending(actor, idea, *, amount_fen, note, now=None):
    """Money spent, against the estimate; more than the estimate is recorded and shown as such."""
    require_implementer(actor, idea)
    _require_implementing(idea, now)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise Refused("invalid", N_("请填写支出金额。"), details={"amount": [N_("请填写支出金额。")]})
    note = clean_text(note, 200)
    if not note:
        raise Refused("invalid", N_("请写明支出用途。"), details={"note": [N_("请写明支出用途。")]})
    spending = MicroSpending(idea=idea, amount_fen=amount_fen, note=note, recorded_by_id=actor.id)
    db.session.add(spending)
    db.session.flush()
    audit.record("micro_idea.spending", actor=actor, obj=idea, amount_fen=amount_fen, note=note,
                 spent_fen=idea.spent_fen, estimate_fen=idea.cost_for_vote_fen)
    send_changed(idea.round_id, "spending", idea_id=idea.id)
    return spending


def can_rate(user, idea):
    """Residents who voted in the round or follow the project, once it is complete."""
    if user is None or not getattr(user, "is_authenticated", False) or not idea.is_funded:
        return False
    if idea.progress < 100 or not user.is_resident_of(idea.round.community):
        return False
    return voted(user, idea.round) or MicroFollow.query.filter_by(idea_id=idea.id, user_id=user.id).first() is not None


def rate(user, idea, rating):
    if not can_rate(user, idea):
        raise Refused("not_allowed", N_("项目完成后，参与投票或关注该项目的居民可以评价。"))
    try:
        Rating(rating)
    except ValueError:
        raise Refused("invalid", N_("请选择满意、基本满意或不满意。")) from None
    row = MicroRating.query.filter_by(idea_id=idea.id, user_id=user.id).first()
    if row is None:
        db.session.add(MicroRating(idea_id=idea.id, user_id=user.id, rating=rating))
    else:
        row.rating = rating
    db.session.flush()
    audit.record("micro_idea.rated", actor=user, obj=idea, rating=rating)
    return rating


def ratings(idea):
    counts = {r: 0 for r in Rating}
    for row in MicroRating.query.filter_by(idea_id=idea.id):
        counts[Rating(row.rating)] += 1
    return counts


def my_rating(user, idea):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    row = MicroRating.query.filter_by(idea_id=idea.id, user_id=user.id).first()
    return row.rating if row else None


def accept(actor, idea, note, now=None):
    """Staff record the acceptance (验收) of a complete project."""
    require_staff(actor, idea.round.community)
    _require_implementing(idea, now)
    if idea.progress < 100:
        raise Refused("conflict", N_("项目完成度达到 100% 后才能验收。"))
    note = (note or "").strip()
    if len(note) < 4:
        raise Refused("invalid", N_("请写出验收意见。"), details={"note": [N_("请写出验收意见。")]})
    idea.accepted_dt, idea.accepted_by_id, idea.acceptance_note = now or utcnow(), actor.id, note
    db.session.flush()
    audit.record("micro_idea.accepted", actor=actor, obj=idea, note=note, spent_fen=idea.spent_fen)
    tell(idea, Message(N_("项目「%(title)s」已验收，等待居务监督委员会确认。"), title=idea.title), actor)
    send_changed(idea.round_id, "accepted", idea_id=idea.id)
    return idea


def can_confirm(user, idea):
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    body = idea.round.community.body_by_preset(SUPERVISORY)
    return body is not None and body.is_member(user)


def confirm(actor, idea, now=None):
    """A member of the 居务监督委员会 confirms the acceptance; then the project is done."""
    if not can_confirm(actor, idea):
        raise Refused("forbidden", N_("只有居务监督委员会成员可以确认验收。"))
    if idea.accepted_dt is None:
        raise Refused("conflict", N_("项目还没有验收。"))
    if idea.confirmed_dt is not None:
        raise Refused("conflict", N_("验收已经确认。"))
    idea.confirmed_dt, idea.confirmed_by_id = now or utcnow(), actor.id
    db.session.flush()
    audit.record("micro_idea.confirmed", actor=actor, obj=idea)
    tell(idea, Message(N_("项目「%(title)s」的验收已经居务监督委员会确认，欢迎评价。"), title=idea.title), actor)
    send_changed(idea.round_id, "confirmed", idea_id=idea.id)
    return idea


def overdue(idea, now=None):
    now = now or utcnow()
    return [m for m in idea.milestones if m.is_overdue(now)]


# -- the 四议两公开 matter of a large project ------------------------------------------------------

def on_project_needs_matter(idea_id, actor_id=None, **_):
    """Subscriber of `project_needs_matter` (after the results' commit): open the matter in a new
    transaction; a refusal is logged and the project goes on without one (staff may open it)."""
    idea = db.session.get(MicroIdea, idea_id)
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    if idea is None or actor is None or idea.matter_id is not None:
        return
    community = idea.round.community
    kinds = matters.settings_for(community).kinds
    kind = next((k for k in kinds if "公共资金" in k), kinds[0])
    plan = (f"民生微实事项目（{idea.round.title}），居民投票立项，估算 {rules.yuan(idea.cost_for_vote_fen)} 元，"
            f"超过本社区须经“四议两公开”的金额。\n\n{idea.description}")
    try:
        matter = matters.create(actor, community, title=idea.title, kind=kind, plan=plan,
                                budget_fen=idea.cost_for_vote_fen)
        idea.matter_id = matter.id
        audit.record("micro_idea.matter_opened", actor=actor, obj=idea, matter_id=matter.id)
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        log.warning("no matter opened for micro-project %s: %s", idea_id, exc.message)


def is_handler_view(user, idea):
    return is_staff(user, idea.round.community) or any(p.user_id == getattr(user, "id", None) for p in idea.people)

"""Requests to convene (提议召开): members file and join a request to call a body's meeting; once
the legal share of them have joined, the chairs and the staff are told. The next notice the body
sends answers it (`operations.announce`)."""
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from app.auth.models import User, UserState
from app.community.models import Body, Household
from app.core import audit
from app.core.notify import notify
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.meetings import workflow
from app.meetings.models import ConveneRequest, ConveneSupporter


def get_convene_request(community, request_id):
    """The request if it is one of this community's (a community the user may see); otherwise a 404."""
    request = db.session.get(ConveneRequest, request_id) if isinstance(request_id, int) else None
    if request is None or request.community_id != community.id:
        raise Refused("not_found", N_("找不到该提议。"))
    return request


def convene_base(body):
    """How many people the share is counted against, and who of them may join."""
    rule = workflow.convene_rule(body.preset, body.residents_base)
    if rule is None:
        return None, 0
    if body.preset == "representatives_assembly":
        return rule, Body.member_counts([body], voting_only=True)[body.id]
    adults = User.query.filter_by(community_id=body.community_id, state=UserState.VERIFIED)
    if rule.base_label == "户":
        return rule, Household.query.filter_by(community_id=body.community_id).count()
    if rule.base_label == "居民小组":
        return rule, db.session.query(func.count(func.distinct(Household.building))).filter(
            Household.community_id == body.community_id).scalar()
    return rule, adults.count()


def _may_support(user, body):
    if body.preset == "representatives_assembly":
        membership = body.membership_of(user)
        return membership is not None and membership.is_voting
    return user.community_id == body.community_id and user.is_verified


def _supporters_count(request, rule):
    rows = request.supporters
    if rule.base_label == "户":
        return len({r.user.household_id for r in rows if r.user.household_id})
    if rule.base_label == "居民小组":
        return len({r.user.household.building for r in rows if r.user.household})
    return len(rows)


def convene_status(request, base=None):
    """`base`: the body's (rule, base) when the caller has it (a list reads it once per body)."""
    rule, base = base or convene_base(request.body)
    return workflow.convene_status(rule, base, _supporters_count(request, rule))


def recent_requests(community, limit=100):
    """[(request, status)], newest first: each body's base is counted once, and the supporters
    (with their households, which some shares count) are read with the requests."""
    requests = (ConveneRequest.query.filter_by(community_id=community.id)
                .options(selectinload(ConveneRequest.supporters).selectinload(ConveneSupporter.user)
                         .selectinload(User.household))
                .order_by(ConveneRequest.id.desc()).limit(limit).all())
    bases = {}
    for request in requests:
        if request.body_id not in bases:
            bases[request.body_id] = convene_base(request.body)
    return [(r, convene_status(r, bases[r.body_id])) for r in requests]


def file_convene(user, body, subject, reason=None):
    rule, _ = convene_base(body)
    if rule is None:
        raise Refused("no_convene_rule", N_("%(body)s没有由成员提议召开的法定程序。"), body=body.name)
    workflow.require(_may_support(user, body), N_("只有该组织的成员（居民会议：本社区已认证的居民）可以提议召开。"))
    subject = clean_text(subject, 200)
    if not subject:
        raise Refused("subject", N_("请写明提议讨论的事项。"))
    request = ConveneRequest(community_id=body.community_id, body=body, created_by_id=user.id,
                             subject=subject, reason=(reason or "").strip() or None)
    db.session.add(request)
    db.session.flush()
    audit.record("convene.filed", actor=user, obj=request, body_id=body.id)
    _support(user, request)
    return request


def join_convene(user, request):
    workflow.require(_may_support(user, request.body), N_("只有该组织的成员（居民会议：本社区已认证的居民）可以联署。"))
    if request.answered_dt is not None:
        raise Refused("answered", N_("该组织已经发出会议通知，本提议已办结。"))
    if any(s.user_id == user.id for s in request.supporters):
        raise Refused("already_joined", N_("您已联署过这一提议。"))
    _support(user, request)
    return request


def _support(user, request):
    request.supporters.append(ConveneSupporter(user_id=user.id))
    db.session.flush()
    audit.record("convene.joined", actor=user, obj=request)
    status = convene_status(request)
    if status.reached and request.reached_dt is None:
        request.reached_dt = utcnow()
        body = request.body
        admins = [u for u in User.query.filter_by(community_id=body.community_id) if u.is_admin_of(body.community)]
        chairs = [m.user for m in body.memberships if body.is_chair(m.user)]
        audit.record("convene.reached", obj=request, supporters=status.supporters, needed=status.needed)
        notify(chairs + admins, Message(N_("提议召开%(body)s已达到法定比例，应当召开会议：%(subject)s"),
                                       body=body.name, subject=request.subject),
               f"/c/{body.community_id}/convene/{request.id}")



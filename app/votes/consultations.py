"""Consultations (民意征集): advisory polls a community's staff open to every verified resident."""
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from app.auth.models import User, UserState
from app.community.rules import RuleError
from app.core import audit
from app.core.notify import notify
from app.community.operations import load_community
from app.core.permissions import require
from app.core.i18n import N_, NP_, Message
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.votes.choices import OptionSet
from app.votes.models import Consultation, ConsultationResponse

MAX_DAYS = 90
LIST_LIMIT = 200


def create_consultation(actor, community, *, title, description, labels, up_to, start_dt, end_dt,
                        url_for_item=None):
    """Staff open a poll; every verified resident of the community is told."""
    require(actor.is_staff_of(community), N_("只有社区工作人员可以发起民意征集。"))
    title = clean_text(title, 120)
    labels = [clean_text(label, 60) for label in labels if clean_text(label, 60)]
    problems = []
    if not title:
        problems.append(Message(N_("请填写标题。")))
    try:
        options = OptionSet.choose(labels, up_to) if labels else OptionSet.motion()
    except RuleError:
        options = None
        problems.append(Message(N_("选项须各不相同，至少两项；“最多选几项”不能超过选项数。")))
    if options is not None and not options.is_motion and len(labels) < 2:
        problems.append(Message(N_("至少需要两个选项；只征求赞成与否时请不填选项。")))
    if end_dt <= start_dt:
        problems.append(Message(N_("结束时间必须晚于开始时间。")))
    elif end_dt - start_dt > timedelta(days=MAX_DAYS):
        problems.append(Message(NP_("征集期不能超过 %(num)d 天。", "征集期不能超过 %(num)d 天。"), num=MAX_DAYS))
    if end_dt <= utcnow():
        problems.append(Message(N_("结束时间已经过去。")))
    if problems:
        text = problems[0]
        for problem in problems[1:]:
            text = Message(N_("%(first)s%(next)s"), first=text, next=problem)
        raise Refused("invalid_consultation", text)
    consultation = Consultation(
        community_id=community.id, title=title, description=description or "",
        options_json=json.dumps(options.to_dict(), ensure_ascii=False),
        start_dt=start_dt, end_dt=end_dt, created_by_id=actor.id)
    db.session.add(consultation)
    audit.record("consultation.created", actor=actor, obj=consultation, title=title,
                 options=options.to_dict())
    residents = User.query.filter_by(community_id=community.id, state=UserState.VERIFIED).all()
    url = url_for_item(consultation) if url_for_item else None
    notify(residents, Message(N_("民意征集：%(title)s，欢迎参与。"), title=title), url)
    return consultation


def get_consultation(user, consultation_id, community_id=None):
    """The consultation if the user belongs to its community; otherwise (or under another
    community's address) a 404, so one community learns nothing of another's."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or community_id not in (None, consultation.community_id):
        raise Refused("not_found", N_("找不到该民意征集。"))
    load_community(user, consultation.community_id)
    return consultation


def consultations_of(community):
    """The community's consultations, newest end first (the page and the API list the same)."""
    return (Consultation.query.filter_by(community_id=community.id)
            .order_by(Consultation.end_dt.desc()).limit(LIST_LIMIT).all())


def respond(user, consultation, choice, now=None):
    """One answer per resident; the same answer again is acknowledged, a different one refused."""
    community = consultation.community
    if not user.is_resident_of(community):
        raise Refused("not_resident", N_("只有本社区已认证的居民可以参与民意征集。"))
    phase = consultation.phase(now)
    if phase == "upcoming":
        raise Refused("not_open", N_("民意征集尚未开始。"))
    if phase == "closed":
        raise Refused("closed", N_("民意征集已经结束。"))
    try:
        canonical = consultation.options.canonical(choice)
    except Refused as exc:
        raise Refused(exc.code, exc._message) from None
    existing = ConsultationResponse.query.filter_by(consultation_id=consultation.id,
                                                    user_id=user.id).first()
    if existing is not None:
        if existing.choice == canonical:
            return existing, False
        raise Refused("already_answered", N_("您已经提交过不同的意见，不能更改。"))
    response = ConsultationResponse(consultation_id=consultation.id, user_id=user.id, choice=canonical)
    db.session.add(response)
    try:
        # A double tap racing itself: the unique constraint decides, the loser reads the winner.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        existing = ConsultationResponse.query.filter_by(consultation_id=consultation.id,
                                                        user_id=user.id).one()
        if existing.choice != canonical:
            raise Refused("already_answered", N_("您已经提交过不同的意见，不能更改。")) from None
        return existing, False
    audit.record("consultation.answered", actor=user, community_id=community.id,
                 obj=consultation)
    return response, True


@dataclass(frozen=True)
class ConsultationResult:
    counts: list        # [(label, count)] in option order
    answered: int
    blank: int
    eligible: int

    @property
    def turnout_text(self):
        return Message(NP_("应参与 %(num)d 人，实际参与 %(answered)d 人", "应参与 %(num)d 人，实际参与 %(answered)d 人"),
                       num=self.eligible, answered=self.answered)


def result(consultation):
    options = consultation.options
    counts = {key: 0 for key in options.keys}
    blank = 0
    rows = (db.session.query(ConsultationResponse.choice, func.count())
            .filter(ConsultationResponse.consultation_id == consultation.id)
            .group_by(ConsultationResponse.choice).all())
    answered = 0
    for choice, count in rows:
        answered += count
        normalized = options.normalize(choice)
        if options.is_blank(choice):
            blank += count
        if options.is_motion:
            counts[normalized] += count
        else:
            for key in normalized:
                counts[key] += count
    eligible = User.query.filter_by(community_id=consultation.community_id,
                                    state=UserState.VERIFIED).count()
    return ConsultationResult(counts=[(options.label(k), counts[k]) for k in options.keys],
                              answered=answered, blank=blank, eligible=eligible)


def can_see_result(user, consultation, now=None):
    """Totals are published at the end; while open only staff see them (no bandwagon)."""
    if consultation.phase(now) == "closed":
        return True
    return user is not None and user.is_authenticated and user.is_staff_of(consultation.community)


def answer_of(user, consultation):
    if user is None or not user.is_authenticated:
        return None
    return ConsultationResponse.query.filter_by(consultation_id=consultation.id,
                                                user_id=user.id).first()

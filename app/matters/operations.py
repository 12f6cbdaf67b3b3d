"""Every change to a major matter outside a vote: load → check → rule → change → audit → flush;
the `matter_changed` signal and notifications of the areas above go out after the commit.

Every operation that changes what a matter's public record says (a stage, a publication, a vote
on its trail, a report, an objection and its answer, acceptance or review) moves
`Matter.updated_dt` and sends `matter_changed` (app/matters/signals.py), so the notice board
re-indexes the posting (its "updated" time, summary and search words) at once.

Views, API endpoints and the signal subscribers call these and nothing lower; the caller commits.
Putting a matter on an agenda is in `agenda`; votes, objections and the start of implementation
(the only places that move `Matter.stage`) are in `decisions`; lists and the trail in `queries`.
"""
import logging

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from app.auth.models import User
from app.core import audit, follow as following, uploads
from app.core.i18n import N_, NP_, Message, fill
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.matters import workflow
from app.matters.models import Matter, MatterAttachment, MatterFollow, MatterReport, MatterSettings, can_draft
from app.matters.signals import send_changed
from app.matters.workflow import MatterStage
from app.proposals import operations as proposals
from app.proposals.models import Proposal
from app.proposals.workflow import ProposalState

log = logging.getLogger(__name__)

UPLOADS = "matters"   # the folder of plan files and report photos under UPLOAD_DIR
MAX_PLAN_FILES = 10
MAX_REPORT_PHOTOS = 6
PLAN_MAX = 20000

# -- settings --------------------------------------------------------------------------------

def settings_for(community):
    return MatterSettings.for_community(community.id)


def effective_objection_days(community):
    """The community's notice period, or the app's (MATTER_OBJECTION_DAYS), never under 7 days."""
    configured = db.session.get(MatterSettings, community.id)
    days = configured.objection_days if configured is not None else \
        current_app.config.get("MATTER_OBJECTION_DAYS")
    return workflow.objection_days(days)


def update_settings(actor, community, *, kinds, objection_days):
    if not actor.is_staff_of(community):
        raise Refused("forbidden", N_("只有本社区工作人员可以修改重大事项设置。"))
    workflow.check_objection_days(objection_days)
    cleaned = list(dict.fromkeys(clean_text(k, 40) for k in kinds if clean_text(k, 40)))
    if not cleaned:
        raise Refused("kinds", N_("至少需要一类重大事项。"))
    settings = settings_for(community)
    before = {"kinds": settings.kinds, "objection_days": settings.objection_days}
    settings.kinds_text = "\n".join(cleaned)
    settings.objection_days = objection_days
    db.session.add(settings)
    audit.record("matter_settings.update", actor=actor, community_id=community.id, before=before,
                 after={"kinds": cleaned, "objection_days": objection_days})
    db.session.flush()
    return settings

# -- loading -----------------------------------------------------------------------------------

def get_matter(user, matter_id, *, community_id=None):
    """The one loader: the matter if `user` may see it (anyone once published) and it is of
    `community_id`, when given; anything else is a 404 (Refused "not_found")."""
    matter = db.session.get(Matter, matter_id) if isinstance(matter_id, int) else None
    if matter is None or (community_id is not None and matter.community_id != community_id):
        raise Refused("not_found", N_("找不到该事项。"))
    if not matter.can_view(user):
        raise Refused("not_found", N_("找不到该事项。"))
    return matter


def url_of(matter):
    if has_request_context():
        return url_for("matters.show", community_id=matter.community_id, matter_id=matter.id)
    return f"/c/{matter.community_id}/matters/{matter.id}"

# -- drafting ------------------------------------------------------------------------------------

def _clean_fields(settings, title, kind, plan, budget_fen):
    errors = {}
    title = clean_text(title, 120)
    plan = (plan or "").strip()
    if len(title) < 4:
        errors["title"] = [_("标题至少 4 个字。")]
    if kind not in settings.kinds:
        errors["kind"] = [_("请选择本社区须经“四议两公开”的事项类别。")]
    if len(plan) < 10:
        errors["plan"] = [_("请写出方案（至少 10 个字）。")]
    elif len(plan) > PLAN_MAX:
        errors["plan"] = [_("方案不超过 %(num)d 字。", num=PLAN_MAX)]
    if budget_fen is not None and (isinstance(budget_fen, bool) or not isinstance(budget_fen, int)
                                   or budget_fen < 0):
        errors["budget"] = [_("预算须是不小于 0 的金额。")]
    if errors:
        raise Refused("invalid", N_("事项内容不完整：%(problems)s"),
                      problems=" ".join(e[0] for e in errors.values()), details=errors)
    return dict(title=title, kind=kind, plan=plan, budget_fen=budget_fen)


def create(actor, community, *, title, kind, plan, budget_fen=None, files=(), proposal=None, now=None):
    """A committee member (staff, party branch or two committees) drafts a matter at stage 1."""
    if not can_draft(actor, community):
        raise Refused("forbidden", N_("只有本社区两委成员或工作人员可以提出重大事项。"))
    fields = _clean_fields(settings_for(community), title, kind, plan, budget_fen)
    now = now or utcnow()
    matter = Matter(community_id=community.id, created_by_id=actor.id, stage=MatterStage.proposal,
                    proposal_id=proposal.id if proposal is not None else None,
                    created_dt=now, updated_dt=now, **fields)
    db.session.add(matter)
    db.session.flush()
    for filename, data in files:
        add_attachment(actor, matter, filename, data)
    add_follower(matter, actor)
    audit.record("matter.created", actor=actor, obj=matter, to_state=MatterStage.proposal,
                 title=matter.title, kind=matter.kind, budget_fen=matter.budget_fen,
                 proposal_id=matter.proposal_id)
    send_changed(matter.id, "created", None, MatterStage.proposal.value)
    return matter


def update(actor, matter, *, title, kind, plan, budget_fen=None, files=(), now=None):
    """Revise the plan: at stages 1 and 2 only (the assembly reviews the plan as sent)."""
    require_manager(actor, matter)
    workflow.check_plan_editable(matter.stage)
    fields = _clean_fields(settings_for(matter.community), title, kind, plan, budget_fen)
    before = {k: getattr(matter, k) for k in fields}
    for name, value in fields.items():
        setattr(matter, name, value)
    matter.updated_dt = now or utcnow()
    for filename, data in files:
        add_attachment(actor, matter, filename, data)
    changed = {k: v for k, v in fields.items() if before[k] != v}
    audit.record("matter.edited", actor=actor, obj=matter, fields=sorted(changed))
    db.session.flush()
    return matter

def require_manager(actor, matter):
    if not matter.can_manage(actor):
        raise Refused("forbidden", N_("只有本社区两委成员或工作人员可以办理重大事项。"))


def require_plan_editable(actor, matter):
    """The plan may be revised, by a manager, at stages 1 and 2 only."""
    require_manager(actor, matter)
    workflow.check_plan_editable(matter.stage)


# -- files -----------------------------------------------------------------------------------

def add_attachment(actor, matter, filename, data, report=None):
    """A file of the plan (stages 1–2), or a photo of an implementation report."""
    require_manager(actor, matter)
    if report is None:
        workflow.check_plan_editable(matter.stage)
        uploads.check_count(len(matter.plan_attachments), MAX_PLAN_FILES,
                            NP_("方案最多 %(num)d 个附件。", "方案最多 %(num)d 个附件。"), num=MAX_PLAN_FILES)
    else:
        uploads.check_count(len(report.photos), MAX_REPORT_PHOTOS,
                            NP_("每份实施报告最多 %(num)d 张照片。", "每份实施报告最多 %(num)d 张照片。"),
                            num=MAX_REPORT_PHOTOS)
    name, kind = uploads.check(filename, data)
    if report is not None and not kind.startswith("image/"):
        raise Refused("file_type", N_("文件「%(name)s」不是照片：实施报告只能附图片。"), name=name)
    stored = uploads.store(UPLOADS, data, kind, db.session)
    attachment = MatterAttachment(matter=matter, report_id=report.id if report is not None else None,
                                  filename=name, stored_name=stored, content_type=kind, size=len(data))
    db.session.add(attachment)
    if report is not None:
        report.photos.append(attachment)
    db.session.flush()
    return attachment


def load_attachment(matter, attachment_id):
    found = db.session.get(MatterAttachment, attachment_id) if isinstance(attachment_id, int) else None
    if found is None or found.matter_id != matter.id:
        raise Refused("not_found", N_("找不到该附件。"))
    path = uploads.path_of(UPLOADS, found.stored_name)
    if not path.exists():
        raise Refused("not_found", N_("附件文件已不存在。"))
    return found, path


# -- escalation from a proposal --------------------------------------------------------------

def plan_from_proposal(proposal, reason):
    lines = [_("## 缘起：居民提案 #%(id)d「%(title)s」", id=proposal.id, title=proposal.title), "",
             _("### 居民反映的问题"), "",
             proposal.problem.strip(), "", _("### 居民的建议"), "", proposal.suggestion.strip()]
    if proposal.place:
        lines += ["", _("地点：%(place)s", place=proposal.place)]
    if reason:
        lines += ["", _("转为四议两公开事项的理由：%(reason)s", reason=reason)]
    lines += ["", _("### 初步方案"), "", _("（待党支部委员会提出）")]
    return "\n".join(lines)


def matter_for_proposal(proposal_id):
    return Matter.query.filter_by(proposal_id=proposal_id).first() if proposal_id else None


def open_for_proposal(actor, proposal, reason="", now=None):
    """The matter an escalated proposal follows (opened once; a second call returns it)."""
    existing = matter_for_proposal(proposal.id)
    if existing is not None:
        return existing
    if proposal.state != ProposalState.escalated.value:
        raise Refused("wrong_state", N_("只有已转为四议两公开事项的提案才能建立事项。"))
    community = proposal.community
    kinds = settings_for(community).kinds
    kind = "其他重大事项" if "其他重大事项" in kinds else kinds[-1]
    matter = create(actor, community, title=proposal.title, kind=kind,
                    plan=plan_from_proposal(proposal, reason), proposal=proposal, now=now)
    people = proposals.audience(proposal)
    for user in people:
        add_follower(matter, user)
    audit.record("proposal.matter_opened", actor=actor, obj=proposal, matter_id=matter.id,
                 note=fill(N_("已建立四议两公开事项 #%(id)d：%(title)s"), {"id": matter.id, "title": matter.title}))
    following.tell(people, Message(N_("您关注的提案「%(title)s」已建立四议两公开事项，之后每一步进展都会通知您。"),
                                   title=proposal.title),
                   url_of(matter), actor)
    db.session.flush()
    return matter


def on_proposal_escalated(proposal_id, actor_id=None, reason="", **_):
    """Subscriber of `proposal_escalated` (sent after commit): open the matter in a new transaction."""
    found = db.session.get(Proposal, proposal_id)
    user = db.session.get(User, actor_id) if actor_id is not None else None
    if found is None or user is None:
        return
    try:
        open_for_proposal(user, found, reason)
        db.session.commit()
    except Refused as exc:
        db.session.rollback()
        log.warning("no matter opened for proposal %s: %s", proposal_id, exc.message)


# -- stage 6: reports --------------------------------------------------------------------------

def add_report(actor, matter, *, text, percent_done, spent_fen, files=(), now=None):
    now = now or utcnow()
    require_manager(actor, matter)
    workflow.check_report(matter.stage, percent_done, spent_fen)
    text = (text or "").strip()
    if len(text) < 5 or len(text) > 10000:
        raise Refused("text", N_("请写出实施情况（5 到 10000 字）。"))
    report = MatterReport(matter=matter, author_id=actor.id, text=text, percent_done=percent_done,
                          spent_fen=spent_fen, created_dt=now)
    db.session.add(report)
    db.session.flush()
    for filename, data in files:
        add_attachment(actor, matter, filename, data, report=report)
    touched(matter, "report_published", now)
    audit.record("matter.report", actor=actor, obj=matter, report_id=report.id,
                 percent_done=percent_done, spent_fen=spent_fen)
    tell(matter, Message(N_("发布了实施进度：完成 %(percent)d%%，已用资金 %(spent)s。"), percent=percent_done,
                         spent=workflow.format_yuan(report.spent_fen)), actor)
    db.session.flush()
    return report


def touched(matter, action, now=None):
    """The matter's public record changed without a stage change: note when, tell the board."""
    matter.updated_dt = now or utcnow()
    send_changed(matter.id, action, matter.stage.value, matter.stage.value)


# -- followers ---------------------------------------------------------------------------------

def add_follower(matter, user):
    following.add(MatterFollow, "matter_id", matter.id, user)


def is_following(matter, user):
    return following.is_following(MatterFollow, "matter_id", matter.id, user)


def follow(actor, matter):
    if actor is None or not getattr(actor, "is_authenticated", False) or \
            not actor.belongs_to(matter.community) or not matter.can_view(actor):
        raise Refused("forbidden", N_("只有本社区的居民可以关注事项。"))
    add_follower(matter, actor)
    audit.record("matter.follow", actor=actor, obj=matter)


def unfollow(actor, matter):
    following.remove(MatterFollow, "matter_id", matter.id, actor)
    audit.record("matter.unfollow", actor=actor, obj=matter)


def followers(matter):
    return following.followers(MatterFollow, "matter_id", matter.id)


def tell(matter, text, actor=None):
    """Who hears of a step of the matter: its followers (not the one who took it)."""
    said = text if isinstance(text, Message) else Message(text)
    following.tell(followers(matter), Message(N_("事项「%(title)s」：%(text)s"), title=matter.title, text=said),
                   url_of(matter), actor)

"""Every change to a micro-project round before the vote: setting up the round, collecting ideas
(co-signs, similar hints, promoting a proposal), screening them, and putting the screened list to
the deliberation meeting. Load, check, ask the rule, change, audit, flush; the caller commits.

The vote is in `voting`, implementation in `implementation`; the deliberation meeting's result
arrives through `on_vote_closed`, inside the closing transaction.
"""
from flask import url_for
from sqlalchemy import select, update

from app.community.models import HandlerOrg
from app.core import audit, follow as following, uploads
from app.core.chinese import search_terms
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import format_local, utcnow
from app.extensions import db
from app.meetings import operations as meetings
from app.meetings.models import Meeting
from app.meetings.workflow import MeetingState
from app.microprojects import rules
from app.microprojects.models import (
    DEFAULT_CATEGORIES, IdeaSource, MicroCosign, MicroFollow, MicroIdea, MicroPhoto, MicroRound, Screening,
)
from app.microprojects.rules import BallotBase, ChoiceMode, Ground, Kind, Phase
from app.microprojects.signals import send_changed
from app.proposals import similar
from app.proposals.workflow import ProposalState

DELIBERATING_BODIES = ("deliberation_council", "representatives_assembly")
MAX_PHOTOS = 6


# -- loading and who is who --------------------------------------------------------------------

def get_round(user, round_id, *, community_id=None):
    """The one loader. A round is public once set up (the notice board shows every phase); one of
    another community than the page's is not there (404)."""
    # With its community in the same statement: every caller checks membership next, and the
    # round holding it keeps it in the session's (weak) identity map for the rest of the request.
    found = (db.session.get(MicroRound, round_id, options=[db.joinedload(MicroRound.community)])
             if round_id is not None else None)
    if found is None or (community_id is not None and found.community_id != community_id):
        raise Refused("not_found", N_("找不到该年度项目。"))
    return found


def get_idea(user, idea_id, *, round_id=None, community_id=None):
    idea = db.session.get(MicroIdea, idea_id) if idea_id is not None else None
    if idea is None or (round_id is not None and idea.round_id != round_id) or \
            (community_id is not None and idea.community_id != community_id):
        raise Refused("not_found", N_("找不到该项目。"))
    return idea


def rounds_of(community):
    return MicroRound.query.filter_by(community_id=community.id).order_by(MicroRound.year.desc(),
                                                                          MicroRound.id.desc()).all()


def is_staff(user, community):
    return user is not None and getattr(user, "is_authenticated", False) and user.is_staff_of(community)


def require_staff(user, community):
    if not is_staff(user, community):
        raise Refused("forbidden", N_("只有本社区工作人员可以进行此操作。"))


def require_resident(user, community):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_resident_of(community):
        raise Refused("not_resident", N_("只有本社区已认证的居民可以参与。"))


def is_implementer(user, idea):
    """Staff, and the people of the handler organisation the project is assigned to."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff_of(idea.round.community):
        return True
    if idea.assigned_dt is None:
        return False
    return any(p.user_id == user.id for p in idea.people) or \
        (idea.handler_org is not None and idea.handler_org.has_member(user))


def require_implementer(user, idea):
    if not is_implementer(user, idea):
        raise Refused("forbidden", N_("只有社区工作人员和该项目的承办人可以进行此操作。"))


def url_of(thing):
    round_id = thing.id if isinstance(thing, MicroRound) else thing.round_id
    try:
        if isinstance(thing, MicroRound):
            return url_for("microprojects.show", community_id=thing.community_id, round_id=round_id)
        return url_for("microprojects.idea", community_id=thing.community_id, round_id=round_id,
                       idea_id=thing.id)
    except RuntimeError:
        base = f"/c/{thing.community_id}/micro/{round_id}"
        return base if isinstance(thing, MicroRound) else f"{base}/ideas/{thing.id}"


# -- setting up a round --------------------------------------------------------------------------

def _clean_round(title, year, fund_fen, caps, categories, dates, ballot_base, choice_mode, max_choices,
                 matter_threshold_fen):
    errors = {}
    title = clean_text(title, 120)
    if len(title or "") < 4:
        errors["title"] = [N_("标题至少 4 个字。")]
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = [N_("请填写年度。")]
    if not isinstance(fund_fen, int) or isinstance(fund_fen, bool) or fund_fen <= 0:
        errors["fund"] = [N_("请填写资金总额。")]
    for kind in Kind:
        cap = caps.get(kind)
        if not isinstance(cap, int) or isinstance(cap, bool) or cap <= 0:
            errors[f"{kind.value}_cap"] = [N_("请填写该类项目的上限。")]
    cats = list(dict.fromkeys(c for c in (clean_text(c, 32) for c in categories) if c))
    if not cats:
        errors["categories"] = [N_("至少需要一个项目类别。")]
    if ballot_base not in {b.value for b in BallotBase}:
        errors["ballot_base"] = [N_("请选择投票方式。")]
    if choice_mode not in {m.value for m in ChoiceMode}:
        errors["choice_mode"] = [N_("请选择选票规则。")]
    if not isinstance(max_choices, int) or isinstance(max_choices, bool) or not 1 <= max_choices <= 50:
        errors["max_choices"] = [N_("可选项目数须在 1 到 50 之间。")]
    if matter_threshold_fen is not None and (not isinstance(matter_threshold_fen, int) or matter_threshold_fen < 0):
        errors["matter_threshold"] = [N_("请填写不小于 0 的金额。")]
    if errors:
        raise Refused("invalid", N_("年度项目的设置不完整。"), details=errors)
    rules.check_dates(dates)
    return title, cats


def create_round(actor, community, *, title, year, fund_fen, caps=None, categories=None, dates,
                 ballot_base="person", choice_mode="up_to_k", max_choices=3, is_changeable=True,
                 matter_threshold_fen=None, now=None):
    """Staff set up a round: fund, kinds with caps, categories, phase dates, the ballot's rules."""
    require_staff(actor, community)
    caps = {Kind(k): v for k, v in (caps or rules.DEFAULT_CAPS_FEN).items()}
    categories = list(categories) if categories is not None else list(DEFAULT_CATEGORIES)
    title, cats = _clean_round(title, year, fund_fen, caps, categories, dates, ballot_base, choice_mode,
                               max_choices, matter_threshold_fen)
    now = now or utcnow()
    found = MicroRound(
        community_id=community.id, title=title, year=year, fund_fen=fund_fen,
        service_cap_fen=caps[Kind.service], goods_cap_fen=caps[Kind.goods], works_cap_fen=caps[Kind.works],
        categories_text="\n".join(cats), ballot_base=ballot_base, choice_mode=choice_mode,
        max_choices=max_choices, is_changeable=bool(is_changeable), matter_threshold_fen=matter_threshold_fen,
        created_by_id=actor.id, created_dt=now, updated_dt=now,
        **{name: getattr(dates, name) for name in rules.DATE_FIELDS})
    db.session.add(found)
    db.session.flush()
    audit.record("micro_round.created", actor=actor, obj=found, title=title, year=year, fund_fen=fund_fen,
                 ballot_base=ballot_base, choice_mode=choice_mode, max_choices=max_choices,
                 is_changeable=bool(is_changeable))
    send_changed(found.id, "created")
    return found


def update_dates(actor, round_, dates, now=None):
    """Move the phase dates (a phase already begun keeps its start)."""
    require_staff(actor, round_.community)
    now = now or utcnow()
    rules.check_dates(dates)
    for name, old, new in zip(rules.DATE_FIELDS, round_.dates.ordered(), dates.ordered()):
        if old != new and old <= now:
            raise Refused("wrong_phase", N_("已经开始的阶段不能改动开始时间。"))
        setattr(round_, name, new)
    round_.updated_dt = now
    audit.record("micro_round.dates", actor=actor, obj=round_,
                 **{n: str(getattr(dates, n)) for n in rules.DATE_FIELDS})
    send_changed(round_.id, "dates")
    db.session.flush()


# -- collecting --------------------------------------------------------------------------------

def _clean_idea(round_, title, description, beneficiaries, place, kind, category, cost_fen):
    errors = {}
    title = clean_text(title, 120)
    description = (description or "").strip()
    if len(title or "") < 4:
        errors["title"] = [N_("标题至少 4 个字。")]
    if len(description) < 10 or len(description) > 5000:
        errors["description"] = [N_("请写清楚要做什么（10 到 5000 字）。")]
    if kind not in {k.value for k in Kind}:
        errors["kind"] = [N_("请选择项目类型。")]
    if category not in round_.categories:
        errors["category"] = [N_("请选择项目类别。")]
    if cost_fen is not None and (isinstance(cost_fen, bool) or not isinstance(cost_fen, int) or cost_fen < 0):
        errors["cost"] = [N_("请填写不小于 0 的金额。")]
    if errors:
        raise Refused("invalid", N_("项目内容不完整。"), details=errors)
    return dict(title=title, description=description, beneficiaries=clean_text(beneficiaries, 200) or "",
                place=clean_text(place, 120) or "", kind=kind, category=category, cost_fen=cost_fen)


def submit_idea(actor, round_, *, title, description, beneficiaries="", place="", kind, category,
                cost_fen=None, files=(), source=IdeaSource.ONLINE, source_name=None, now=None):
    """A verified resident submits an idea; staff record one gathered on paper or at a visit."""
    now = now or utcnow()
    rules.require_phase(round_.phase(now), Phase.collecting)
    community = round_.community
    if source == IdeaSource.ONLINE:
        require_resident(actor, community)
    elif source in (IdeaSource.PAPER, IdeaSource.VISIT):
        require_staff(actor, community)
        source_name = clean_text(source_name, 60) or None
    else:
        raise Refused("invalid", N_("来源无效。"))
    fields = _clean_idea(round_, title, description, beneficiaries, place, kind, category, cost_fen)
    idea = MicroIdea(round_id=round_.id, community_id=community.id, source=source, source_name=source_name,
                     author_id=actor.id if source == IdeaSource.ONLINE else None, recorded_by_id=actor.id,
                     created_dt=now, **fields)
    db.session.add(idea)
    db.session.flush()
    for filename, data in files:
        add_photo(actor, idea, filename, data, check_access=False)
    if source == IdeaSource.ONLINE:
        following.add(MicroFollow, "idea_id", idea.id, actor)
    audit.record("micro_idea.submitted", actor=actor, obj=idea, round_id=round_.id, source=source,
                 title=idea.title, cost_fen=idea.cost_fen)
    send_changed(round_.id, "idea_submitted", idea_id=idea.id)
    return idea


def promote_proposal(actor, round_, proposal, *, kind, cost_fen=None, now=None):
    """An accepted proposal of the community becomes an idea of the round (by its author or staff)."""
    now = now or utcnow()
    rules.require_phase(round_.phase(now), Phase.collecting)
    community = round_.community
    if proposal.community_id != community.id:
        raise Refused("not_found", N_("找不到该提案。"))
    if not (is_staff(actor, community) or (actor.id == proposal.author_id and actor.is_resident_of(community))):
        raise Refused("forbidden", N_("只有提案人或社区工作人员可以把提案转入年度项目。"))
    accepted = {ProposalState.accepted.value, ProposalState.assigned.value}
    if proposal.state not in accepted:
        raise Refused("wrong_state", N_("只有已立案的提案可以转入年度项目。"))
    if MicroIdea.query.filter_by(round_id=round_.id, proposal_id=proposal.id).first() is not None:
        raise Refused("conflict", N_("该提案已转入本轮项目。"))
    category = proposal.category if proposal.category in round_.categories else round_.categories[-1]
    fields = _clean_idea(round_, proposal.title, f"{proposal.problem}\n\n{proposal.suggestion}", "",
                         proposal.place, kind, category, cost_fen)
    idea = MicroIdea(round_id=round_.id, community_id=community.id, source=IdeaSource.PROPOSAL,
                     author_id=proposal.author_id, recorded_by_id=actor.id, proposal_id=proposal.id,
                     created_dt=now, **fields)
    db.session.add(idea)
    db.session.flush()
    following.add(MicroFollow, "idea_id", idea.id, proposal.author)
    audit.record("micro_idea.promoted", actor=actor, obj=idea, round_id=round_.id, proposal_id=proposal.id)
    send_changed(round_.id, "idea_submitted", idea_id=idea.id)
    return idea


def cosign(actor, idea, now=None):
    """One co-sign per resident, while ideas are collected: it shows how many want it."""
    round_ = idea.round
    rules.require_phase(round_.phase(now), Phase.collecting)
    require_resident(actor, idea.round.community)
    if idea.author_id == actor.id:
        raise Refused("conflict", N_("不能附议自己提出的项目。"))
    if MicroCosign.query.filter_by(idea_id=idea.id, user_id=actor.id).first() is not None:
        raise Refused("already_cosigned", N_("您已经附议过这个项目。"))
    db.session.add(MicroCosign(idea_id=idea.id, user_id=actor.id))
    db.session.execute(update(MicroIdea).where(MicroIdea.id == idea.id)
                       .values(cosign_count=MicroIdea.cosign_count + 1)
                       .execution_options(synchronize_session=False))
    following.add(MicroFollow, "idea_id", idea.id, actor)
    db.session.flush()
    db.session.refresh(idea)
    audit.record("micro_idea.cosigned", actor=actor, obj=idea)
    return idea


def has_cosigned(user, idea):
    return user is not None and getattr(user, "is_authenticated", False) and \
        MicroCosign.query.filter_by(idea_id=idea.id, user_id=user.id).first() is not None


def similar_ideas(round_, text, exclude_id=None, limit=5):
    """Ideas of the round whose titles look like `text`: co-sign instead of repeating."""
    terms = search_terms(text or "")
    if not terms:
        return []
    clauses = [MicroIdea.round_id == round_.id]
    if exclude_id:
        clauses.append(MicroIdea.id != exclude_id)
    rows = db.session.execute(select(MicroIdea.id, MicroIdea.title).where(*clauses).limit(500)).all()
    ranked = similar.rank(text, [(r.id, r.title) for r in rows], limit=limit, min_score=0.2)
    found = {i.id: i for i in MicroIdea.query.filter(MicroIdea.id.in_([i for i, _ in ranked]))}
    return [(found[i], score) for i, score in ranked]


def follow(actor, idea):
    following.add(MicroFollow, "idea_id", idea.id, actor)


def unfollow(actor, idea):
    following.remove(MicroFollow, "idea_id", idea.id, actor)


def is_following(user, idea):
    return following.is_following(MicroFollow, "idea_id", idea.id, user)


def add_photo(actor, idea, filename, data, *, milestone=None, check_access=True):
    if check_access:
        require_implementer(actor, idea)
    uploads.check_count(len(idea.photos), MAX_PHOTOS * 10, N_("照片太多了。"))
    name, kind = uploads.check(filename, data)
    if not kind.startswith("image/"):
        raise Refused("file_type", N_("请上传照片（JPEG、PNG、GIF、WebP）。"))
    stored = uploads.store("microprojects", data, kind, db.session)
    photo = MicroPhoto(idea=idea, milestone_id=getattr(milestone, "id", None), filename=name,
                       stored_name=stored, content_type=kind, size=len(data))
    db.session.add(photo)
    db.session.flush()
    return photo


# -- screening ---------------------------------------------------------------------------------

def screen(actor, idea, *, feasible, ground=None, reason, estimate_fen=None, handler_org_id=None,
           merge_into_id=None, now=None):
    """Staff decide on an idea, in public with the reason: feasible (with a cost estimate and a
    suggested handler), not feasible (on one of the stated grounds), or merged into another."""
    now = now or utcnow()
    round_ = idea.round
    community = round_.community
    require_staff(actor, community)
    rules.require_phase(round_.phase(now), Phase.screening, Phase.deliberation)
    if round_.shortlist_fixed_dt is not None or round_.agenda_item_id is not None:
        raise Refused("locked", N_("候选名单已提交议事会，不能再改动审核结果。"))
    reason = (reason or "").strip()
    if len(reason) < 4 or len(reason) > 2000:
        raise Refused("invalid", N_("请写出审核理由（4 到 2000 字）。"),
                      details={"reason": [N_("请写出审核理由（4 到 2000 字）。")]})
    values = dict(screening=None, ground=None, estimate_fen=None, handler_org_id=None, merged_into_id=None)
    if merge_into_id:
        target = db.session.get(MicroIdea, merge_into_id)
        if target is None or target.round_id != round_.id or target.id == idea.id or target.merged_into_id:
            raise Refused("invalid", N_("请选择本轮的另一个项目并入。"))
        values.update(screening=Screening.MERGED, merged_into_id=target.id)
    elif feasible:
        rules.check_feasible(idea.kind_enum, estimate_fen, round_.caps, round_.fund_fen)
        if handler_org_id is not None:
            org = db.session.get(HandlerOrg, handler_org_id)
            if org is None or not org.serves(community):
                raise Refused("invalid", N_("请选择为本社区服务的承办单位。"))
        values.update(screening=Screening.FEASIBLE, estimate_fen=estimate_fen, handler_org_id=handler_org_id)
    else:
        try:
            Ground(ground)
        except ValueError:
            raise Refused("invalid", N_("请选择不予通过的理由。"),
                          details={"ground": [N_("请选择不予通过的理由。")]}) from None
        values.update(screening=Screening.INFEASIBLE, ground=ground)
    for key, value in values.items():
        setattr(idea, key, value)
    idea.screening_reason, idea.screened_by_id, idea.screened_dt = reason, actor.id, now
    db.session.flush()
    if idea.merged_into_id:
        for row in MicroFollow.query.filter_by(idea_id=idea.id):
            following.add(MicroFollow, "idea_id", idea.merged_into_id, row.user)
    audit.record("micro_idea.screened", actor=actor, obj=idea, screening=idea.screening, ground=idea.ground,
                 estimate_fen=idea.estimate_fen, merged_into_id=idea.merged_into_id, reason=reason)
    tell(idea, Message(N_("项目「%(title)s」的审核结果已公布。"), title=idea.title), actor)
    send_changed(round_.id, "screened", idea_id=idea.id)
    return idea


def feasible_ideas(round_):
    return (MicroIdea.query.filter_by(round_id=round_.id, screening=Screening.FEASIBLE)
            .order_by(MicroIdea.id).all())


def shortlist(round_):
    return (MicroIdea.query.filter_by(round_id=round_.id, is_shortlisted=True)
            .order_by(MicroIdea.id).all())


def tell(idea, message, actor=None):
    """Tell an idea's followers (its author and co-signers follow it)."""
    users = following.followers(MicroFollow, "idea_id", idea.id)
    following.tell(users, message, url_of(idea), actor)


# -- deliberation ------------------------------------------------------------------------------

def deliberating_bodies(community):
    return [b for b in (community.body_by_preset(p) for p in DELIBERATING_BODIES) if b is not None]


def schedulable_meetings(round_):
    bodies = [b.id for b in deliberating_bodies(round_.community)]
    if not bodies:
        return []
    return (Meeting.query.filter(Meeting.body_id.in_(bodies),
                                 Meeting.state.in_([MeetingState.DRAFT, MeetingState.ANNOUNCED]))
            .order_by(Meeting.start_dt).all())


def _agenda_text(round_, ideas):
    lines = [f"【民生微实事 #{round_.id} 候选名单】{round_.title}", "",
             f"资金总额 {rules.yuan(round_.fund_fen)} 元。经审核可行的项目：", ""]
    for n, idea in enumerate(ideas, start=1):
        lines.append(f"{n}. {idea.title}（{idea.kind_enum.label}，估算 {rules.yuan(idea.estimate_fen)} 元）")
    lines += ["", "表决通过后，以上项目列入居民投票的候选名单。"]
    return "\n".join(lines)


def schedule_deliberation(actor, round_, meeting, now=None):
    """Put the screened list on the agenda of a meeting of the 议事会 or the 居民代表会议; the
    vote held on it in the live room, under that body's rule, fixes the shortlist."""
    now = now or utcnow()
    require_staff(actor, round_.community)
    rules.require_phase(round_.phase(now), Phase.screening, Phase.deliberation)
    if meeting.community_id != round_.community_id:
        raise Refused("not_found", N_("找不到该会议。"))
    if meeting.body.preset not in DELIBERATING_BODIES:
        raise Refused("wrong_body", N_("候选名单须由社区协商议事会或居民代表会议表决。"))
    if round_.shortlist_fixed_dt is not None:
        raise Refused("conflict", N_("候选名单已经确定。"))
    if round_.agenda_item_id is not None:
        raise Refused("already_on_agenda", N_("候选名单已列入会议议程。"))
    ideas = feasible_ideas(round_)
    if not ideas:
        raise Refused("conflict", N_("还没有审核可行的项目。"))
    item = meetings.add_item(actor, meeting, title=f"{round_.title}（民生微实事候选名单）",
                             description=_agenda_text(round_, ideas), for_vote=True, now=now)
    round_.agenda_item_id = item.id
    round_.agenda_ideas_text = ",".join(str(i.id) for i in ideas)
    round_.updated_dt = now
    audit.record("micro_round.scheduled", actor=actor, obj=round_, meeting_id=meeting.id, item_id=item.id,
                 ideas=[i.id for i in ideas], starts=format_local(meeting.start_dt))
    send_changed(round_.id, "scheduled")
    db.session.flush()
    return item


def on_vote_closed(vote, meeting=None, item=None, result=None, actor=None, **_):
    """Subscriber of `vote_closing_in_transaction`: a vote on a round's agenda item fixes the
    shortlist when it passed with a quorum; otherwise the list may go to another meeting."""
    if item is None:
        return
    round_ = MicroRound.query.filter_by(agenda_item_id=item.id).first()
    if round_ is None:
        return
    result = result or {}
    passed = bool(result.get("passed")) and bool(result.get("quorum_met"))
    now = utcnow()
    round_.shortlist_result_text = f"{meeting.body.name}：{result.get('text', '')}"
    if passed:
        ids = round_.agenda_idea_ids
        for idea in MicroIdea.query.filter(MicroIdea.id.in_(ids), MicroIdea.screening == Screening.FEASIBLE):
            idea.is_shortlisted = True
        round_.shortlist_vote_id, round_.shortlist_fixed_dt = vote.id, now
    else:
        round_.agenda_item_id = None   # free to go before another meeting
    round_.updated_dt = now
    audit.record("micro_round.deliberated", actor=actor, obj=round_, vote_id=vote.id, meeting_id=meeting.id,
                 passed=passed, text=result.get("text"))
    send_changed(round_.id, "shortlist_fixed" if passed else "shortlist_rejected")
    db.session.flush()

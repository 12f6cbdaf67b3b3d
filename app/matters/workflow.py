"""Pure rules of a major matter (重大事项) through 四议两公开: seven stages, who decides each,
what a vote on a matter's agenda item does, objections and their deadlines.

Plain data in, data or a `Refused` out; "now" is an argument. No Flask, no SQLAlchemy.

Decisions the rest of the app relies on:

- Stages 1–4 and the supervisory confirmation advance only through a vote on an agenda item of a
  meeting of the body that stage needs (`STAGE_BODIES`). A vote of any other body advances
  nothing: `purpose_for` refuses it, and the matters area records the refusal in the audit log.
- Where one person holds both posts (the party branch's chair also chairs the two committees,
  "一肩挑"), stage 1 may be merged into stage 2: one two-committees vote then decides both, and both
  history rows say so (`is_merged`).
- A vote that did not meet its quorum decides nothing (the matter stays, the row says why).
  A vote that failed at stage 1 leaves the matter at stage 1; at stages 2–4 it sends the matter back
  to stage 1 with the reasons. The supervisory committee refusing to confirm keeps the matter in
  implementation.
- Stage 5 (决议公开) starts by itself when stage 4 passes. The notice stays up at least
  `MIN_OBJECTION_DAYS` days; each objection is to be answered within `ANSWER_DAYS` days
  (later is flagged overdue). An objection is resolved when its author accepts the answer;
  every other objection must go on the agenda of a party members' assembly, which votes on it:
  passed, the resolution stands; failed, the matter goes back to stage 1.
  Implementation starts only after the window, with every objection answered and every
  unresolved one decided by that assembly.
- Stage 7 (实施结果公开) is published by the supervisory committee's vote confirming the result,
  held once a final report (100 %) exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum

from app.community.rules import meeting_name
from app.core.i18n import N_, NP_, Message, render
from app.core.refusal import Refused

MIN_OBJECTION_DAYS = 7
MAX_OBJECTION_DAYS = 60
ANSWER_DAYS = 3



class MatterStage(str, Enum):
    proposal = "proposal"
    consultation = "consultation"
    review = "review"
    resolution = "resolution"
    resolution_public = "resolution_public"
    implementation = "implementation"
    result_public = "result_public"

    @property
    def label(self):
        return render(STAGE_LABELS[self])

    @property
    def message(self):
        """The label as a text translated when shown (a parameter of a notification)."""
        return Message(STAGE_LABELS[self])

    @property
    def number(self):
        return STAGES.index(self) + 1

    @property
    def is_published(self):
        return self.number >= 5


STAGES = list(MatterStage)

STAGE_LABELS = {
    MatterStage.proposal: N_("党支部会提议"),
    MatterStage.consultation: N_("两委会商议"),
    MatterStage.review: N_("党员大会审议"),
    MatterStage.resolution: N_("居民代表会议（或居民会议）决议"),
    MatterStage.resolution_public: N_("决议公开"),
    MatterStage.implementation: N_("组织实施"),
    MatterStage.result_public: N_("实施结果公开"),
}

# What each stage produces (shown on the timeline).
STAGE_PRODUCTS = {
    MatterStage.proposal: N_("提出初步方案"),
    MatterStage.consultation: N_("形成修改方案"),
    MatterStage.review: N_("审议通过方案"),
    MatterStage.resolution: N_("表决形成决议"),
    MatterStage.resolution_public: N_("公告决议，接受居民异议"),
    MatterStage.implementation: N_("组织实施，公开进度"),
    MatterStage.result_public: N_("居务监督委员会确认后公开实施结果"),
}

# Who acts at the stages no vote decides (the trail's line under each stage's name).
STAGE_ACTORS = {
    MatterStage.resolution_public: N_("社区两委公告，居民可提出异议；未解决的异议提交党员大会审议"),
    MatterStage.implementation: N_("两委、承办单位组织实施"),
    MatterStage.result_public: N_("居务监督委员会确认"),
}

PARTY_BRANCH = "party_branch_committee"
TWO_COMMITTEES = "two_committees"
PARTY_ASSEMBLY = "party_members_assembly"
SUPERVISORY = "supervisory_committee"

# The bodies whose vote decides a stage.
STAGE_BODIES = {
    MatterStage.proposal: (PARTY_BRANCH,),
    MatterStage.consultation: (TWO_COMMITTEES,),
    MatterStage.review: (PARTY_ASSEMBLY,),
    MatterStage.resolution: ("representatives_assembly", "residents_assembly"),
    MatterStage.resolution_public: (PARTY_ASSEMBLY,),     # unresolved objections only
    MatterStage.implementation: (SUPERVISORY,),           # confirming the result
    MatterStage.result_public: (),
}

BODY_NAMES = {
    PARTY_BRANCH: "党支部委员会",
    TWO_COMMITTEES: "两委联席会议",
    PARTY_ASSEMBLY: "党员大会",
    "representatives_assembly": "居民代表会议",
    "residents_assembly": "居民会议",
    SUPERVISORY: "居务监督委员会",
}

# Stages a vote can send back from (DESIGN §4: a failed vote at stages 2–4 returns to stage 1).
SEND_BACK_STAGES = frozenset({MatterStage.consultation, MatterStage.review, MatterStage.resolution})
PLAN_EDITABLE = frozenset({MatterStage.proposal, MatterStage.consultation})


class Purpose(str, Enum):
    """What a vote on a matter's agenda item decides."""

    decide = "decide"            # the current stage (1–4)
    merged = "merged"            # stages 1 and 2 at once (一肩挑)
    objections = "objections"    # unresolved objections to the published resolution
    confirm = "confirm"          # the supervisory committee confirms the result

    @property
    def label(self):
        return render(PURPOSE_LABELS[self.value])

    @property
    def message(self):
        return Message(PURPOSE_LABELS[self.value])


PURPOSE_LABELS = {"decide": N_("表决"), "merged": N_("提议与商议合并表决"),
                  "objections": N_("审议未解决的异议"), "confirm": N_("确认实施结果")}


class Outcome(str, Enum):
    advanced = "advanced"                # passed: on to the next stage
    rejected = "rejected"                # failed at stage 1 (or merged 1+2): stays at stage 1
    sent_back = "sent_back"              # failed at stages 2–4, or objections upheld: back to stage 1
    invalid = "invalid"                  # quorum not met: decides nothing
    overruled = "overruled"              # the assembly let the resolution stand over the objections
    not_confirmed = "not_confirmed"      # the supervisory committee did not confirm
    published = "published"              # a publication or a start without a vote (stage 5 → 6)

    @property
    def label(self):
        return render({"advanced": N_("通过"), "rejected": N_("未通过"),
                       "sent_back": N_("未通过，退回第一阶段重新提议"),
                       "invalid": N_("未达到法定人数，表决无效"),
                       "overruled": N_("异议经党员大会审议，决议维持"),
                       "not_confirmed": N_("居务监督委员会未确认"), "published": N_("已完成")}[self.value])


def stage_of(value):
    try:
        return MatterStage(value)
    except ValueError:
        raise Refused("unknown_stage", N_("未知的阶段。")) from None


def next_stage(stage):
    stage = stage_of(stage)
    if stage is MatterStage.result_public:
        return None
    return STAGES[STAGES.index(stage) + 1]


def bodies_text(presets):
    return render(N_("或")).join(BODY_NAMES.get(p, p) for p in presets)


def meetings_text(presets):
    """「党员大会或居民代表会议」: the bodies' meetings, each called by its own name."""
    return render(N_("或")).join(meeting_name(BODY_NAMES.get(p, p)) for p in presets)


def purpose_for(stage, preset, *, merge_allowed=False):
    """What a meeting of the body with `preset` may decide about a matter at `stage`, or Refused."""
    stage = stage_of(stage)
    if stage is MatterStage.result_public:
        raise Refused("finished", N_("实施结果已经公开，事项已办结。"))
    if stage is MatterStage.proposal and preset == TWO_COMMITTEES:
        if merge_allowed:
            return Purpose.merged
        raise Refused("merge_not_allowed", N_("只有党支部书记同时主持两委联席会议（一肩挑）时，党支部会提议才能与两委会商议合并进行；"
                      "请先由党支部委员会会议提议。"))
    if preset not in STAGE_BODIES[stage]:
        if stage is MatterStage.resolution_public:
            raise Refused("wrong_body", N_("决议公开期间只有党员大会可以审议未解决的异议。"))
        if stage is MatterStage.implementation:
            raise Refused("wrong_body", N_("实施结果须由居务监督委员会确认。"))
        raise Refused("wrong_body", N_("事项处于「%(stage)s」阶段，须由%(bodies)s表决，"
                                       "%(body)s的会议不能决定这一阶段。"),
                      stage=stage.message, bodies=meetings_text(STAGE_BODIES[stage]),
                      body=BODY_NAMES.get(preset, preset))
    if stage is MatterStage.resolution_public:
        return Purpose.objections
    if stage is MatterStage.implementation:
        return Purpose.confirm
    return Purpose.decide


@dataclass(frozen=True)
class Step:
    """One history row: a stage decided (or not) by one vote, or a change without a vote."""

    stage: MatterStage
    passed: bool
    outcome: Outcome
    is_merged: bool = False


@dataclass(frozen=True)
class Move:
    from_stage: MatterStage
    to_stage: MatterStage
    steps: tuple
    outcome: Outcome
    publish_resolution: bool = False
    publish_result: bool = False
    note: Message | str = ""

    @property
    def changed(self):
        return self.from_stage is not self.to_stage

    @property
    def sent_back(self):
        return self.outcome is Outcome.sent_back


def on_vote(stage, purpose, *, passed, quorum_met):
    """What a closed vote on the matter's item does. `passed` is None for a choice vote (refused)."""
    stage = stage_of(stage)
    purpose = Purpose(purpose)
    if passed is None:
        raise Refused("not_a_motion", N_("这是一项选择性表决，不是对事项的赞成或反对，不能决定事项。"))
    expected = {
        Purpose.decide: {MatterStage.proposal, MatterStage.consultation, MatterStage.review,
                         MatterStage.resolution},
        Purpose.merged: {MatterStage.proposal},
        Purpose.objections: {MatterStage.resolution_public},
        Purpose.confirm: {MatterStage.implementation},
    }[purpose]
    if stage not in expected:
        raise Refused("wrong_stage", N_("事项已处于「%(stage)s」阶段，这项表决不再决定它。"), stage=stage.message)
    merged = purpose is Purpose.merged
    if not quorum_met:
        return Move(stage, stage, (Step(stage, False, Outcome.invalid, merged),), Outcome.invalid,
                    note=N_("未达到法定人数，表决无效，事项停留在本阶段"))
    if purpose is Purpose.confirm:
        if passed:
            return Move(stage, MatterStage.result_public, (Step(stage, True, Outcome.advanced),),
                        Outcome.advanced, publish_result=True, note=N_("居务监督委员会确认，实施结果公开"))
        return Move(stage, stage, (Step(stage, False, Outcome.not_confirmed),), Outcome.not_confirmed,
                    note=N_("居务监督委员会未确认实施结果，继续组织实施"))
    if purpose is Purpose.objections:
        if passed:
            return Move(stage, stage, (Step(stage, True, Outcome.overruled),), Outcome.overruled,
                        note=N_("党员大会审议异议后维持决议"))
        return Move(stage, MatterStage.proposal, (Step(stage, False, Outcome.sent_back),),
                    Outcome.sent_back, note=N_("党员大会认为异议成立，退回第一阶段重新提议"))
    if merged:
        if passed:
            steps = (Step(MatterStage.proposal, True, Outcome.advanced, True),
                     Step(MatterStage.consultation, True, Outcome.advanced, True))
            return Move(stage, MatterStage.review, steps, Outcome.advanced,
                        note=N_("党支部会提议与两委会商议合并进行（一肩挑），通过"))
        return Move(stage, stage, (Step(stage, False, Outcome.rejected, True),), Outcome.rejected,
                    note=N_("合并表决未通过，事项停留在第一阶段"))
    if passed:
        target = next_stage(stage)
        return Move(stage, target, (Step(stage, True, Outcome.advanced),), Outcome.advanced,
                    publish_resolution=target is MatterStage.resolution_public,
                    note=Message(N_("「%(stage)s」通过，进入「%(next)s」"), stage=stage.message,
                                 next=target.message))
    if stage in SEND_BACK_STAGES:
        return Move(stage, MatterStage.proposal, (Step(stage, False, Outcome.sent_back),),
                    Outcome.sent_back, note=Message(N_("「%(stage)s」未通过，退回第一阶段重新提议"),
                                                    stage=stage.message))
    return Move(stage, stage, (Step(stage, False, Outcome.rejected),), Outcome.rejected,
                note=N_("党支部会未通过提议，事项停留在第一阶段"))


# -- plan, schedule --------------------------------------------------------------------------

def check_plan_editable(stage):
    stage = stage_of(stage)
    if stage not in PLAN_EDITABLE:
        raise Refused("plan_locked", N_("方案在党员大会审议前定稿：进入「党员大会审议」阶段后不能再修改。"))


@dataclass(frozen=True)
class ObjectionSnap:
    """An objection as the rules see it."""

    created_dt: datetime
    answered_dt: datetime | None = None
    accepted: bool = False          # its author accepted the answer: resolved
    scheduled: bool = False         # on the agenda of a party members' assembly
    reviewed: bool = False          # that assembly voted and let the resolution stand

    @property
    def is_resolved(self):
        return self.accepted or self.reviewed


def check_schedule(stage, purpose, *, objections=(), has_final_report=False, plan_with_notice=False,
                   meeting_announced=False):
    """May a matter at `stage` go on a meeting's agenda for `purpose`? Refused with the reason."""
    stage = stage_of(stage)
    purpose = Purpose(purpose)
    if purpose is Purpose.objections:
        waiting = [o for o in objections if not o.is_resolved and not o.scheduled]
        if not waiting:
            raise Refused("no_objections", N_("没有需要提交党员大会审议的异议（已解决或已列入议程）。"))
    if purpose is Purpose.confirm and not has_final_report:
        raise Refused("no_final_report", N_("请先发布完成度为 100% 的实施报告，再提请居务监督委员会确认。"))
    if plan_with_notice and purpose is Purpose.decide and meeting_announced:
        raise Refused("notice_sent", N_("党员大会须随会议通知送达方案：这次会议的通知已经发出，请安排尚未发通知的会议。"))


# -- objections -------------------------------------------------------------------------------

def objection_days(configured):
    """The notice period in days: as configured, never under the legal minimum."""
    if configured is None:
        return MIN_OBJECTION_DAYS
    return max(MIN_OBJECTION_DAYS, int(configured))


def check_objection_days(days):
    if isinstance(days, bool) or not isinstance(days, int) or \
            not MIN_OBJECTION_DAYS <= days <= MAX_OBJECTION_DAYS:
        raise Refused("objection_days", N_("决议公示期须为 %(min)d 到 %(max)d 天。"),
                      min=MIN_OBJECTION_DAYS, max=MAX_OBJECTION_DAYS)
    return days


def window_end(published_dt, days):
    return published_dt + timedelta(days=objection_days(days))


def check_object(stage, published_dt, days, now):
    stage = stage_of(stage)
    if stage is not MatterStage.resolution_public or published_dt is None:
        raise Refused("not_public", N_("只有在决议公示期内才能提出异议。"))
    if now < published_dt:
        raise Refused("not_public", N_("决议尚未公示。"))
    if now >= window_end(published_dt, days):
        raise Refused("window_closed", N_("决议公示期已经结束，不能再提出异议。"))


def answer_due(created_dt):
    return created_dt + timedelta(days=ANSWER_DAYS)


def is_overdue(created_dt, answered_dt, now):
    """Unanswered past the deadline, or answered after it."""
    due = answer_due(created_dt)
    return (answered_dt if answered_dt is not None else now) > due


def check_answer(answered_dt):
    if answered_dt is not None:
        raise Refused("already_answered", N_("这条异议已经答复过了。"))


def check_accept(answered_dt, accepted):
    if answered_dt is None:
        raise Refused("not_answered", N_("工作人员答复后才能表示接受。"))
    if accepted:
        raise Refused("already_accepted", N_("您已经接受了这条答复。"))


def check_start_implementation(stage, published_dt, days, now, objections):
    """Stage 5 → 6: after the window, every objection answered, every unresolved one decided."""
    stage = stage_of(stage)
    if stage is not MatterStage.resolution_public:
        raise Refused("wrong_stage", N_("只有决议公示之后才能组织实施。"))
    end = window_end(published_dt, days)
    if now < end:
        raise Refused("window_open", NP_("决议公示期尚未结束（至少公示 %(num)d 天），不能开始实施。",
                                         "决议公示期尚未结束（至少公示 %(num)d 天），不能开始实施。"),
                      num=objection_days(days))
    unanswered = [o for o in objections if o.answered_dt is None]
    if unanswered:
        raise Refused("unanswered", NP_("还有 %(num)d 条异议没有答复，不能开始实施。",
                                        "还有 %(num)d 条异议没有答复，不能开始实施。"), num=len(unanswered))
    unresolved = [o for o in objections if not o.is_resolved]
    if unresolved:
        if any(not o.scheduled for o in unresolved):
            raise Refused("objections_unresolved",
                          NP_("还有 %(num)d 条异议未解决：须提交党员大会审议后才能开始实施。",
                              "还有 %(num)d 条异议未解决：须提交党员大会审议后才能开始实施。"),
                          num=len(unresolved))
        raise Refused("objections_pending", N_("未解决的异议已列入党员大会议程，须待党员大会审议通过后才能开始实施。"))


# -- implementation ----------------------------------------------------------------------------

def check_report(stage, percent_done, spent_fen):
    stage = stage_of(stage)
    if stage is not MatterStage.implementation:
        raise Refused("wrong_stage", N_("只有在组织实施阶段才能发布实施报告。"))
    if isinstance(percent_done, bool) or not isinstance(percent_done, int) or not 0 <= percent_done <= 100:
        raise Refused("percent", N_("完成度须是 0 到 100 之间的整数。"))
    if isinstance(spent_fen, bool) or not isinstance(spent_fen, int) or spent_fen < 0:
        raise Refused("spent", N_("已用资金不能为负数。"))


# -- the timeline --------------------------------------------------------------------------------

STATE_LABELS = {"done": N_("已完成"), "current": N_("进行中"), "pending": N_("未开始"), "failed": N_("未通过")}


def stage_states(current, history):
    """{stage: done | current | pending | failed} for the timeline.

    `history` is the ordered list of Steps. Stages before the current one are done; a stage after
    it is failed when the last send-back happened there (it must be passed again), else pending.
    The last stage, once reached, is done.
    """
    current = stage_of(current)
    last_back = next((s for s in reversed(history) if s.outcome is Outcome.sent_back), None)
    states = {}
    for stage in STAGES:
        if stage.number < current.number or (stage is current and stage is MatterStage.result_public):
            states[stage] = "done"
        elif stage is current:
            states[stage] = "current"
        elif last_back is not None and last_back.stage is stage:
            states[stage] = "failed"
        else:
            states[stage] = "pending"
    return states


# -- money -------------------------------------------------------------------------------------

def parse_yuan(text):
    """'12345.6' or '12,345.67 元' → fen as an int; None for empty. Refused on anything else."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise Refused("budget", N_("金额格式不正确。"))
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, Decimal):
        value = text
    else:
        cleaned = str(text).strip().replace(",", "").replace("，", "").removesuffix("元").strip()
        if not cleaned:
            return None
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise Refused("budget", N_("金额格式不正确，例如 12000 或 12000.50。")) from None
    if not value.is_finite() or value < 0:
        raise Refused("budget", N_("金额不能为负数。"))
    if value > Decimal("100000000000"):
        raise Refused("budget", N_("金额过大。"))
    if value != value.quantize(Decimal("0.01")):
        raise Refused("budget", N_("金额最多精确到分。"))
    return int(value * 100)


def format_yuan(fen):
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return render(N_("%(amount)s 元"), {"amount": f"{sign}{yuan:,}.{cents:02d}"})

"""State machine of a resident proposal: who may move it where, and until when.

Kept as one pure module over 500 lines on purpose: the states, roles, deadlines and the
per-action rules refer to one another and are read (and tested) as one table.

Plain data in, a `Transition` or a `Refused` out; the clock is always an argument and
every datetime is naive UTC. Decisions the rest of the app relies on:

- Periods are half-open, [start, end): at the end instant the time is up. So a co-sign at exactly
  `published_dt + window_days` is refused, a proposal is overdue at exactly its due instant, an
  extension at exactly `reply_due_dt` is refused, and a return at exactly
  `assigned_dt + return_days` is refused.
- Late work is never refused: a review or reply after its deadline is accepted and the item is
  flagged overdue instead, because refusing would leave it stuck for good.
- There is no `rated` state. The author's rating moves the proposal on at once (满意/基本满意 →
  `closed`; the first 不满意 → `assigned` again for re-handling; 不满意 on the re-handled reply →
  `closed`), so `rated` would never be the state of anything; the rating itself is stored data.
- `withdrawn` is its own final state, so a withdrawal is never mistaken for a handled proposal.
- `expired` is derived from the clock (`effective_state`), so nothing needs a scheduler; the
  `expire` action only writes down what the clock already says.
- A returned assignment goes back to `accepted`, and staff assign again.
- `escalated` is final here: the proposal then follows its 四议两公开 matter, whose result is the
  answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from app.core.i18n import N_, NP_, Message, render
from app.core.refusal import Refused


class ProposalState(str, Enum):
    draft = "draft"
    collecting = "collecting"
    under_review = "under_review"
    accepted = "accepted"
    declined = "declined"
    merged = "merged"
    assigned = "assigned"
    answered = "answered"
    closed = "closed"
    expired = "expired"
    escalated = "escalated"
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return render(_STATE_LABELS[self.value])

    @property
    def message(self) -> Message:
        """The label as a text translated when shown (a parameter of a notification)."""
        return Message(_STATE_LABELS[self.value])

    @property
    def is_final(self) -> bool:
        return self.value in _FINAL_STATES


_STATE_LABELS = {
    "draft": N_("草稿"),
    "collecting": N_("征集附议中"),
    "under_review": N_("审查中"),
    "accepted": N_("已立案"),
    "declined": N_("不予立案"),
    "merged": N_("已并案"),
    "assigned": N_("办理中"),
    "answered": N_("已答复"),
    "closed": N_("已办结"),
    "expired": N_("已过期"),
    "escalated": N_("已转为四议两公开事项"),
    "withdrawn": N_("已撤回"),
}
_FINAL_STATES = frozenset({"declined", "merged", "closed", "expired", "escalated", "withdrawn"})


class Action(str, Enum):
    publish = "publish"
    cosign = "cosign"
    take_to_review = "take_to_review"
    expire = "expire"
    accept = "accept"
    decline = "decline"
    merge = "merge"
    assign = "assign"
    extend = "extend"
    return_assignment = "return_assignment"
    answer = "answer"
    rate = "rate"
    escalate = "escalate"
    withdraw = "withdraw"

    @property
    def label(self) -> str:
        return render(_ACTION_LABELS[self.value])

    @property
    def message(self) -> Message:
        """The label as a text translated when shown (a parameter of a notification)."""
        return Message(_ACTION_LABELS[self.value])


_ACTION_LABELS = {
    "publish": N_("发布"),
    "cosign": N_("附议"),
    "take_to_review": N_("直接提交审查"),
    "expire": N_("标记过期"),
    "accept": N_("立案"),
    "decline": N_("不予立案"),
    "merge": N_("并案"),
    "assign": N_("交办"),
    "extend": N_("延期"),
    "return_assignment": N_("退回交办"),
    "answer": N_("答复"),
    "rate": N_("评价"),
    "escalate": N_("转为四议两公开事项"),
    "withdraw": N_("撤回"),
}


class Role(str, Enum):
    """The capacity in which someone acts on one proposal; a person may hold several.

    author: the proposal's author, a verified resident (an unverified author acts as
    `unverified`); resident: a verified resident of the community who is not the author;
    unverified: registered in the community, not yet verified; staff: committee member or
    community staff; handler: a person of the organisation the proposal is assigned to;
    other: anyone outside the community.
    """

    author = "author"
    resident = "resident"
    unverified = "unverified"
    staff = "staff"
    handler = "handler"
    other = "other"

    @property
    def label(self) -> str:
        return render(_ROLE_LABELS[self.value])


_ROLE_LABELS = {
    "author": N_("提案人"),
    "resident": N_("居民"),
    "unverified": N_("未认证用户"),
    "staff": N_("两委成员或社区工作人员"),
    "handler": N_("承办单位"),
    "other": N_("社区外人员"),
}


class DeclineGround(str, Enum):
    not_community_affair = "not_community_affair"
    personal_matter = "personal_matter"
    in_litigation = "in_litigation"
    advertising = "advertising"
    accuses_person = "accuses_person"
    no_suggestion = "no_suggestion"
    unlawful = "unlawful"

    @property
    def label(self) -> str:
        return render(_GROUND_LABELS[self.value])

    @property
    def message(self) -> Message:
        """The label as a text translated when shown (a parameter of a notification)."""
        return Message(_GROUND_LABELS[self.value])


_GROUND_LABELS = {
    "not_community_affair": N_("不属于社区公共事务"),
    "personal_matter": N_("属于个人或家庭私事"),
    "in_litigation": N_("已进入诉讼或仲裁程序"),
    "advertising": N_("宣传推销产品"),
    "accuses_person": N_("点名指控他人"),
    "no_suggestion": N_("没有具体建议"),
    "unlawful": N_("内容违反法律法规"),
}


class ReplyCategory(str, Enum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def label(self) -> str:
        return render(_CATEGORY_LABELS[self.value])

    @property
    def message(self) -> Message:
        """The label as a text translated when shown (a parameter of a notification)."""
        return Message(_CATEGORY_LABELS[self.value])


_CATEGORY_LABELS = {
    "A": N_("已解决或基本解决"),
    "B": N_("正在解决或已列入计划"),
    "C": N_("因条件限制暂时不能解决"),
    "D": N_("留作参考"),
}


class Rating(str, Enum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"

    @property
    def label(self) -> str:
        return render(_RATING_LABELS[self.value])

    @property
    def message(self) -> Message:
        """The label as a text translated when shown (a parameter of a notification)."""
        return Message(_RATING_LABELS[self.value])


_RATING_LABELS = {
    "satisfied": N_("满意"),
    "basically_satisfied": N_("基本满意"),
    "unsatisfied": N_("不满意"),
}


@dataclass(frozen=True)
class Settings:
    """One community's proposal rules; every period is in whole days."""

    cosign_threshold: int = 5
    window_days: int = 14
    review_days: int = 7
    reply_days: int = 30
    rehandle_days: int = 15
    return_days: int = 5
    # The one extension is capped so that "extendable once" cannot become "open-ended"; the
    # default matches the re-handling period.
    extend_days: int = 15

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Settings.{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class Snapshot:
    """What the rule needs to know about one proposal, as stored.

    cosign_count counts co-signers only, never the author. review_started_dt is when the
    proposal entered `under_review`; assigned_dt and reply_due_dt belong to the current
    assignment (re-handling is a new assignment); is_extended is set once the one extension
    was used and never cleared; rehandle_count is 1 once 不满意 sent the proposal back.
    """

    state: ProposalState
    published_dt: datetime | None = None
    cosign_count: int = 0
    review_started_dt: datetime | None = None
    assigned_dt: datetime | None = None
    reply_due_dt: datetime | None = None
    is_extended: bool = False
    rehandle_count: int = 0

    def __post_init__(self) -> None:
        # Accept the plain strings a database column holds.
        object.__setattr__(self, "state", ProposalState(self.state))
        for name in ("published_dt", "review_started_dt", "assigned_dt", "reply_due_dt"):
            value = getattr(self, name)
            if value is not None:
                _require_naive(value, name)
        # A missing date would silently turn a countdown off, so wiring mistakes fail loudly.
        for name in _REQUIRED_FIELDS.get(self.state, ()):
            if getattr(self, name) is None:
                raise ValueError(f"a {self.state.value} proposal needs {name}")


_REQUIRED_FIELDS = {
    ProposalState.collecting: ("published_dt",),
    ProposalState.under_review: ("review_started_dt",),
    ProposalState.assigned: ("assigned_dt", "reply_due_dt"),
}


@dataclass(frozen=True)
class Transition:
    """An allowed move. from_state is the stored state (use it as a compare-and-set guard);
    due_dt is the deadline in force after the move, or None when the new state has none."""

    from_state: ProposalState
    to_state: ProposalState
    action: Action
    due_dt: datetime | None
    note: Message


@dataclass(frozen=True)
class Deadline:
    """The deadline currently running; seconds_left is positive exactly while it is not overdue."""

    kind: str  # "window", "review", "assign" or "reply"
    due_dt: datetime
    seconds_left: int
    is_overdue: bool

    @property
    def label(self) -> str:
        return render(_DEADLINE_LABELS[self.kind])


_DEADLINE_LABELS = {
    "window": N_("附议截止"),
    "review": N_("审查期限"),
    "assign": N_("交办期限"),
    "reply": N_("答复期限"),
}


def _require_naive(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is not None:
        raise ValueError(f"{name} must be naive UTC")


def window_end(snap: Snapshot, settings: Settings) -> datetime | None:
    if snap.published_dt is None:
        return None
    return snap.published_dt + timedelta(days=settings.window_days)


def review_due(snap: Snapshot, settings: Settings) -> datetime | None:
    if snap.review_started_dt is None:
        return None
    return snap.review_started_dt + timedelta(days=settings.review_days)


def effective_state(snap: Snapshot, now: datetime, settings: Settings) -> ProposalState:
    """The stored state, corrected by the clock: a lapsed collection is `expired`."""
    _require_naive(now, "now")
    if (
        snap.state is ProposalState.collecting
        and now >= window_end(snap, settings)
        and snap.cosign_count < settings.cosign_threshold
    ):
        return ProposalState.expired
    return snap.state


# A proposal can take another in only while its reply is still to come: the merged one's author
# and co-signers follow it to hear that reply (DESIGN §3.3). Once answered, closed or final there
# is nothing left for them to hear.
MERGE_TARGET_STATES = frozenset({ProposalState.collecting, ProposalState.under_review,
                                 ProposalState.accepted, ProposalState.assigned})


def can_be_cosigned(state: ProposalState) -> bool:
    """Whether a proposal in this (effective) state still takes co-signs."""
    return ProposalState(state) in _FROM[Action.cosign]


def can_absorb_merge(state: ProposalState) -> bool:
    """Whether a proposal in this (effective) state may be the target of a merge."""
    return ProposalState(state) in MERGE_TARGET_STATES


def deadlines(snap: Snapshot, now: datetime, settings: Settings) -> Deadline | None:
    """The deadline running now, or None (drafts, answered and final proposals have none)."""
    return standing(snap, now, settings)[1]


def standing(snap: Snapshot, now: datetime, settings: Settings) -> tuple[ProposalState, Deadline | None]:
    """What a list shows of a proposal: its effective state and the deadline running now (None
    for drafts, answered and final proposals), decided together."""
    state = effective_state(snap, now, settings)
    if state is ProposalState.collecting:
        kind, due = "window", window_end(snap, settings)
    elif state is ProposalState.under_review:
        kind, due = "review", review_due(snap, settings)
    elif state is ProposalState.accepted:
        # Screening includes handing the proposal over, so the review period runs on until it is
        # assigned; a returned assignment therefore shows up as overdue and gets reassigned fast.
        kind, due = "assign", review_due(snap, settings)
    elif state is ProposalState.assigned:
        kind, due = "reply", snap.reply_due_dt
    else:
        return state, None
    if due is None:
        return state, None
    left = math.ceil((due - now).total_seconds())
    return state, Deadline(kind=kind, due_dt=due, seconds_left=left, is_overdue=now >= due)


def is_overdue(snap: Snapshot, now: datetime, settings: Settings) -> bool:
    deadline = deadlines(snap, now, settings)
    return deadline is not None and deadline.is_overdue


# Which (effective) states each action starts from. `expire` additionally needs the stored state
# to still be `collecting`.
_FROM = {
    Action.publish: {ProposalState.draft},
    Action.cosign: {ProposalState.collecting},
    Action.take_to_review: {ProposalState.collecting},
    Action.expire: {ProposalState.expired},
    Action.accept: {ProposalState.under_review},
    Action.decline: {ProposalState.under_review},
    Action.merge: {ProposalState.under_review},
    Action.assign: {ProposalState.accepted},
    Action.extend: {ProposalState.assigned},
    Action.return_assignment: {ProposalState.assigned},
    Action.answer: {ProposalState.assigned},
    Action.rate: {ProposalState.answered},
    Action.escalate: {ProposalState.under_review, ProposalState.accepted, ProposalState.assigned},
    Action.withdraw: {ProposalState.draft, ProposalState.collecting},
}

# Who may take each action. Anyone may record an expiry: it is a fact of the clock, and whoever's
# request notices it first writes it down.
_WHO = {
    Action.publish: {Role.author},
    Action.cosign: {Role.resident},
    Action.take_to_review: {Role.staff},
    Action.expire: set(Role),
    Action.accept: {Role.staff},
    Action.decline: {Role.staff},
    Action.merge: {Role.staff},
    Action.assign: {Role.staff},
    Action.extend: {Role.staff, Role.handler},
    Action.return_assignment: {Role.handler},
    Action.answer: {Role.handler},
    Action.rate: {Role.author},
    Action.escalate: {Role.staff},
    Action.withdraw: {Role.author},
}


def decide(
    snap: Snapshot,
    action: Action,
    role: Role | Iterable[Role],
    now: datetime,
    settings: Settings,
    *,
    reason: str = "",
    ground: DeclineGround | str | None = None,
    category: ReplyCategory | str | None = None,
    rating: Rating | str | None = None,
    days: int | None = None,
    has_cosigned: bool = False,
) -> Transition:
    """Decide whether `role` may take `action` now, and what follows; raise Refused.

    `role` may be several roles (a committee member who also lives in the community): the first
    that may act wins. `has_cosigned` says whether this person already co-signed.
    """
    action = Action(action)
    roles = _as_roles(role)
    state = effective_state(snap, now, settings)
    inputs = _Inputs(reason=(reason or "").strip(), ground=ground, category=category,
                     rating=rating, days=days, has_cosigned=has_cosigned)
    refusals = []
    for one in roles:
        try:
            return _decide_as(snap, state, action, one, now, settings, inputs)
        except Refused as refused:
            refusals.append(refused)
    if not refusals:
        raise Refused("not_allowed", N_("您无权%(action)s此提案"), action=_said(_ACTION_LABELS, action))
    # A role that was allowed but stopped by something else explains more than "not allowed".
    raise next((r for r in refusals if r.code != "not_allowed"), refusals[0])


def allowed_actions(
    snap: Snapshot,
    role: Role | Iterable[Role],
    now: datetime,
    settings: Settings,
    *,
    has_cosigned: bool = False,
) -> list[Action]:
    """The actions whose buttons would work, given complete input; `expire` is never a button."""
    allowed = []
    for action in Action:
        if action is Action.expire:
            continue
        try:
            decide(snap, action, role, now, settings, has_cosigned=has_cosigned, **_PROBE)
        except Refused:
            continue
        allowed.append(action)
    return allowed


@dataclass(frozen=True)
class _Inputs:
    reason: str
    ground: DeclineGround | str | None
    category: ReplyCategory | str | None
    rating: Rating | str | None
    days: int | None
    has_cosigned: bool


# Complete, valid input: a button is shown when the action is possible once the form is filled in.
_PROBE = {
    "reason": "probe",
    "ground": DeclineGround.not_community_affair,
    "category": ReplyCategory.A,
    "rating": Rating.satisfied,
}


def _as_roles(role: Role | str | Iterable[Role]) -> tuple[Role, ...]:
    # Role is a str, so test for a single role before treating the argument as a collection.
    if isinstance(role, str):
        return (Role(role),)
    return tuple(Role(r) for r in role)


def _decide_as(snap, state, action, role, now, settings, inputs) -> Transition:
    if state not in _FROM[action] or (
        action is Action.expire and snap.state is not ProposalState.collecting
    ):
        if action is Action.cosign and state is ProposalState.expired:
            raise Refused("window_closed", N_("附议期已结束，不能再附议"))
        raise Refused("wrong_state", N_("该提案当前为「%(state)s」，不能%(action)s"),
                      state=_said(_STATE_LABELS, state), action=_said(_ACTION_LABELS, action))
    if role not in _WHO[action]:
        raise Refused("not_allowed", _not_allowed_message(action, role),
                      action=_said(_ACTION_LABELS, action))
    return _RULES[action](snap, action, now, settings, inputs)


def _said(labels, key) -> Message:
    """A label as a parameter of a message: translated with it, when shown."""
    return Message(labels[getattr(key, "value", key)])


def _not_allowed_message(action: Action, role: Role) -> str:
    """The msgid (with the parameter `action`) that says who may take this action instead."""
    if role is Role.other:
        return N_("您不是本社区成员，不能%(action)s此提案")
    if role is Role.unverified:
        return N_("请先完成居民身份认证，再%(action)s")
    if action is Action.cosign and role is Role.author:
        return N_("提案人不能为自己的提案附议")
    who = _WHO[action]
    if who == {Role.author}:
        return N_("只有提案人可以%(action)s")
    if who == {Role.resident}:
        return N_("只有已认证的本社区居民可以%(action)s")
    if who == {Role.staff}:
        return N_("只有两委成员或社区工作人员可以%(action)s")
    if who == {Role.handler}:
        return N_("只有承办单位可以%(action)s")
    return N_("只有承办单位或两委成员可以%(action)s")


def _move(snap, action, to_state, due_dt, note, **params) -> Transition:
    return Transition(from_state=snap.state, to_state=to_state, action=action, due_dt=due_dt,
                      note=Message(note, **params))


def _require_reason(inputs: _Inputs, message: str) -> None:
    if not inputs.reason:
        raise Refused("reason_required", message)


def _days(inputs: _Inputs, default: int, limit: int) -> int:
    if inputs.days is None:
        return default
    days = inputs.days
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= limit:
        raise Refused("invalid_days", N_("天数必须是 1 到 %(limit)d 之间的整数"), limit=limit)
    return days


def _enum(kind, value, code: str, message: str):
    if value is None or value == "":
        raise Refused(code, message)
    try:
        return kind(value)
    except ValueError:
        raise Refused(code, message) from None


def _publish(snap, action, now, settings, inputs):
    due = now + timedelta(days=settings.window_days)
    return _move(snap, action, ProposalState.collecting, due,
                 NP_("发布提案，征集附议 %(num)d 天，需 %(threshold)d 人附议",
                     "发布提案，征集附议 %(num)d 天，需 %(threshold)d 人附议"),
                 num=settings.window_days, threshold=settings.cosign_threshold)


def _cosign(snap, action, now, settings, inputs):
    if inputs.has_cosigned:
        raise Refused("already_cosigned", N_("您已经附议过这项提案"))
    end = window_end(snap, settings)
    # Reached only when the threshold was met but nobody took it to review; co-signs still stop.
    if now >= end:
        raise Refused("window_closed", N_("附议期已结束，不能再附议"))
    count = snap.cosign_count + 1
    if count >= settings.cosign_threshold:
        return _move(snap, action, ProposalState.under_review,
                     now + timedelta(days=settings.review_days),
                     N_("附议人数达到 %(threshold)d 人，转入审查"), threshold=settings.cosign_threshold)
    return _move(snap, action, ProposalState.collecting, end,
                 N_("附议 %(count)d/%(threshold)d 人"), count=count, threshold=settings.cosign_threshold)


def _take_to_review(snap, action, now, settings, inputs):
    return _move(snap, action, ProposalState.under_review,
                 now + timedelta(days=settings.review_days), N_("两委成员直接提交审查"))


def _expire(snap, action, now, settings, inputs):
    return _move(snap, action, ProposalState.expired, None,
                 N_("附议期满，未达到 %(threshold)d 人附议"), threshold=settings.cosign_threshold)


def _accept(snap, action, now, settings, inputs):
    return _move(snap, action, ProposalState.accepted, review_due(snap, settings), N_("立案"))


def _decline(snap, action, now, settings, inputs):
    ground = _enum(DeclineGround, inputs.ground, "ground_required", N_("请选择不予立案的理由"))
    _require_reason(inputs, N_("不予立案须写明说明，并尽量告知可以向哪里反映"))
    return _move(snap, action, ProposalState.declined, None, N_("不予立案：%(ground)s"),
                 ground=_said(_GROUND_LABELS, ground))


def _merge(snap, action, now, settings, inputs):
    return _move(snap, action, ProposalState.merged, None, N_("并入已有提案办理"))


def _assign(snap, action, now, settings, inputs):
    # A reassignment after a re-handling was returned keeps the shorter re-handling period.
    default = settings.rehandle_days if snap.rehandle_count else settings.reply_days
    # Staff may shorten the period, not lengthen it: longer goes through the audited extension.
    days = _days(inputs, default, default)
    return _move(snap, action, ProposalState.assigned, now + timedelta(days=days),
                 NP_("交办，%(num)d 天内答复", "交办，%(num)d 天内答复"), num=days)


def _extend(snap, action, now, settings, inputs):
    if snap.is_extended:
        raise Refused("already_extended", N_("答复期限只能延长一次"))
    if now >= snap.reply_due_dt:
        raise Refused("deadline_passed", N_("答复期限已过，不能再申请延期"))
    _require_reason(inputs, N_("申请延期须说明理由"))
    days = _days(inputs, settings.extend_days, settings.extend_days)
    return _move(snap, action, ProposalState.assigned, snap.reply_due_dt + timedelta(days=days),
                 NP_("答复期限延长 %(num)d 天", "答复期限延长 %(num)d 天"), num=days)


def _return_assignment(snap, action, now, settings, inputs):
    if now >= snap.assigned_dt + timedelta(days=settings.return_days):
        raise Refused("deadline_passed", NP_("交办超过 %(num)d 天，不能再退回，请办理并答复",
                                             "交办超过 %(num)d 天，不能再退回，请办理并答复"),
                      num=settings.return_days)
    _require_reason(inputs, N_("退回交办须说明理由"))
    return _move(snap, action, ProposalState.accepted, review_due(snap, settings),
                 N_("承办单位退回交办，待重新交办"))


def _answer(snap, action, now, settings, inputs):
    category = _enum(ReplyCategory, inputs.category, "category_required", N_("请选择答复类别"))
    if category is ReplyCategory.C:
        _require_reason(inputs, N_("答复为「因条件限制暂时不能解决」时须说明原因"))
    late = now >= snap.reply_due_dt
    return _move(snap, action, ProposalState.answered, None,
                 N_("逾期答复：%(code)s %(category)s") if late else N_("答复：%(code)s %(category)s"),
                 code=category.value, category=_said(_CATEGORY_LABELS, category))


def _rate(snap, action, now, settings, inputs):
    rating = _enum(Rating, inputs.rating, "rating_required", N_("请选择评价"))
    if rating is not Rating.unsatisfied:
        return _move(snap, action, ProposalState.closed, None, N_("提案人评价%(rating)s，办结"),
                     rating=_said(_RATING_LABELS, rating))
    if snap.rehandle_count == 0:
        return _move(snap, action, ProposalState.assigned,
                     now + timedelta(days=settings.rehandle_days),
                     NP_("提案人评价不满意，重新办理，%(num)d 天内答复",
                         "提案人评价不满意，重新办理，%(num)d 天内答复"), num=settings.rehandle_days)
    return _move(snap, action, ProposalState.closed, None,
                 N_("提案人评价不满意；重新办理后的答复为最终答复，办结"))


def _escalate(snap, action, now, settings, inputs):
    _require_reason(inputs, N_("转为四议两公开事项须说明理由"))
    return _move(snap, action, ProposalState.escalated, None, N_("转为四议两公开事项办理"))


def _withdraw(snap, action, now, settings, inputs):
    return _move(snap, action, ProposalState.withdrawn, None, N_("提案人撤回提案"))


_RULES = {
    Action.publish: _publish,
    Action.cosign: _cosign,
    Action.take_to_review: _take_to_review,
    Action.expire: _expire,
    Action.accept: _accept,
    Action.decline: _decline,
    Action.merge: _merge,
    Action.assign: _assign,
    Action.extend: _extend,
    Action.return_assignment: _return_assignment,
    Action.answer: _answer,
    Action.rate: _rate,
    Action.escalate: _escalate,
    Action.withdraw: _withdraw,
}

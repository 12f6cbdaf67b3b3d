"""The rules of a micro-project round (民生微实事), pure: the phase clock, the choice a ballot may
make, the paper totals a polling table may report, and the funding of projects in rank order.

Money is integer fen throughout (1 元 = 100 fen); nothing here ever uses a float. "Now" is an
argument. No Flask, no SQLAlchemy: plain values in, a frozen dataclass or a `Refused` out.
"""
from dataclasses import dataclass
from enum import Enum

from app.core.i18n import N_, Message
from app.core.refusal import Refused

FEN_PER_YUAN = 100


class Phase(str, Enum):
    upcoming = "upcoming"
    collecting = "collecting"
    screening = "screening"
    deliberation = "deliberation"
    voting = "voting"
    results = "results"
    implementation = "implementation"
    closed = "closed"

    @property
    def label(self):
        return PHASE_LABELS[self]


PHASE_LABELS = {
    Phase.upcoming: N_("未开始"),
    Phase.collecting: N_("征集项目"),
    Phase.screening: N_("审核筛选"),
    Phase.deliberation: N_("议事会协商"),
    Phase.voting: N_("居民投票"),
    Phase.results: N_("结果公示"),
    Phase.implementation: N_("组织实施"),
    Phase.closed: N_("已结束"),
}
# The order of the phases; each starts at its own date and lasts until the next one starts.
PHASES = tuple(Phase)[1:]
DATE_FIELDS = ("collect_start_dt", "screen_start_dt", "deliberate_start_dt", "vote_start_dt",
               "vote_end_dt", "implement_start_dt", "close_dt")


class Kind(str, Enum):
    """Project kinds, each with its own cap per project."""
    service = "service"
    goods = "goods"
    works = "works"

    @property
    def label(self):
        return KIND_LABELS[self]


KIND_LABELS = {Kind.service: N_("服务类"), Kind.goods: N_("货物类"), Kind.works: N_("工程类")}
# Caps as published by Shenzhen's districts: 20 万 for services and goods, 50 万 for works.
DEFAULT_CAPS_FEN = {Kind.service: 200_000 * FEN_PER_YUAN, Kind.goods: 200_000 * FEN_PER_YUAN,
                    Kind.works: 500_000 * FEN_PER_YUAN}


class Ground(str, Enum):
    """The stated grounds on which an idea is found not feasible at screening."""
    over_cap = "over_cap"
    outside_rules = "outside_rules"
    already_planned = "already_planned"
    not_remit = "not_remit"
    not_practicable = "not_practicable"
    private_interest = "private_interest"

    @property
    def label(self):
        return GROUND_LABELS[self]


GROUND_LABELS = {
    Ground.over_cap: N_("超出该类项目的资金上限"),
    Ground.outside_rules: N_("不符合民生微实事资金的使用范围"),
    Ground.already_planned: N_("已列入其他计划或正在实施"),
    Ground.not_remit: N_("不属于社区职责范围"),
    Ground.not_practicable: N_("场地、技术或产权条件不具备"),
    Ground.private_interest: N_("只涉及个人或少数人利益"),
}


class ChoiceMode(str, Enum):
    up_to_k = "up_to_k"
    within_fund = "within_fund"

    @property
    def label(self):
        return CHOICE_MODE_LABELS[self]


CHOICE_MODE_LABELS = {ChoiceMode.up_to_k: N_("最多选 k 个项目"),
                      ChoiceMode.within_fund: N_("所选项目的预算合计不超过资金总额")}


class BallotBase(str, Enum):
    person = "person"
    household = "household"

    @property
    def label(self):
        return BALLOT_BASE_LABELS[self]


BALLOT_BASE_LABELS = {BallotBase.person: N_("每位已认证居民一票"), BallotBase.household: N_("每户一票")}


class Rating(str, Enum):
    satisfied = "satisfied"
    basic = "basic"
    unsatisfied = "unsatisfied"

    @property
    def label(self):
        return RATING_LABELS[self]


RATING_LABELS = {Rating.satisfied: N_("满意"), Rating.basic: N_("基本满意"),
                 Rating.unsatisfied: N_("不满意")}

TIE_BREAK_TEXT = N_("票数相同的，预算较少的在前；预算也相同的，先提出的在前。")
FUNDING_RULE_TEXT = N_("按得票从多到少排序，依次安排资金，直到资金用完；排到的项目若剩余资金已不够，"
                       "跳过它，继续看下一个放得下的项目。没有得票的项目不安排资金。")


def yuan(fen):
    """Fen as 元 in words, exact: 12345 → '123.45'; whole 元 without decimals."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{whole:,}" if cents == 0 else f"{sign}{whole:,}.{cents:02d}"


def parse_yuan(text):
    """'1,234.5' 元 → 123450 fen, exactly (no float); None for anything else."""
    text = str(text or "").strip().replace(",", "").replace("，", "")
    if not text or text.count(".") > 1 or text.startswith("-"):
        return None
    whole, _, cents = text.partition(".")
    if not (whole or cents) or (whole and not whole.isdigit()) or (cents and not cents.isdigit()):
        return None
    if len(cents) > 2 or len(whole) > 12:
        return None
    return int(whole or "0") * FEN_PER_YUAN + int((cents + "00")[:2])


# -- the phase clock --------------------------------------------------------------------------

@dataclass(frozen=True)
class Dates:
    collect_start_dt: object
    screen_start_dt: object
    deliberate_start_dt: object
    vote_start_dt: object
    vote_end_dt: object
    implement_start_dt: object
    close_dt: object

    def ordered(self):
        return [getattr(self, name) for name in DATE_FIELDS]


def check_dates(dates):
    """Each phase starts strictly after the one before it; every date is set."""
    values = dates.ordered()
    if any(value is None for value in values):
        raise Refused("dates", N_("请填写每个阶段的开始时间。"))
    for (name, before), after in zip(zip(DATE_FIELDS, values), values[1:]):
        if not before < after:
            raise Refused("dates", N_("各阶段的时间必须依次排列：后一阶段晚于前一阶段开始。"),
                          details={name: [N_("各阶段的时间必须依次排列。")]})


def clock_phase(dates, now):
    """The phase the dates alone say it is at `now`."""
    phase = Phase.upcoming
    for candidate, start in zip(PHASES, dates.ordered()):
        if now >= start:
            phase = candidate
    return phase


@dataclass(frozen=True)
class PhaseView:
    phase: Phase
    clock: Phase        # what the dates alone say
    is_waiting: bool    # the clock says voting or later, but the shortlist is not fixed yet

    @property
    def label(self):
        return self.phase.label


def phase_at(dates, now, *, shortlist_fixed):
    """The round's phase: the clock's, except that nothing is voted on before the deliberation
    meeting has fixed the shortlist; until then the round stays in deliberation (waiting)."""
    clock = clock_phase(dates, now)
    order = list(Phase)
    if not shortlist_fixed and order.index(clock) > order.index(Phase.deliberation):
        return PhaseView(Phase.deliberation, clock, True)
    return PhaseView(clock, clock, False)


def require_phase(view, *phases):
    if view.phase not in phases:
        raise Refused("wrong_phase", N_("本轮项目现在处于“%(phase)s”阶段，不能进行这项操作。"),
                      phase=Message(view.phase.label))


# -- what a ballot may choose -----------------------------------------------------------------

@dataclass(frozen=True)
class ChoiceRule:
    mode: ChoiceMode
    max_choices: int    # k, for up_to_k
    fund_fen: int       # the fund, for within_fund

    def describe(self):
        if self.mode is ChoiceMode.up_to_k:
            return Message(N_("每张选票最多选 %(num)d 个项目。"), num=self.max_choices)
        return Message(N_("每张选票所选项目的预算合计不超过 %(fund)s 元。"), fund=yuan(self.fund_fen))


def money_left(rule, picks, costs):
    """What is left of the fund after the picked projects' estimates (may be negative)."""
    return rule.fund_fen - sum(costs[p] for p in picks)


def check_choice(rule, picks, costs):
    """Refuse a choice the round does not allow; return the picks as a sorted tuple.

    `costs` maps every project on the shortlist to its estimate in fen; a pick not in it is not on
    the ballot. An empty ballot is refused (a resident who wants none simply does not vote)."""
    picks = list(picks)
    if any(isinstance(p, bool) or not isinstance(p, int) for p in picks):
        raise Refused("bad_choice", N_("选票格式不对。"))
    if len(set(picks)) != len(picks):
        raise Refused("bad_choice", N_("同一个项目只能选一次。"))
    if not picks:
        raise Refused("empty_choice", N_("请至少选择一个项目。"))
    unknown = [p for p in picks if p not in costs]
    if unknown:
        raise Refused("not_on_ballot", N_("所选项目不在本轮的候选名单上。"))
    if rule.mode is ChoiceMode.up_to_k and len(picks) > rule.max_choices:
        raise Refused("too_many_choices", N_("最多只能选 %(num)d 个项目。"), num=rule.max_choices)
    if rule.mode is ChoiceMode.within_fund:
        left = money_left(rule, picks, costs)
        if left < 0:
            raise Refused("over_fund", N_("所选项目的预算合计超出资金总额 %(over)s 元。"), over=yuan(-left))
    return tuple(sorted(picks))


def canonical(picks):
    return ",".join(str(p) for p in sorted(picks))


def parse_canonical(text):
    return tuple(int(p) for p in text.split(",") if p) if text else ()


# -- paper ballots ------------------------------------------------------------------------------

def check_paper_totals(rule, totals, paper_voters, shortlist):
    """Totals counted at a polling table: per project, never more than the people who voted on
    paper; with up-to-k, never more marks in all than k per paper voter. Returns {id: count}."""
    clean = {}
    for key, count in totals.items():
        if key not in shortlist:
            raise Refused("not_on_ballot", N_("所选项目不在本轮的候选名单上。"))
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise Refused("bad_total", N_("票数必须是不小于 0 的整数。"))
        if count > paper_voters:
            raise Refused("too_many", N_("纸质票数不能多于纸质投票人数 %(voters)d 人。"),
                          voters=paper_voters, project_id=key)
        clean[key] = count
    if rule.mode is ChoiceMode.up_to_k and sum(clean.values()) > rule.max_choices * paper_voters:
        raise Refused("too_many", N_("纸质票合计不能多于 %(voters)d 人每人 %(k)d 票。"),
                      voters=paper_voters, k=rule.max_choices)
    return clean


# -- funding ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    id: int
    votes: int
    cost_fen: int


@dataclass(frozen=True)
class Line:
    id: int
    rank: int
    votes: int
    cost_fen: int
    is_funded: bool
    reason: str          # funded / no_votes / does_not_fit
    left_after_fen: int  # the fund left once this line was decided


@dataclass(frozen=True)
class Funding:
    fund_fen: int
    lines: tuple
    committed_fen: int

    @property
    def left_fen(self):
        return self.fund_fen - self.committed_fen

    @property
    def funded_ids(self):
        return [line.id for line in self.lines if line.is_funded]

    def to_dict(self):
        return {"fund_fen": self.fund_fen, "committed_fen": self.committed_fen, "left_fen": self.left_fen,
                "lines": [{"id": line.id, "rank": line.rank, "votes": line.votes, "cost_fen": line.cost_fen,
                           "is_funded": line.is_funded, "reason": line.reason,
                           "left_after_fen": line.left_after_fen} for line in self.lines]}

    @classmethod
    def from_dict(cls, data):
        return cls(data["fund_fen"], tuple(Line(**line) for line in data["lines"]), data["committed_fen"])


def rank_key(candidate):
    """Most votes first; a tie goes to the smaller estimate, then to the earlier idea."""
    return (-candidate.votes, candidate.cost_fen, candidate.id)


def fund(candidates, fund_fen):
    """Fund the projects in rank order while the fund lasts; a project that no longer fits is
    skipped and the next one that fits is taken. A project without a vote is never funded."""
    if fund_fen < 0:
        raise Refused("bad_fund", N_("资金总额不能为负数。"))
    left = fund_fen
    lines = []
    for rank, candidate in enumerate(sorted(candidates, key=rank_key), start=1):
        if candidate.cost_fen < 0 or candidate.votes < 0:
            raise Refused("bad_candidate", N_("预算和票数不能为负数。"))
        if candidate.votes == 0:
            reason, funded = "no_votes", False
        elif candidate.cost_fen <= left:
            reason, funded = "funded", True
            left -= candidate.cost_fen
        else:
            reason, funded = "does_not_fit", False
        lines.append(Line(candidate.id, rank, candidate.votes, candidate.cost_fen, funded, reason, left))
    return Funding(fund_fen, tuple(lines), fund_fen - left)


REASON_LABELS = {"funded": N_("立项"), "no_votes": N_("未获得选票"),
                 "does_not_fit": N_("剩余资金不足，未立项")}


# -- screening ----------------------------------------------------------------------------------

def check_feasible(kind, estimate_fen, caps, fund_fen):
    """An idea may be found feasible only with an estimate within its kind's cap and the fund."""
    if isinstance(estimate_fen, bool) or not isinstance(estimate_fen, int) or estimate_fen <= 0:
        raise Refused("estimate", N_("请填写项目的估算金额。"), details={"estimate": [N_("请填写项目的估算金额。")]})
    cap = caps[kind]
    if estimate_fen > cap:
        raise Refused("over_cap", N_("估算金额超过%(kind)s项目上限 %(cap)s 元，应以“超出资金上限”为由不予通过。"),
                      kind=Message(kind.label), cap=yuan(cap))
    if estimate_fen > fund_fen:
        raise Refused("over_fund", N_("估算金额超过本轮资金总额 %(fund)s 元。"), fund=yuan(fund_fen))


def is_overdue(due_dt, done_dt, now):
    """A milestone is overdue when it is not done by its date."""
    return done_dt is None and now > due_dt


def on_time_share(milestones):
    """(done on time, done) over milestones given as (due_dt, done_dt) pairs."""
    done = [(due, finished) for due, finished in milestones if finished is not None]
    return sum(1 for due, finished in done if finished <= due), len(done)

"""Pure rules of a body: the legal presets, quorum and majority in exact fractions.

Counting follows Chinese legal usage: 以上/以下 include the number (>=, <=) and
过半数 is strictly more than half (>). No floats anywhere.
"""
from dataclasses import dataclass, replace
from enum import Enum
from fractions import Fraction

from app.core.i18n import N_, Message, fill


class Base(str, Enum):
    """What a majority is counted against."""

    MEMBERS = "members"
    PRESENT = "present"


class ResidentsBase(str, Enum):
    """Who counts as the membership of a 居民会议."""

    ADULTS = "adults"
    HOUSEHOLDS = "households"
    GROUPS = "groups"


RESIDENTS_BASE_LABELS = {
    ResidentsBase.ADULTS: N_("全体成年居民"),
    ResidentsBase.HOUSEHOLDS: N_("每户一名代表"),
    ResidentsBase.GROUPS: N_("每个居民小组二至三人"),
}


class RuleError(ValueError):
    """A value object built against the law or arithmetic (a threshold not above one half, options
    that repeat). Not a refusal: it is a programming or configuration error in pure code, and the
    operations that build such values from people's input turn it into a `Refused` there."""


@dataclass(frozen=True)
class Threshold:
    """A share of a base: strictly more than it (过半数) or at least it (以上)."""

    fraction: Fraction
    inclusive: bool

    @classmethod
    def parse(cls, text):
        """'>1/2' or '>=2/3' (as stored in the database)."""
        text = text.strip()
        if text.startswith(">="):
            inclusive, rest = True, text[2:]
        elif text.startswith(">"):
            inclusive, rest = False, text[1:]
        else:
            raise RuleError(f"threshold must start with > or >=: {text!r}")
        try:
            fraction = Fraction(rest.strip())
        except (ValueError, ZeroDivisionError) as exc:
            raise RuleError(f"not a fraction: {rest!r}") from exc
        if not 0 < fraction <= 1:
            raise RuleError(f"fraction out of range: {fraction}")
        return cls(fraction, inclusive)

    def __str__(self):
        return f"{'>=' if self.inclusive else '>'}{self.fraction}"

    def met(self, count, base):
        if base <= 0:
            return False  # nobody to count: nothing can sit or pass
        share = self.fraction * base
        return count >= share if self.inclusive else count > share

    def minimum(self, base):
        """The smallest whole count that meets the threshold for this base."""
        if base <= 0:
            return None
        share = self.fraction * base
        whole = share.numerator // share.denominator
        if self.inclusive:
            return whole if whole == share else whole + 1
        return whole + 1

    def symbol(self):
        return "≥" if self.inclusive else ">"


HALF = Threshold(Fraction(1, 2), inclusive=False)
TWO_THIRDS = Threshold(Fraction(2, 3), inclusive=True)


@dataclass(frozen=True)
class BodyRule:
    quorum: Threshold
    majority: Threshold
    majority_base: Base
    notice_days: int
    residents_base: ResidentsBase | None = None
    plan_with_notice: bool = False

    def with_options(self, **changes):
        rule = replace(self, **changes)
        rule.check()
        return rule

    def check(self):
        """Refuse a rule below the legal floor: a body never decides with a minority."""
        if self.quorum.fraction < Fraction(1, 2) or (
            self.quorum.fraction == Fraction(1, 2) and self.quorum.inclusive
        ):
            raise RuleError("quorum must be more than half")
        if self.majority.fraction < Fraction(1, 2) or (
            self.majority.fraction == Fraction(1, 2) and self.majority.inclusive
        ):
            raise RuleError("a motion must need more than half")
        if self.notice_days < 0:
            raise RuleError("notice period cannot be negative")
        return self


@dataclass(frozen=True)
class Preset:
    key: str
    name: str
    rule: BodyRule
    source: str
    is_public: bool = False  # meetings admit read-only observers, votes' results are public
    # The body decides for all residents in the open (居民代表会议): its votes' receipts and results
    # are public once closed, though its meetings are for its members.
    results_public: bool = False


PRESETS = {
    p.key: p
    for p in [
        Preset("party_branch_committee", "党支部委员会",
               BodyRule(HALF, HALF, Base.MEMBERS, 1), N_("党支部工作惯例")),
        Preset("two_committees", "两委联席会议",
               BodyRule(HALF, HALF, Base.PRESENT, 1), N_("地方“四议两公开”工作规则")),
        Preset("party_members_assembly", "党员大会",
               BodyRule(HALF, HALF, Base.MEMBERS, 3, plan_with_notice=True),
               N_("《中国共产党支部工作条例（试行）》第十一条")),
        Preset("representatives_assembly", "居民代表会议",
               BodyRule(TWO_THIRDS, HALF, Base.PRESENT, 3),
               N_("《村民委员会组织法》第二十六条，经地方规定适用于居民代表会议"), results_public=True),
        Preset("residents_assembly", "居民会议",
               BodyRule(HALF, HALF, Base.PRESENT, 10, residents_base=ResidentsBase.ADULTS),
               N_("《城市居民委员会组织法》（2018）第九条；《村民委员会组织法》第二十一条"),
               is_public=True),
        Preset("deliberation_council", "社区协商议事会",
               BodyRule(HALF, HALF, Base.MEMBERS, 2), N_("地方协商议事惯例")),
        Preset("supervisory_committee", "居务监督委员会",
               BodyRule(HALF, HALF, Base.MEMBERS, 1), N_("居务监督工作惯例")),
    ]
}

def meeting_name(body_name):
    """What a meeting of the body is called: 「党支部委员会会议」, but 「两委联席会议」 and 「党员大会」
    are meetings by name already and take no second 会议."""
    return body_name if body_name.endswith(("会议", "大会")) else f"{body_name}会议"


# The options the law allows beyond the preset, offered to admins by name.
QUORUM_OPTIONS = {
    "party_members_assembly": [HALF, TWO_THIRDS],  # local 4+2 rule: ≥ 2/3
}
MAJORITY_BASE_OPTIONS = {
    "representatives_assembly": [Base.PRESENT, Base.MEMBERS],  # stricter local rule
}


@dataclass(frozen=True)
class Decision:
    members: int
    present: int
    yes: int
    quorum_met: bool
    quorum_minimum: int | None
    passed: bool
    majority_base: Base
    majority_count_base: int
    text: str                   # the record, in the source language (a vote's words are its record)
    message: Message = None     # the same words, translated when shown


def _fraction_text(value):
    if value.denominator == 1:
        return str(value.numerator)
    if value.denominator == 2:
        return f"{value.numerator // 2}.5"
    return f"{value.numerator}/{value.denominator}"


def _share_words(threshold, source=True):
    """半数 or the fraction; as a Message (translated when shown) unless `source`."""
    if threshold.fraction == Fraction(1, 2):
        return "半数" if source else Message(N_("半数"))
    return f"{threshold.fraction.numerator}/{threshold.fraction.denominator}"


# The quorum in words, by the unit counted (people, or households on the household base).
_QUORUM_NONE = {"人": N_("应到 %(members)d 人，实到 %(present)d 人（无应到成员，不符合法定人数）"),
                "户": N_("应到 %(members)d 户，实到 %(present)d 户（无应到成员，不符合法定人数）")}
_QUORUM_MET = {"人": N_("应到 %(members)d 人，实到 %(present)d 人（%(symbol)s %(fraction)s 即 %(minimum)d 人，符合法定人数）"),
               "户": N_("应到 %(members)d 户，实到 %(present)d 户（%(symbol)s %(fraction)s 即 %(minimum)d 户，符合法定人数）")}
_QUORUM_NOT_MET = {
    "人": N_("应到 %(members)d 人，实到 %(present)d 人（%(symbol)s %(fraction)s 即 %(minimum)d 人，不符合法定人数）"),
    "户": N_("应到 %(members)d 户，实到 %(present)d 户（%(symbol)s %(fraction)s 即 %(minimum)d 户，不符合法定人数）")}
_NO_QUORUM = N_("；未达到法定人数，表决无效")
# The motion in words: yes votes against the members (应到) or those present (实到), passed or not.
_MOTION = {
    (Base.MEMBERS, True): N_("；赞成 %(yes)d 票 %(relation)s 应到 %(base)d 人的%(share)s %(amount)s，通过"),
    (Base.MEMBERS, False): N_("；赞成 %(yes)d 票 %(relation)s 应到 %(base)d 人的%(share)s %(amount)s，未通过"),
    (Base.PRESENT, True): N_("；赞成 %(yes)d 票 %(relation)s 实到 %(base)d 人的%(share)s %(amount)s，通过"),
    (Base.PRESENT, False): N_("；赞成 %(yes)d 票 %(relation)s 实到 %(base)d 人的%(share)s %(amount)s，未通过"),
}


def quorum_message(rule, members, present, unit="人"):
    """The quorum in words, as a Message translated when shown; `unit` is 户 where the body counts
    households (居民会议, 每户一名代表), else 人."""
    unit = "户" if unit == "户" else "人"
    minimum = rule.quorum.minimum(members)
    if minimum is None:
        return Message(_QUORUM_NONE[unit], members=members, present=present)
    met = rule.quorum.met(present, members)
    return Message((_QUORUM_MET if met else _QUORUM_NOT_MET)[unit], members=members, present=present,
                   symbol=rule.quorum.symbol(), fraction=str(rule.quorum.fraction), minimum=minimum)


def quorum_text(rule, members, present, unit="人"):
    """The quorum in words, in the source language (the record a vote keeps); `quorum_message`
    is the same for people to read in their language."""
    message = quorum_message(rule, members, present, unit)
    return fill(message.msgid, message.params)


def decide(rule, members, present, yes):
    """Apply a body's rule to one vote: did it sit, did the motion pass, in words."""
    if min(members, present, yes) < 0:
        raise RuleError("counts cannot be negative")
    if yes > present:
        raise RuleError("more yes votes than members present")
    if rule.residents_base is None and present > members:
        raise RuleError("more present than members")
    quorum_met = rule.quorum.met(present, members)
    count_base = members if rule.majority_base is Base.MEMBERS else present
    passed = quorum_met and rule.majority.met(yes, count_base)
    share = rule.majority.fraction * count_base
    quorum = quorum_message(rule, members, present)
    if not quorum_met:
        tail = Message(_NO_QUORUM)
        source_tail = _NO_QUORUM
    else:
        met = rule.majority.met(yes, count_base)
        relation = (rule.majority.symbol() if met
                    else ("<" if rule.majority.inclusive else "≤"))
        params = dict(yes=yes, relation=relation, base=count_base, amount=_fraction_text(share))
        msgid = _MOTION[(rule.majority_base, passed)]
        tail = Message(msgid, share=_share_words(rule.majority, source=False), **params)
        source_tail = fill(msgid, dict(params, share=_share_words(rule.majority)))
    text = fill(quorum.msgid, quorum.params) + source_tail
    message = Message(N_("%(quorum)s%(result)s"), quorum=quorum, result=tail)
    return Decision(
        members=members,
        present=present,
        yes=yes,
        quorum_met=quorum_met,
        quorum_minimum=rule.quorum.minimum(members),
        passed=passed,
        majority_base=rule.majority_base,
        majority_count_base=count_base,
        text=text,
        message=message,
    )

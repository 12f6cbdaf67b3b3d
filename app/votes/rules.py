"""The tally of one vote: who may cast, hall and online ballots in one count, the result in words.

Plain data in, a frozen dataclass or a `Refused` out; the body's rule comes from
`app.community.rules`, what a ballot may say from `app.votes.choices`, and every share is an exact
`Fraction`. Decisions the rest of the app relies on:

- A `Snapshot` is taken when the vote opens and never changes: the eligible members, who is present
  in the hall and who online (each in exactly one), and, for a 居民会议 on the household base, each
  voter's household. Its presence of `households` is what switches the household base on, so the
  cast checks need no rule; `can_open` and `tally` check that it agrees with the rule.
- An online cast is judged in one place, `prepare_cast`: who may cast, the nonce, the canonical
  choice and the receipt derived from the nonce, whichever path then stores it.
- Household base: the household is the unit of members, present and cast. Its first cast wins; any
  later cast for it is refused with `household_already_cast`, whose `detail` names who cast. In a
  secret vote a household with anyone in the hall votes on paper in the hall only, because counted
  paper totals cannot tell which household a paper came from, so an online cast beside them could
  count the household twice.
- Hall votes go through the secretary: per person for a named vote (each hall member once), counted
  totals of paper ballots for a secret vote. Totals are the whole hall count, so entering them
  again replaces the earlier entry; they never exceed the hall's present.
- A motion is 赞成/反对/弃权; abstentions are cast and present but not yes. Spoiled paper ballots
  (废票, only possible in hall totals) are cast and count for nothing.
- "Choose up to k" among options: a ballot marks 0..k options; 0 is a blank ballot (present and
  cast, supports nothing); more than k is refused online and is a 废票 on paper. An option is
  selected (入选) when its count meets the body's majority threshold against the majority base (the
  same test a motion's yes votes must pass), and the quorum was met. At most k are selected, best
  count first; if options tie for the last seat and not all of them fit, none of the tied ones is
  selected and they are reported in `runoff` for another round (the usual 票数相等不能确定时再次投票).
  `ranking` orders every option by count, ties by ballot order.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from app.community.rules import (
    Base, ResidentsBase, RuleError, _fraction_text, _share_words, decide, quorum_message,
)
from app.core.i18n import N_, NP_, Message, Plural, fill
from app.core.refusal import Refused
from app.votes.chain import derive_receipt
from app.votes.choices import ABSTAIN, HallTotals, OptionSet, is_count


class VoteKind(str, Enum):
    NAMED = "named"
    SECRET = "secret"

    @property
    def label(self):
        return VOTE_KIND_LABELS[self]


VOTE_KIND_LABELS = {VoteKind.NAMED: N_("记名"), VoteKind.SECRET: N_("无记名")}



@dataclass(frozen=True)
class Snapshot:
    """The electorate when the vote opens: eligible members, present in the hall or online.

    `households` (voter -> household) is given only for a 居民会议 on the household base and must
    cover every eligible voter; then every count is of households (户), not people (人).
    """

    kind: VoteKind
    eligible: frozenset
    hall: frozenset
    online: frozenset
    options: OptionSet = OptionSet()
    households: Mapping | None = None

    def __post_init__(self):
        object.__setattr__(self, "kind", VoteKind(self.kind))
        for name in ("eligible", "hall", "online"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        if self.hall & self.online:
            raise RuleError("a member is present either in the hall or online, not both")
        if not self.present <= self.eligible:
            raise RuleError("only eligible members can be present")
        if self.households is not None:
            object.__setattr__(self, "households", dict(self.households))
            if not self.eligible <= self.households.keys():
                raise RuleError("every eligible voter needs a household on the household base")

    @property
    def present(self):
        return self.hall | self.online

    @property
    def is_household_base(self):
        return self.households is not None

    @property
    def unit(self):
        return N_("户") if self.is_household_base else N_("人")

    def _units(self, voters):
        return len({self.households[v] for v in voters}) if self.is_household_base else len(voters)

    def hall_households(self):
        return {self.households[v] for v in self.hall} if self.is_household_base else set()

    @property
    def members_count(self):
        return self._units(self.eligible)

    @property
    def present_count(self):
        return self._units(self.present)

    @property
    def hall_count(self):
        """The cap on paper ballots: hall members, or households with someone in the hall."""
        return self._units(self.hall)

    @property
    def online_count(self):
        """How many online ballots there can be at most."""
        if not self.is_household_base:
            return len(self.online)
        households = {self.households[v] for v in self.online}
        if self.kind is VoteKind.SECRET:
            households -= self.hall_households()
        return len(households)

    def to_dict(self):
        data = {
            "kind": self.kind.value,
            "eligible": sorted(self.eligible),
            "hall": sorted(self.hall),
            "online": sorted(self.online),
            "options": self.options.to_dict(),
        }
        if self.is_household_base:
            # Pairs, not an object: JSON would turn integer voter ids into strings.
            data["households"] = sorted([v, h] for v, h in self.households.items())
        return data

    @classmethod
    def from_dict(cls, data):
        households = data.get("households")
        return cls(
            kind=VoteKind(data["kind"]),
            eligible=data["eligible"],
            hall=data["hall"],
            online=data["online"],
            options=OptionSet.from_dict(data["options"]),
            households=None if households is None else {v: h for v, h in households},
        )


def _check_base(rule, snapshot):
    household_rule = rule.residents_base is ResidentsBase.HOUSEHOLDS
    if household_rule != snapshot.is_household_base:
        raise RuleError("the snapshot's households must match the rule's household base")


def can_open(rule, snapshot):
    """(ok, text): a vote may open only while the quorum is met; the text gives the numbers."""
    ok, words = open_words(rule, snapshot)
    return ok, source_words(words)


def open_words(rule, snapshot):
    """(ok, words): `can_open` with its words as a Message, translated when shown."""
    _check_base(rule, snapshot)
    members, present = snapshot.members_count, snapshot.present_count
    ok = rule.quorum.met(present, members)
    words = quorum_message(rule, members, present, snapshot.unit)
    if not ok:
        words = Message(N_("%(quorum)s，不能开始表决"), quorum=words)
    return ok, words


def _name(names, voter_id, fallback):
    return (names or {}).get(voter_id) or fallback


def _household_cast_by(snapshot, voter_id, voted):
    household = snapshot.households[voter_id]
    for other in voted:
        if other != voter_id and snapshot.households.get(other) == household:
            return household, other
    return household, None


def _refuse_household_taken(snapshot, voter_id, voted, names):
    household, cast_by = _household_cast_by(snapshot, voter_id, voted)
    if cast_by is not None:
        who = _name(names, cast_by, Message(N_("本户其他成员")))
        raise Refused("household_already_cast", N_("本户已由%(cast_by_name)s投票，每户只有一票。"),
                      household=household, cast_by=cast_by, cast_by_name=who)


def check_cast(snapshot, voter_id, choice, voted=(), names=None):
    """An online cast: the canonical choice to store, or a `Refused`.

    `voted` holds the ids that have already cast (online, or entered in the hall for a named vote);
    only the voter and their household are looked up in it. `names` (id -> name) words messages.
    """
    if voter_id not in snapshot.eligible:
        raise Refused("not_eligible", N_("您不是本次表决的表决成员。"))
    if voter_id in snapshot.hall:
        raise Refused("in_hall", N_("您已在会场签到，请在会场表决，由记录员录入。"))
    if voter_id not in snapshot.online:
        raise Refused("not_present", N_("表决开始时您未签到，不能参加本次表决。"))
    if voter_id in voted:
        raise Refused("already_cast", N_("您已投票，不能再次投票或更改。"))
    if snapshot.is_household_base:
        if snapshot.kind is VoteKind.SECRET \
                and snapshot.households[voter_id] in snapshot.hall_households():
            raise Refused("household_in_hall", N_("本户已有成员在会场签到，请在会场投纸质选票。"), household=snapshot.households[voter_id])
        _refuse_household_taken(snapshot, voter_id, voted, names)
    return snapshot.options.canonical(choice)


@dataclass(frozen=True)
class PreparedCast:
    """An online cast that passed every check: the ballot's receipt and canonical choice, the
    voter's household (household base only), and whether the vote is named (then the voter's
    participation keeps the same choice and receipt; a secret one keeps them only sealed)."""

    receipt: str
    choice: str
    household: object = None
    named: bool = False


def prepare_cast(snapshot, vote_id, voter_id, choice, nonce, key, voted=(), names=None):
    """An online cast judged: a `PreparedCast` or a `Refused`, for every path that stores one.

    The order of the checks is the order of the answers: why the voter may not cast at all, then
    the nonce, the choice, and last their household (`voted`, `names` as in `check_cast`). The
    receipt is derived from the nonce with the server's `key` (a secret vote's: the vote's key, and
    the voter), so a retry gets the same one.
    """
    if voter_id not in snapshot.online:
        check_cast(snapshot, voter_id, choice)   # says why: not eligible, in the hall, absent
    # Refuses a bad nonce first. A secret vote's receipt is bound to the voter too (`key` is then
    # the vote's own key, app/votes/seal.py): it is sealed with the ballot, never stored in clear.
    voter = voter_id if snapshot.kind is VoteKind.SECRET else None
    receipt = derive_receipt(key, vote_id, nonce, voter_id=voter)
    snapshot.options.canonical(choice)   # a bad choice is answered before the household's turn
    canonical = check_cast(snapshot, voter_id, choice, voted, names)
    household = snapshot.households[voter_id] if snapshot.is_household_base else None
    return PreparedCast(receipt, canonical, household, snapshot.kind is VoteKind.NAMED)


def check_hall_entry(snapshot, voter_id, choice, voted=(), names=None):
    """The secretary's entry of one hall member's show of hands in a named vote."""
    who = _name(names, voter_id, Message(N_("成员 %(id)d "), id=voter_id))
    if snapshot.kind is not VoteKind.NAMED:
        raise Refused("not_named", N_("无记名表决请录入会场纸质选票的各项合计。"))
    if voter_id not in snapshot.eligible:
        raise Refused("not_eligible", N_("%(who)s不是本次表决的表决成员。"), who=who)
    if voter_id in snapshot.online:
        raise Refused("online_member", N_("%(who)s在线参会，须本人在线表决。"), who=who)
    if voter_id not in snapshot.hall:
        raise Refused("not_in_hall", N_("%(who)s表决开始时未在会场签到，不能录入。"), who=who)
    if voter_id in voted:
        raise Refused("already_cast", N_("%(who)s的表决已录入，不能重复录入。"), who=who)
    if snapshot.is_household_base:
        _refuse_household_taken(snapshot, voter_id, voted, names)
    return snapshot.options.canonical(choice)




def check_hall_totals(snapshot, totals):
    """The secretary's counted paper ballots of a secret vote; a new entry replaces the last."""
    if snapshot.kind is not VoteKind.SECRET:
        raise Refused("not_secret", N_("记名表决须逐人录入。"))
    parsed = HallTotals.parse(snapshot.options, totals)
    cap = snapshot.hall_count
    if parsed.ballots > cap:
        raise Refused("hall_totals_exceed", N_("会场票数合计 %(ballots)d 张，超过会场实到 %(hall)d %(unit)s。"),
                      ballots=parsed.ballots, hall=cap, unit=Message(snapshot.unit))
    return parsed


@dataclass(frozen=True)
class Progress:
    cast: int
    eligible: int

    @property
    def remaining(self):
        return self.eligible - self.cast

    @property
    def share(self):
        return Fraction(self.cast, self.eligible) if self.eligible else Fraction(0)

    @property
    def complete(self):
        return self.eligible > 0 and self.cast >= self.eligible

    def to_dict(self):
        return {"cast": self.cast, "eligible": self.eligible, "remaining": self.remaining,
                "complete": self.complete}


def progress(cast, eligible_present):
    """How far a vote is: counts only, so a secret vote shows nothing of the result."""
    if not (is_count(cast) and is_count(eligible_present)) or cast > eligible_present:
        raise RuleError("cast must be between 0 and the present")
    return Progress(cast, eligible_present)


@dataclass(frozen=True)
class Result:
    kind: VoteKind
    options: OptionSet
    unit: str
    members: int
    present: int
    cast: int
    online_cast: int
    hall_cast: int
    blank: int
    invalid: int
    counts: tuple
    quorum_met: bool
    quorum_minimum: int | None
    majority_base: Base
    majority_count_base: int
    majority_share: Fraction
    majority_minimum: int | None
    passed: bool | None
    elected: tuple
    runoff: tuple
    ranking: tuple
    rule_text: dict
    text: str                   # the record, in the source language
    message: Message = None     # the same words, translated when shown

    @property
    def not_cast(self):
        return self.present - self.cast

    def count(self, key):
        return self.counts[self.options.keys.index(key)]

    def to_dict(self):
        return {
            "kind": self.kind.value,
            "options": self.options.to_dict(),
            "unit": self.unit,
            "members": self.members,
            "present": self.present,
            "cast": self.cast,
            "online_cast": self.online_cast,
            "hall_cast": self.hall_cast,
            "not_cast": self.not_cast,
            "blank": self.blank,
            "invalid": self.invalid,
            "counts": [{"key": key, "label": self.options.label(key), "count": n}
                       for key, n in zip(self.options.keys, self.counts)],
            "quorum_met": self.quorum_met,
            "quorum_minimum": self.quorum_minimum,
            "majority_base": self.majority_base.value,
            "majority_count_base": self.majority_count_base,
            "majority_share": str(self.majority_share),
            "majority_minimum": self.majority_minimum,
            "passed": self.passed,
            "elected": list(self.elected),
            "runoff": list(self.runoff),
            "ranking": list(self.ranking),
            "rule": dict(self.rule_text),
            "text": self.text,
            "message": message_data(self.message),
        }


def _rule_text(rule):
    return {
        "quorum": str(rule.quorum),
        "majority": str(rule.majority),
        "majority_base": rule.majority_base.value,
        "residents_base": rule.residents_base.value if rule.residents_base else None,
    }


def _collect(snapshot, online_choices, hall_entries):
    """Replay every ballot through the cast checks: (normalized choices, hall totals or None)."""
    options = snapshot.options
    if snapshot.kind is VoteKind.NAMED:
        if not isinstance(online_choices, Mapping) or not isinstance(hall_entries or {}, Mapping):
            raise RuleError("named ballots come as voter -> choice")
        voted, online, hall = set(), [], []
        for voter_id, choice in online_choices.items():
            online.append(options.normalize(check_cast(snapshot, voter_id, choice, voted)))
            voted.add(voter_id)
        for voter_id, choice in (hall_entries or {}).items():
            hall.append(options.normalize(check_hall_entry(snapshot, voter_id, choice, voted)))
            voted.add(voter_id)
        return online, hall, None
    if isinstance(online_choices, Mapping):
        raise RuleError("secret ballots carry no voter")
    online = [options.normalize(choice) for choice in online_choices]
    if len(online) > snapshot.online_count:
        raise Refused("too_many_ballots", N_("在线选票 %(ballots)d 张，超过在线实到 %(online)d %(unit)s。"),
                      ballots=len(online), online=snapshot.online_count, unit=Message(snapshot.unit))
    totals = check_hall_totals(snapshot, hall_entries) if hall_entries is not None else None
    return online, [], totals


def tally(rule, snapshot, online_choices, hall_entries=None):
    """Count one vote and apply the body's rule to the snapshot.

    Named: `online_choices` and `hall_entries` map voter -> choice. Secret: `online_choices` is an
    iterable of choices (ballots carry no voter) and `hall_entries` the hall's totals (a
    `HallTotals` or its dict) or None. Choices may be raw or canonical. A ballot that the cast
    checks would have refused raises, because it means the stored data is not what was cast.
    """
    _check_base(rule, snapshot)
    options, unit = snapshot.options, snapshot.unit
    online, hall, totals = _collect(snapshot, online_choices, hall_entries)
    index = {key: i for i, key in enumerate(options.keys)}
    counts = [0] * len(options.keys)
    blank = 0
    for choice in online + hall:
        if options.is_motion:
            counts[index[choice]] += 1
        else:
            for i in choice:
                counts[i] += 1
        blank += (choice == ABSTAIN) if options.is_motion else (choice == ())
    invalid, hall_cast = 0, len(hall)
    if totals is not None:
        counts = [n + m for n, m in zip(counts, totals.counts)]
        blank += totals.blank
        invalid, hall_cast = totals.invalid, totals.ballots
    online_cast = len(online)
    cast = online_cast + hall_cast

    members, present = snapshot.members_count, snapshot.present_count
    if cast > present:
        raise Refused("too_many_ballots", N_("选票 %(ballots)d 张，超过实到 %(present)d %(unit)s。"),
                      ballots=cast, present=present, unit=Message(unit))
    quorum_met = rule.quorum.met(present, members)
    count_base = members if rule.majority_base is Base.MEMBERS else present
    share = rule.majority.fraction * count_base
    ranking = tuple(sorted(range(len(counts)), key=lambda i: (-counts[i], i)))
    not_cast = present - cast
    passed, elected, runoff = None, (), ()

    # The result in words: a Message, translated when shown, and its source-language words, the
    # vote's record (stored in result_json and compared word for word by the verifier).
    if options.is_motion:
        yes, no, abstain = counts
        passed = decide(rule, members, present, yes).passed
        words = Message(N_("%(quorum)s%(result)s"), quorum=quorum_message(rule, members, present, unit),
                        result=_motion_words(rule, quorum_met, yes, count_base, share, passed, unit))
        tail = [] if quorum_met else [Message(NP_("赞成 %(num)d 票", "赞成 %(num)d 票"), num=yes)]
        tail += [Message(NP_("反对 %(num)d 票", "反对 %(num)d 票"), num=no),
                 Message(NP_("弃权 %(num)d 票", "弃权 %(num)d 票"), num=abstain)]
    else:
        elected, runoff = ((), ())
        if quorum_met:
            elected, runoff = _select(rule, options.up_to, counts, count_base)
        tally_words = _joined([Message(NP_("%(option)s %(num)d 票", "%(option)s %(num)d 票"),
                                       option=options.labels[i], num=counts[i]) for i in ranking], COMMA)
        words = Message(N_("%(quorum)s；%(counts)s%(result)s"), quorum=quorum_message(rule, members, present, unit),
                        counts=tally_words,
                        result=_choice_words(rule, quorum_met, count_base, share, unit, options, elected, runoff))
        tail = [Message(_UNIT_PLURALS[unit]["cast"], num=cast)]
        if blank:
            tail.append(Message(NP_("空白票 %(num)d 张", "空白票 %(num)d 张"), num=blank))
    if invalid:
        tail.append(Message(NP_("废票 %(num)d 张", "废票 %(num)d 张"), num=invalid))
    if not_cast:
        tail.append(Message(_UNIT_PLURALS[unit]["not_cast"], num=not_cast))
    words = Message(N_("%(first)s；%(next)s"), first=words, next=_joined(tail, COMMA))
    text = source_words(words)

    return Result(
        kind=snapshot.kind, options=options, unit=unit, members=members, present=present,
        cast=cast, online_cast=online_cast, hall_cast=hall_cast, blank=blank, invalid=invalid,
        counts=tuple(counts), quorum_met=quorum_met, quorum_minimum=rule.quorum.minimum(members),
        majority_base=rule.majority_base, majority_count_base=count_base, majority_share=share,
        majority_minimum=rule.majority.minimum(count_base), passed=passed, elected=elected,
        runoff=runoff, ranking=ranking, rule_text=_rule_text(rule), text=text, message=words,
    )


# -- the result in words -----------------------------------------------------------------

COMMA, SEMICOLON, ENUMERATION = N_("%(first)s，%(next)s"), N_("%(first)s；%(next)s"), N_("%(first)s、%(next)s")

# Counts in the vote's unit: people, or households on the household base.
_UNIT_PLURALS = {
    "人": {"cast": NP_("投票 %(num)d 人", "投票 %(num)d 人"), "not_cast": NP_("未投票 %(num)d 人", "未投票 %(num)d 人")},
    "户": {"cast": NP_("投票 %(num)d 户", "投票 %(num)d 户"), "not_cast": NP_("未投票 %(num)d 户", "未投票 %(num)d 户")},
}
_NO_QUORUM = N_("；未达到法定人数，表决无效")
_MOTION = {
    (Base.MEMBERS, True): N_("；赞成 %(yes)d 票 %(relation)s 应到 %(base)d %(unit)s的%(share)s %(amount)s，通过"),
    (Base.MEMBERS, False): N_("；赞成 %(yes)d 票 %(relation)s 应到 %(base)d %(unit)s的%(share)s %(amount)s，未通过"),
    (Base.PRESENT, True): N_("；赞成 %(yes)d 票 %(relation)s 实到 %(base)d %(unit)s的%(share)s %(amount)s，通过"),
    (Base.PRESENT, False): N_("；赞成 %(yes)d 票 %(relation)s 实到 %(base)d %(unit)s的%(share)s %(amount)s，未通过"),
}
_CHOICE = {
    Base.MEMBERS: N_("；得票 %(symbol)s 应到 %(base)d %(unit)s的%(share)s %(amount)s 者入选，最多 %(up_to)d 项：%(elected)s"),
    Base.PRESENT: N_("；得票 %(symbol)s 实到 %(base)d %(unit)s的%(share)s %(amount)s 者入选，最多 %(up_to)d 项：%(elected)s"),
}


def _joined(parts, separator):
    """Parts in one sentence, each joined to the next by `separator` (「，」「；」「、」)."""
    words = parts[0]
    for part in parts[1:]:
        words = Message(separator, first=words, next=part)
    return words


def _share(threshold):
    return _share_words(threshold, source=False)


def _motion_words(rule, quorum_met, yes, count_base, share, passed, unit):
    if not quorum_met:
        return Message(_NO_QUORUM)
    met = rule.majority.met(yes, count_base)
    relation = rule.majority.symbol() if met else ("<" if rule.majority.inclusive else "≤")
    return Message(_MOTION[(rule.majority_base, passed)], yes=yes, relation=relation, base=count_base,
                   unit=Message(unit), share=_share(rule.majority), amount=_fraction_text(share))


def _choice_words(rule, quorum_met, count_base, share, unit, options, elected, runoff):
    if not quorum_met:
        return Message(_NO_QUORUM)
    chosen = (Message(N_("入选 %(options)s"), options=_joined([options.labels[i] for i in elected], ENUMERATION))
              if elected else Message(N_("无选项入选")))
    words = Message(_CHOICE[rule.majority_base], symbol=rule.majority.symbol(), base=count_base,
                    unit=Message(unit), share=_share(rule.majority), amount=_fraction_text(share),
                    up_to=options.up_to, elected=chosen)
    if runoff:
        words = Message(N_("%(result)s；%(options)s 票数相等，须再次投票"), result=words,
                        options=_joined([options.labels[i] for i in runoff], ENUMERATION))
    return words


def source_words(value):
    """A Message in the source language, whatever the reader's: the words a vote keeps as its record."""
    if isinstance(value, Message):
        return fill(value.msgid, {key: source_words(param) for key, param in value.params.items()})
    return value


def message_data(value):
    """A Message as JSON keeps it (msgid, or [singular, plural], and its parameters), to show later in
    each reader's language; `message_from_data` reads it back."""
    if isinstance(value, Message):
        msgid = list(value.msgid) if isinstance(value.msgid, Plural) else value.msgid
        return {"msgid": msgid, "params": {key: message_data(param) for key, param in value.params.items()}}
    return value


def message_from_data(data):
    if isinstance(data, dict) and "msgid" in data:
        msgid = Plural(*data["msgid"]) if isinstance(data["msgid"], list) else data["msgid"]
        return Message(msgid, **{key: message_from_data(param) for key, param in data.get("params", {}).items()})
    return data


def result_words(result):
    """A stored result's words for the reader: its Message when it kept one, else its text."""
    if not result:
        return ""
    return message_from_data(result["message"]) if result.get("message") else result.get("text", "")


def _select(rule, seats, counts, count_base):
    """(selected, tied for the last seat) among options that meet the majority."""
    qualified = sorted((i for i, n in enumerate(counts) if rule.majority.met(n, count_base)),
                       key=lambda i: (-counts[i], i))
    if len(qualified) <= seats:
        return tuple(qualified), ()
    cutoff = counts[qualified[seats - 1]]
    above = tuple(i for i in qualified if counts[i] > cutoff)
    tied = tuple(i for i in qualified if counts[i] == cutoff)
    if len(above) + len(tied) <= seats:
        return above + tied, ()
    return above, tied

"""What a ballot may say: a motion's three answers or up to k of labelled options, and the hall's
counted paper ballots of a secret vote. Pure, shared by meeting votes and consultations.

Plain data in, a frozen dataclass or a `Refused` out (a `RuleError` for options that cannot be).
"""
from collections.abc import Mapping
from dataclasses import dataclass

from app.community.rules import RuleError
from app.core.i18n import N_, Message
from app.core.refusal import Refused

YES, NO, ABSTAIN = "yes", "no", "abstain"
MOTION_KEYS = (YES, NO, ABSTAIN)
MOTION_LABELS = {YES: N_("赞成"), NO: N_("反对"), ABSTAIN: N_("弃权")}


def is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True)
class OptionSet:
    """A motion (no labels) or labelled options of which a ballot marks up to `up_to`.

    Normalized choices: a motion key (`"yes"`, `"no"`, `"abstain"`) or a sorted tuple of option
    indices (`()` is a blank ballot). `canonical()` is the text stored on a ballot and hashed.
    """

    labels: tuple = ()
    up_to: int = 1

    def __post_init__(self):
        object.__setattr__(self, "labels", tuple(self.labels))
        if not self.labels:
            if self.up_to != 1:
                raise RuleError("a motion has exactly one choice")
            return
        if any(not isinstance(label, str) or not label.strip() for label in self.labels):
            raise RuleError("option labels must be non-empty text")
        if len(set(self.labels)) != len(self.labels):
            raise RuleError("option labels must differ")
        if isinstance(self.up_to, bool) or not isinstance(self.up_to, int) \
                or not 1 <= self.up_to <= len(self.labels):
            raise RuleError("up_to must be between 1 and the number of options")

    @classmethod
    def motion(cls):
        return cls()

    @classmethod
    def choose(cls, labels, up_to=1):
        return cls(tuple(labels), up_to)

    @property
    def is_motion(self):
        return not self.labels

    @property
    def keys(self):
        return MOTION_KEYS if self.is_motion else tuple(range(len(self.labels)))

    def label(self, key):
        return MOTION_LABELS[key] if self.is_motion else self.labels[key]

    def normalize(self, choice):
        """A client's or a stored choice, normalized; or `bad_choice` / `too_many_choices`."""
        if self.is_motion:
            if isinstance(choice, str) and choice in MOTION_KEYS:
                return choice
            raise Refused("bad_choice", N_("请选择赞成、反对或弃权。"))
        if isinstance(choice, str):
            # The stored canonical form: "" (blank) or "0,2".
            parts = choice.split(",") if choice else []
            if not all(p.isdigit() and p == str(int(p)) for p in parts):
                raise Refused("bad_choice", N_("选项无效。"))
            picked = [int(p) for p in parts]
        elif isinstance(choice, int) and not isinstance(choice, bool):
            picked = [choice]
        elif isinstance(choice, (list, tuple)):
            picked = list(choice)
        else:
            raise Refused("bad_choice", N_("选项无效。"))
        if not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(self.labels)
                   for i in picked):
            raise Refused("bad_choice", N_("没有这个选项。"))
        if len(set(picked)) != len(picked):
            raise Refused("bad_choice", N_("同一选项只能选一次。"))
        if len(picked) > self.up_to:
            raise Refused("too_many_choices", N_("最多只能选 %(up_to)d 项，您选了 %(chosen)d 项。"), up_to=self.up_to, chosen=len(picked))
        return tuple(sorted(picked))

    def canonical(self, choice):
        normalized = self.normalize(choice)
        return normalized if self.is_motion else ",".join(str(i) for i in normalized)

    def is_blank(self, choice):
        normalized = self.normalize(choice)
        return normalized == ABSTAIN if self.is_motion else normalized == ()

    def to_dict(self):
        if self.is_motion:
            return {"type": "motion"}
        return {"type": "choose", "labels": list(self.labels), "up_to": self.up_to}

    @classmethod
    def from_dict(cls, data):
        if data.get("type") == "motion":
            return cls.motion()
        return cls.choose(data["labels"], data["up_to"])


@dataclass(frozen=True)
class HallTotals:
    """Counted paper ballots of the hall in a secret vote; `counts` follows `OptionSet.keys`."""

    counts: tuple
    ballots: int
    blank: int = 0
    invalid: int = 0

    @classmethod
    def parse(cls, options, data):
        """Totals as entered, checked to add up.

        A motion: {"yes", "no", "abstain"[, "invalid"]}; its abstentions are its blank papers.
        Options: {"counts": one per option, "ballots"[, "blank", "invalid"]}.
        """
        if isinstance(data, cls):
            data = data.to_dict(options)
        if not isinstance(data, Mapping):
            raise Refused("bad_totals", N_("请录入各选项的票数。"))
        if options.is_motion:
            unknown = set(data) - {*MOTION_KEYS, "invalid", "ballots"}
            counts = tuple(data.get(key, 0) for key in MOTION_KEYS)
            invalid = data.get("invalid", 0)
            if unknown or not all(is_count(n) for n in (*counts, invalid)):
                raise Refused("bad_totals", N_("票数必须是不小于零的整数。"))
            ballots = sum(counts) + invalid
            if data.get("ballots", ballots) != ballots:
                raise Refused("bad_totals", N_("总票数与各项之和不符。"))
            return cls(counts, ballots, counts[MOTION_KEYS.index(ABSTAIN)], invalid)
        counts = tuple(data.get("counts") or ())
        ballots, blank, invalid = data.get("ballots"), data.get("blank", 0), data.get("invalid", 0)
        if len(counts) != len(options.labels) \
                or not all(is_count(n) for n in (*counts, ballots, blank, invalid)):
            raise Refused("bad_totals", N_("请为每个选项录入不小于零的整数票数，并录入总票数。"))
        marked = ballots - blank - invalid
        if marked < 0:
            raise Refused("bad_totals", N_("空白票与废票之和超过总票数。"))
        if any(n > marked for n in counts):
            raise Refused("bad_totals", N_("某选项票数超过有效选票数。"))
        # Every marked ballot names 1..k options, so the marks lie between marked and k × marked.
        if not marked <= sum(counts) <= options.up_to * marked:
            raise Refused("bad_totals", N_("各选项票数之和应在 %(low)d 到 %(high)d 之间。"),
                          low=marked, high=options.up_to * marked)
        return cls(counts, ballots, blank, invalid)

    def to_dict(self, options):
        if options.is_motion:
            return {**dict(zip(MOTION_KEYS, self.counts)), "invalid": self.invalid}
        return {"counts": list(self.counts), "ballots": self.ballots, "blank": self.blank,
                "invalid": self.invalid}

    def canonical(self):
        """The text sealed into the ballot chain as the hall's record."""
        counts = ",".join(str(n) for n in self.counts)
        return f"ballots={self.ballots};blank={self.blank};invalid={self.invalid};counts={counts}"

    @classmethod
    def from_canonical(cls, text):
        """The totals back from their sealed text, or None for any other choice."""
        if not text.startswith("ballots="):
            return None
        fields = dict(part.split("=", 1) for part in text.split(";"))
        counts = tuple(int(n) for n in fields["counts"].split(",") if n)
        return cls(counts, int(fields["ballots"]), int(fields["blank"]), int(fields["invalid"]))

    def words(self, options):
        """「现场纸质票 2 张：赞成 1，反对 1，弃权 0；无效 0」: a motion's blank papers are its
        abstentions, already named, so only a list of options says its blank papers apart."""
        counts = None
        for key, n in zip(options.keys, self.counts):
            label = Message(MOTION_LABELS[key]) if options.is_motion else options.labels[key]
            one = Message(N_("%(option)s %(count)d"), option=label, count=n)
            counts = one if counts is None else Message(N_("%(first)s，%(next)s"), first=counts, next=one)
        spoiled = (Message(N_("无效 %(invalid)d"), invalid=self.invalid) if options.is_motion
                   else Message(N_("空白 %(blank)d，无效 %(invalid)d"), blank=self.blank, invalid=self.invalid))
        return Message(N_("现场纸质票 %(ballots)d 张：%(counts)s；%(spoiled)s"), ballots=self.ballots,
                       counts=counts if counts is not None else "", spoiled=spoiled)

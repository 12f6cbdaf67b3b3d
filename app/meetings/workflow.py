"""Pure rules of a meeting: its states, the notice period, quorum meter, speakers, agenda, hall
tokens and requests to convene. Plain data in, data or a `Refused` out; "now" is an argument.

Decisions the rest of the app relies on:

- The notice period is counted in whole days of 24 hours from the announcement to the start:
  a start exactly `notice_days` after now is in time, a second earlier is refused.
- Attendance is one row per member: `hall` wins over `online`. A member checked in in the hall who
  also opens the room on a phone stays `hall` (votes later go through the secretary, never both);
  a member present online who then scans the hall's code moves to `hall`.
- The hall token is an HMAC of the meeting's secret and a time window, so every process derives
  the same token without writing anything; the current and the previous window are accepted,
  so a code scanned just as it rotates still works.
- A meeting goes live no earlier than its start less a set-up margin (`check_start_window`): exactly
  at `start - margin` is allowed, a second earlier refused. Moving it earlier, or adding an item to
  be voted on after the notice, needs the notice period again, counted like the notice itself.
- A speaker's countdown is `started_dt + limit_seconds`; every screen counts down locally from it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from fractions import Fraction

from app.community import rules
from app.core.timeutil import to_local
from app.core.i18n import N_, NP_, Message, fill
from app.core.refusal import Refused



class MeetingState(str, Enum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    LIVE = "live"
    ENDED = "ended"
    MINUTES_SIGNED = "minutes_signed"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    MeetingState.DRAFT: N_("草稿"),
    MeetingState.ANNOUNCED: N_("已通知"),
    MeetingState.LIVE: N_("进行中"),
    MeetingState.ENDED: N_("已结束"),
    MeetingState.MINUTES_SIGNED: N_("纪要已签署"),
    MeetingState.CANCELLED: N_("已取消"),
}


class MeetingMode(str, Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"

    @property
    def label(self):
        return {"in_person": N_("现场会议"), "online": N_("线上会议"), "hybrid": N_("现场 + 线上")}[self.value]


class AttendanceMode(str, Enum):
    HALL = "hall"
    ONLINE = "online"

    @property
    def label(self):
        return {"hall": N_("现场"), "online": N_("线上")}[self.value]


class SpeakerState(str, Enum):
    WAITING = "waiting"
    SPEAKING = "speaking"
    DONE = "done"


# action -> (states it may start from, state it leads to, refusal message)
TRANSITIONS = {
    "announce": ({MeetingState.DRAFT}, MeetingState.ANNOUNCED, N_("只有草稿状态的会议可以发出通知。")),
    "start": ({MeetingState.ANNOUNCED}, MeetingState.LIVE, N_("只有已通知的会议可以开始。")),
    "end": ({MeetingState.LIVE}, MeetingState.ENDED, N_("只有进行中的会议可以结束。")),
    "sign_off": ({MeetingState.ENDED}, MeetingState.MINUTES_SIGNED, N_("只有已结束的会议可以完成纪要签署。")),
    "cancel": ({MeetingState.DRAFT, MeetingState.ANNOUNCED}, MeetingState.CANCELLED,
               N_("会议已开始或已结束，不能取消。")),
}

EDITABLE = frozenset({MeetingState.DRAFT, MeetingState.ANNOUNCED})  # agenda and details
OPEN_ROOM = frozenset({MeetingState.ANNOUNCED, MeetingState.LIVE})  # check-in possible


def transition(state, action):
    """The state `action` leads to from `state`, or Refused."""
    try:
        sources, target, message = TRANSITIONS[action]
    except KeyError:
        raise Refused("unknown_action", N_("未知的操作：%(action)s"), action=action) from None
    if MeetingState(state) not in sources:
        raise Refused("wrong_state", message)
    return target


def require(condition, message, code="forbidden"):
    """Refuse with `code` (by default: not allowed) unless `condition` holds."""
    if not condition:
        raise Refused(code, message)


def require_state(state, allowed, message):
    if MeetingState(state) not in allowed:
        raise Refused("wrong_state", message)


# -- notice period -------------------------------------------------------------

def earliest_start(now, notice_days):
    return now + timedelta(days=notice_days)


def check_notice(start_dt, now, notice_days, body_name=None):
    """Refuse a start sooner than the body's notice period, saying by how much, in words."""
    if start_dt <= now:
        raise Refused("start_in_past", N_("会议时间已过，请先修改会议时间再发通知。"))
    earliest = earliest_start(now, notice_days)
    if start_dt < earliest:
        short = earliest - start_dt
        raise Refused("notice_too_short", NP_(
            "%(body)s须提前 %(num)d 天通知：会议时间距现在只有 %(remaining)s，还差 %(short)s。请把会议时间改到通知期之后再发通知。",
            "%(body)s须提前 %(num)d 天通知：会议时间距现在只有 %(remaining)s，还差 %(short)s。请把会议时间改到通知期之后再发通知。"),
            body=_body(body_name), num=notice_days, remaining=_duration_words(start_dt - now),
            short=_duration_words(short))


# -- time is law: the start window, moving a meeting, items added after the notice --------

def local_when(dt, now=None):
    """A moment as people read it on a notice, in Beijing time: 「12月17日 14:00」, with the year
    when it is not the year of `now`."""
    local = to_local(dt)
    text = Message(N_("%(month)s%(day)d日 %(time)s"), month=Message(MONTHS[local.month - 1]), day=local.day,
                   time=f"{local:%H:%M}")
    if now is not None and to_local(now).year != local.year:
        text = Message(N_("%(year)d年%(date)s"), year=local.year, date=text)
    return text


# Month names as a date on a notice shows them: 「12月」 in Chinese, "Dec" in English.
MONTHS = (N_("1月"), N_("2月"), N_("3月"), N_("4月"), N_("5月"), N_("6月"),
          N_("7月"), N_("8月"), N_("9月"), N_("10月"), N_("11月"), N_("12月"))


def _body(body_name):
    return body_name if body_name else Message(N_("该组织"))


def start_window_opens(start_dt, margin_minutes):
    return start_dt - timedelta(minutes=margin_minutes)


def check_start_window(start_dt, now, margin_minutes):
    """A meeting goes live no earlier than its announced time less the set-up margin: the notice
    told members when to come, and a meeting held before that decides without them."""
    earliest = start_window_opens(start_dt, margin_minutes)
    if now < earliest:
        same_day = to_local(earliest).date() == to_local(start_dt).date()
        opens = f"{to_local(earliest):%H:%M}" if same_day else local_when(earliest, now)
        raise Refused("too_early", N_("会议定于 %(start)s 召开，最早可于 %(opens)s 开始。"),
                      start=local_when(start_dt, now), opens=opens)


def check_move(old_start, new_start, now, notice_days, body_name=None):
    """Postponing an announced meeting is always allowed; moving it earlier only while the notice
    period still holds before the new time (members must have the full period to plan for it)."""
    if new_start <= now:
        raise Refused("start_in_past", N_("新的会议时间已过，请选择以后的时间。"))
    if new_start >= old_start:
        return
    earliest = earliest_start(now, notice_days)
    if new_start < earliest:
        raise Refused("notice_too_short", NP_(
            "%(body)s须提前 %(num)d 天通知：会议提前召开时，新的时间须不早于 %(earliest)s。",
            "%(body)s须提前 %(num)d 天通知：会议提前召开时，新的时间须不早于 %(earliest)s。"),
            body=_body(body_name), num=notice_days, earliest=local_when(earliest, now))


def check_late_item(start_dt, now, notice_days, body_name=None):
    """An item to be voted on that is added after the notice went out needs the notice period
    again before the meeting; otherwise it may only be discussed."""
    earliest = earliest_start(now, notice_days)
    if start_dt < earliest:
        raise Refused("item_too_late", NP_(
            "%(body)s须提前 %(num)d 天通知表决事项：此议题若要表决，须先把会议改期到不早于 %(earliest)s；也可以作为讨论事项加入（不表决）。",
            "%(body)s须提前 %(num)d 天通知表决事项：此议题若要表决，须先把会议改期到不早于 %(earliest)s；也可以作为讨论事项加入（不表决）。"),
            body=_body(body_name), num=notice_days, earliest=local_when(earliest, now))


def check_votable(noticed, for_vote):
    """Only an item in the notice the members received, as an item for a vote, can be voted on."""
    if not for_vote:
        raise Refused("item_not_in_notice", N_("此议题是讨论事项，会议通知中没有列为表决事项，不能表决。"))
    if not noticed:
        raise Refused("item_not_in_notice", N_("此议题不在成员收到的会议通知中，不能表决。"))


def _duration_words(delta):
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return Message(N_("%(days)s %(hours)s"), days=_days(days), hours=_hours(hours))
    if hours:
        return Message(N_("%(hours)s %(minutes)s"), hours=_hours(hours), minutes=_minutes(minutes))
    return _minutes(max(minutes, 1) if seconds else 0)


def _days(n):
    return Message(NP_("%(num)d 天", "%(num)d 天"), num=n)


def _hours(n):
    return Message(NP_("%(num)d 小时", "%(num)d 小时"), num=n)


def _minutes(n):
    return Message(NP_("%(num)d 分钟", "%(num)d 分钟"), num=n)


# -- attendance and quorum -------------------------------------------------------

def merge_attendance(existing, new):
    """The attendance mode after checking in `new` over `existing` (None = not yet present)."""
    new = AttendanceMode(new)
    if existing is None:
        return new
    existing = AttendanceMode(existing)
    return AttendanceMode.HALL if AttendanceMode.HALL in (existing, new) else existing


# What presence is counted in: people, or households for a 居民会议 on the household base, where
# any adult may check in for the household and it counts once (DESIGN §2).
PERSONS, HOUSEHOLDS = "persons", "households"
UNITS = {PERSONS: N_("人"), HOUSEHOLDS: N_("户")}


def counting_base(rule):
    return HOUSEHOLDS if rule.residents_base is rules.ResidentsBase.HOUSEHOLDS else PERSONS


@dataclass(frozen=True)
class QuorumMeter:
    members: int
    present: int
    minimum: int | None
    met: bool
    message: Message              # the quorum in words, translated when shown
    base: str = PERSONS
    # The people behind the counts (the same as the counts on the persons base).
    persons_members: int | None = None
    persons_present: int | None = None

    @property
    def unit(self):
        return UNITS[self.base]

    @property
    def text(self):
        """The words in the source language (what the minutes record)."""
        return fill(self.message.msgid, self.message.params)

    def as_dict(self):
        """For screens: the words in the reader's language; `unit` stays the code 人 or 户."""
        return {"members": self.members, "present": self.present, "minimum": self.minimum,
                "met": self.met, "text": str(self.message), "unit": self.unit, "base": self.base,
                "persons": {"members": self.members if self.persons_members is None else self.persons_members,
                            "present": self.present if self.persons_present is None else self.persons_present}}


def quorum_meter(rule, members, present, persons_members=None, persons_present=None):
    """What the meter in the room shows: counts in the body's unit (households on the household
    base: see `quorum_meter_of`), the minimum to sit, and the rule in words."""
    if present < 0 or members < 0:
        raise Refused("invalid", N_("人数不能为负。"))
    base = counting_base(rule)
    return QuorumMeter(
        members=members,
        present=present,
        minimum=rule.quorum.minimum(members),
        met=rule.quorum.met(present, members),
        message=rules.quorum_message(rule, members, present, UNITS[base]),
        base=base,
        persons_members=persons_members,
        persons_present=persons_present,
    )


def quorum_meter_of(rule, voting, present, households=None):
    """The meter from who is who: `voting` the ids of the voting members, `present` the ids present
    now, `households` each voting member's household (needed on the household base). There the
    members are the households of the voting members and a household is present when any of its
    voting members is: the same numbers a vote opened now would count (app/votes/rules.Snapshot)."""
    voting = set(voting)
    here = voting & set(present)
    if counting_base(rule) == PERSONS:
        return quorum_meter(rule, len(voting), len(here))
    if households is None or not voting <= households.keys():
        raise Refused("invalid", N_("户籍信息不完整，无法按户计算法定人数。"))
    return quorum_meter(rule, len({households[u] for u in voting}), len({households[u] for u in here}),
                        persons_members=len(voting), persons_present=len(here))


# -- agenda ---------------------------------------------------------------------

def move_item(current, count, index=None):
    """The agenda index to move to: the next one, or `index` when given."""
    if count <= 0:
        raise Refused("empty_agenda", N_("议程为空。"))
    target = current + 1 if index is None else index
    if isinstance(target, bool) or not isinstance(target, int):
        raise Refused("invalid", N_("议程序号无效。"))
    if target < 0 or target >= count:
        raise Refused("no_such_item", N_("已经是最后一项议程。") if index is None else N_("没有这一项议程。"))
    return target


# -- speakers -------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One line of the speakers' queue, as the rules see it."""

    id: int
    user_id: int
    state: SpeakerState


def check_raise(entries, user_id):
    """A member may be in the queue once at a time (waiting or speaking)."""
    for e in entries:
        if e.user_id == user_id and e.state in (SpeakerState.WAITING, SpeakerState.SPEAKING):
            raise Refused("already_queued", N_("您已在发言队列中。") if e.state is SpeakerState.WAITING else N_("您正在发言。"))


def waiting_entry_of(entries, user_id):
    for e in entries:
        if e.user_id == user_id and e.state is SpeakerState.WAITING:
            return e
    raise Refused("not_queued", N_("您没有在排队发言。"))


@dataclass(frozen=True)
class FloorChange:
    finished: tuple   # ids that go to done
    speaking: int | None


def give_floor(entries, entry_id=None):
    """Who speaks next: `entry_id`, or the first waiting one; whoever spoke is done."""
    finished = tuple(e.id for e in entries if e.state is SpeakerState.SPEAKING)
    waiting = [e for e in entries if e.state is SpeakerState.WAITING]
    if entry_id is None:
        if not waiting:
            raise Refused("queue_empty", N_("没有人在排队发言。"))
        return FloorChange(finished, waiting[0].id)
    target = next((e for e in entries if e.id == entry_id), None)
    if target is None or target.state is not SpeakerState.WAITING:
        raise Refused("not_waiting", N_("该发言人不在等待队列中。"))
    return FloorChange(finished, target.id)


def end_floor(entries):
    finished = tuple(e.id for e in entries if e.state is SpeakerState.SPEAKING)
    if not finished:
        raise Refused("nobody_speaking", N_("当前没有人在发言。"))
    return FloorChange(finished, None)


def remaining_seconds(started_dt, limit_seconds, now):
    """Seconds left of a speech; negative once over time (screens show it in red)."""
    if started_dt is None:
        return limit_seconds
    return limit_seconds - int((now - started_dt).total_seconds())


def check_limit(seconds):
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 30 <= seconds <= 3600:
        raise Refused("invalid", N_("发言时限须在 30 秒到 60 分钟之间。"))
    return seconds


# -- hall check-in token -----------------------------------------------------------

TOKEN_PERIOD = 120  # seconds: the projector refreshes its code more often than this


def _window(now, period):
    return int((now - datetime(1970, 1, 1)).total_seconds()) // period


def hall_token(secret, meeting_id, now, period=TOKEN_PERIOD):
    return _token(secret, meeting_id, _window(now, period))


def _token(secret, meeting_id, window):
    digest = hmac.new(secret.encode(), f"{meeting_id}:{window}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def check_hall_token(secret, meeting_id, token, now, period=TOKEN_PERIOD):
    """The token of the current or the previous window is good; anything else is stale."""
    window = _window(now, period)
    if token and any(hmac.compare_digest(str(token), _token(secret, meeting_id, w))
                     for w in (window, window - 1)):
        return
    raise Refused("stale_token", N_("签到二维码已过期，请重新扫描会场大屏上的二维码。"))


# -- requests to convene ---------------------------------------------------------

@dataclass(frozen=True)
class ConveneRule:
    share: Fraction
    base_label: str


def convene_rule(preset, residents_base=None):
    """The share of members who can make a body meet (DESIGN §2), or None if the law names none."""
    if preset == "representatives_assembly":
        return ConveneRule(Fraction(1, 5), N_("居民代表"))
    if preset == "residents_assembly":
        base = rules.ResidentsBase(residents_base or rules.ResidentsBase.ADULTS)
        if base is rules.ResidentsBase.GROUPS:
            return ConveneRule(Fraction(1, 3), N_("居民小组"))
        if base is rules.ResidentsBase.HOUSEHOLDS:
            return ConveneRule(Fraction(1, 5), N_("户"))
        return ConveneRule(Fraction(1, 5), N_("成年居民"))
    return None


@dataclass(frozen=True)
class ConveneStatus:
    base: int
    supporters: int
    needed: int | None
    reached: bool
    text: Message


def convene_status(rule, base, supporters):
    """Counted like the law's "五分之一以上": at least the share, and never with a base of nobody."""
    threshold = rules.Threshold(rule.share, inclusive=True)
    needed = threshold.minimum(base)
    reached = threshold.met(supporters, base)
    label = Message(rule.base_label)
    if needed is None:
        text = Message(N_("尚无可计算的%(base)s，不能提议召开。"), base=label)
    else:
        outcome = (Message(N_("已达到法定比例，应当召开会议。")) if reached
                   else Message(N_("还差 %(missing)d。"), missing=needed - supporters))
        text = Message(N_("已有 %(supporters)d 名%(base)s提议（共 %(total)d，须 %(share)s 以上即 %(needed)d），%(outcome)s"),
                       supporters=supporters, base=label, total=base, share=str(rule.share), needed=needed,
                       outcome=outcome)
    return ConveneStatus(base=base, supporters=supporters, needed=needed, reached=reached, text=text)

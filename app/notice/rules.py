"""Pure rules of the notice board: kinds, statuses that change with the clock, years, rates, text.

Plain data in, plain data out; no Flask, no SQLAlchemy. "now" is always an argument and every
datetime is naive UTC, like everywhere else in Yishi. Decisions the rest of the board relies on:

- A posting's status may change by the clock alone (a proposal's co-sign window closing, a
  resolution's objection period ending). The index stores the status, the instant it lapses and
  the status after it, so lists are right without a scheduler. The instant belongs to the new
  status: periods are half-open, [start, end), as in the proposals area.
- A year is the local (Beijing) calendar year: an item published at 2025-12-31 17:00 UTC belongs
  to 2026.
- Rates are exact fractions of whole counts; a rate of nothing (no proposal answered yet) is
  `None`, shown as "—", never 0 % and never a division by zero.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from fractions import Fraction
from zoneinfo import ZoneInfo

from app.core.i18n import N_

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# A resolution notice stays posted at least this long and residents may object meanwhile
# (DESIGN §4, stage 5).
OBJECTION_DAYS = 7


class PostingKind(str, Enum):
    """What a posting on the board is; the value is part of its stable address."""

    general = "general"          # 居务公开: a notice an admin posts
    resolution = "resolution"    # 决议公开: a matter's resolution, its trail and objection window
    result = "result"            # 实施结果公开: a matter's implementation result
    proposal = "proposal"        # a resident proposal with its status, replies and ratings
    meeting = "meeting"          # a meeting's announcement, and its outcome once held
    micro = "micro"              # 民生微实事: a micro-project round, every phase of it

    @property
    def label(self) -> str:
        return KIND_LABELS[self.value]

    @property
    def is_matter(self) -> bool:
        return self in (PostingKind.resolution, PostingKind.result)


KIND_LABELS = {
    "general": N_("居务公开"),
    "resolution": N_("决议公开"),
    "result": N_("实施结果公开"),
    "proposal": N_("居民提案"),
    "meeting": N_("会议公告"),
    "micro": N_("民生微实事"),
}

# Categories an admin files a general notice under (民政部门的村(居)务公开目录, simplified).
GENERAL_CATEGORIES = (N_("居务公开"), N_("党务公开"), N_("财务公开"), N_("服务公开"), N_("其他"))


def parse_kind(value) -> PostingKind | None:
    try:
        return PostingKind(value)
    except ValueError:
        return None


# -- statuses that lapse ---------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    """A posting's status as stored: `label` until `until` (if any), then `after`."""

    label: str
    until: datetime | None = None
    after: str | None = None

    def at(self, now: datetime) -> str:
        return status_at(self.label, self.until, self.after, now)


def status_at(label: str, until: datetime | None, after: str | None, now: datetime) -> str:
    """A stored status at `now` (once per row of a board page: no Status built for it)."""
    if until is not None and after and now >= until:
        return after
    return label


def objection_window(published_dt: datetime | None, days: int = OBJECTION_DAYS):
    """(start, end) of a resolution notice's objection period, or None before it is posted."""
    if published_dt is None:
        return None
    return published_dt, published_dt + timedelta(days=days)


# -- years -----------------------------------------------------------------------------

def local_year(dt: datetime | None) -> int | None:
    """The Beijing calendar year of a naive UTC instant."""
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ).year


def local_month(dt: datetime) -> int:
    return dt.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ).month


def year_range(year: int) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing calendar year, as naive UTC: what a SQL range filter needs."""
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(timezone.utc).replace(tzinfo=None)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ).astimezone(timezone.utc).replace(tzinfo=None)
    return start, end


def clamp_year(value, now: datetime, earliest: int = 2000) -> int:
    """A year from a query string; anything odd becomes this year."""
    this_year = local_year(now)
    try:
        year = int(value)
    except (TypeError, ValueError):
        return this_year
    return year if earliest <= year <= this_year + 1 else this_year


# -- rates -----------------------------------------------------------------------------

def rate(part: int, whole: int) -> Fraction | None:
    """part / whole as an exact fraction; None when there is nothing to divide."""
    if whole <= 0:
        return None
    if part < 0 or part > whole:
        raise ValueError(f"a part ({part}) must lie between 0 and the whole ({whole})")
    return Fraction(part, whole)


def percent(value: Fraction | None, digits: int = 0) -> str:
    """"87%" (half up, like people round), or "—" for no rate at all."""
    if value is None:
        return "—"
    scaled = value * 100 * 10 ** digits
    rounded = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    if digits:
        whole, frac = divmod(rounded, 10 ** digits)
        return f"{whole}.{frac:0{digits}d}%"
    return f"{rounded}%"


def percent_number(value: Fraction | None, digits: int = 1) -> float | None:
    """The same rate as a plain number of percent for JSON and CSV (None stays None)."""
    if value is None:
        return None
    return round(float(value * 100), digits)


@dataclass(frozen=True)
class YearFigures:
    """One community's (or the street's) figures for one year, as counted from the records."""

    received: int = 0            # proposals published in the year
    accepted: int = 0            # of those, taken on (立案)
    answered: int = 0            # of those, answered at least once
    answered_on_time: int = 0    # of those answered, the first reply came before its deadline
    rated: int = 0               # of those, rated by the author
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    matters_decided: int | None = 0   # None: the matters area is not installed
    meetings_held: int = 0
    attendance_expected: int = 0      # members summoned to the meetings held
    attendance_present: int = 0       # of those, present

    def __add__(self, other: "YearFigures") -> "YearFigures":
        def add(a, b):
            return None if a is None or b is None else a + b

        return YearFigures(**{name: add(getattr(self, name), getattr(other, name))
                              for name in self.__dataclass_fields__})

    @property
    def acceptance_rate(self):
        return rate(self.accepted, self.received)

    @property
    def on_time_rate(self):
        return rate(self.answered_on_time, self.answered)

    @property
    def satisfaction_rate(self):
        """满意 and 基本满意 over all ratings, the way the 满意率 is usually counted."""
        return rate(self.satisfied + self.basically_satisfied, self.rated)

    @property
    def attendance_rate(self):
        return rate(self.attendance_present, self.attendance_expected)


# -- text ------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_LIST = re.compile(r"^\s*(?:[-+*]|\d+\.)\s+", re.MULTILINE)
_MD_RULE = re.compile(r"^[\s|:-]*-{3,}[\s|:-]*$", re.MULTILINE)   # table separators, rules
_MD_MARKS = re.compile(r"[#>*_`|~]+")


def xml_safe(text: str | None) -> str:
    """Text without the characters XML 1.0 forbids (user text may carry control characters)."""
    return _XML_ILLEGAL.sub("", text or "")


def plain_excerpt(text: str | None, length: int = 120) -> str:
    """One line of readable text from Markdown, cut at `length` characters with an ellipsis."""
    text = _MD_RULE.sub(" ", text or "")
    text = _MD_MARKS.sub(" ", _MD_LIST.sub("", _MD_LINK.sub(r"\1", text)))
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length - 1].rstrip() + "…"


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    if value is None:
        return ""
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text

"""Time helpers: everything is stored as naive UTC and shown in Asia/Shanghai."""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from app.core.i18n import N_, NP_, render

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_set_clock = ContextVar("yishi_clock", default=None)


def utcnow():
    fixed = _set_clock.get()
    return fixed if fixed is not None else datetime.now(timezone.utc).replace(tzinfo=None)


@contextmanager
def clock_at(moment):
    """Inside, utcnow() is `moment` (naive UTC): every record and audit event made there is
    dated then. For writing the demo street's past through the real operations; never used while
    serving."""
    token = _set_clock.set(moment)
    try:
        yield
    finally:
        _set_clock.reset(token)


def to_local(dt):
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(LOCAL_TZ)


def from_local(dt):
    """A naive local (Beijing) datetime, e.g. from a form, as naive UTC."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=LOCAL_TZ)
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def format_local(dt, fmt="%Y-%m-%d %H:%M"):
    local = to_local(dt)
    return local.strftime(fmt) if local else ""


def describe_remaining(due_dt, now=None):
    """A countdown in words: 「还剩 3 天 4 小时」 or 「已逾期 2 天」."""
    if due_dt is None:
        return ""
    now = now or utcnow()
    delta = due_dt - now
    overdue = delta < timedelta(0)
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = _count(_DAYS, days) + " " + _count(_HOURS, hours)
    elif hours:
        text = _count(_HOURS, hours) + " " + _count(_MINUTES, minutes)
    else:
        text = _count(_MINUTES, minutes)
    return render(N_("已逾期 %(time)s") if overdue else N_("还剩 %(time)s"), {"time": text})


_DAYS = NP_("%(num)d 天", "%(num)d 天")
_HOURS = NP_("%(num)d 小时", "%(num)d 小时")
_MINUTES = NP_("%(num)d 分钟", "%(num)d 分钟")


def _count(unit, num):
    return render(unit, {"num": num})

"""The check-in desk: the roster a secretary's tablet searches, check-in by a personal card, and
undoing a hall check-in made by mistake. Check-in itself is `live.check_in`, so the desk,
the room's 代为签到 and the API keep one rule and one broadcast."""
from app.auth import cards
from app.auth.models import User
from app.community.models import Household
from app.core import audit
from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.extensions import db
from app.meetings import desk_rules, live, workflow
from app.meetings.models import Attendance, MeetingMember
from app.meetings.workflow import AttendanceMode


def _require_desk(actor, meeting):
    workflow.require(meeting.can_record(actor), N_("只有记录员、主持人或社区工作人员可以使用签到台。"),
                     code="secretary_only")


def roster(actor, meeting, query=""):
    """The meeting's members as the desk lists them, with their search keys; `query` narrows the
    list the way the page's search box does (desk_rules.matches)."""
    _require_desk(actor, meeting)
    rows = db.session.execute(
        db.select(MeetingMember.user_id, MeetingMember.is_voting, User.name, User.phone, User.household_id,
                  Household.building, Household.unit, Household.room)
        .join(User, User.id == MeetingMember.user_id)
        .outerjoin(Household, Household.id == User.household_id)
        .where(MeetingMember.meeting_id == meeting.id)).all()
    wanted = desk_rules.normalise(query)
    entries = []
    for r in rows:
        address = desk_rules.address_key(r.building, r.unit, r.room)
        keys = desk_rules.keys(r.name, address, r.phone)
        if not desk_rules.matches(keys, wanted):
            continue
        entries.append({"user_id": r.user_id, "name": r.name, "address": address, "phone4": keys["phone4"],
                        "household_id": r.household_id, "is_voting": r.is_voting, "keys": keys})
    entries.sort(key=lambda e: (_address_order(e["address"]), e["name"], e["user_id"]))
    return entries


def _address_order(address):
    """5-2-301 before 5-10-101: numbers compare as numbers; no address sorts last."""
    if not address:
        return (1, ())
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in address.split("-")))


def present(meeting):
    """user id -> "hall" / "online", for those present now."""
    return {str(user_id): mode.value for user_id, mode in live.present_rows(meeting.id)}


def check_in_card(actor, meeting, text, now=None):
    """A card's code, typed or scanned, checks its holder in in the hall. Returns (user, changed)."""
    _require_desk(actor, meeting)
    code = cards.normalise(text)
    if not code:
        raise Refused("no_card_code", N_("请输入或扫描签到卡上的号码。"))
    user = cards.holder(code)
    if user is None:
        raise Refused("unknown_card", N_("签到卡无效：没有这张卡，或它已被补办的新卡取代。"))
    if user.community_id != meeting.community_id:
        raise Refused("other_community", N_("这张签到卡属于其他社区的居民（%(name)s），不能在本会议签到。"),
                      name=user.name)
    if meeting.member(user) is None:
        raise Refused("not_member", N_("%(name)s 不在本次会议的成员名单中。"), name=user.name)
    changed = live.check_in(actor, meeting, user.id, now=now)
    return user, changed


def undo_check_in(actor, meeting, user_id, now=None):
    """Take back a hall check-in made by mistake: the member is no longer present and the record
    of their attendance goes (the audit log keeps that it was made and undone)."""
    _require_desk(actor, meeting)
    workflow.require_state(meeting.state, workflow.OPEN_ROOM, N_("会议未在进行，不能撤销签到。"))
    user = db.session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None or meeting.member(user) is None:
        raise Refused("not_member", N_("此人不在本次会议的成员名单中。"))
    row = Attendance.query.filter_by(meeting_id=meeting.id, user_id=user.id).first()
    if row is None or row.left_dt is not None or row.mode is not AttendanceMode.HALL:
        raise Refused("not_checked_in", N_("%(name)s 没有现场签到，无需撤销。"), name=user.name)
    audit.record("meeting.check_in_undone", actor=actor, obj=meeting, user_id=user.id,
                 checked_in_dt=row.checked_in_dt, checked_in_by_id=row.checked_in_by_id,
                 at=now or utcnow())
    db.session.delete(row)
    db.session.flush()
    live.schedule_presence(meeting.id, user.id)
    return user

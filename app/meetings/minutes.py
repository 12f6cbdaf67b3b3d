"""The minutes (会议纪要): drafted from what happened, plus the secretary's notes.

The minutes are the meeting's record, signed by those present and locked; they are written in the
record's language (Simplified Chinese, the source language) whoever ends the meeting, and
app/votes/verify.py reads each vote's chain head back from their words. So their fixed texts are
not marked for translation."""
from app.auth.models import User
from app.core.timeutil import format_local
from app.extensions import db
from app.meetings.models import Attendance, Speaker
from app.meetings.live import households_of
from app.meetings.workflow import HOUSEHOLDS, SpeakerState, counting_base, quorum_meter_of


# Areas above (votes) write their sections: fn(meeting) -> Markdown lines for "## 表决".
_vote_sections = []


def add_section(fn):
    if fn not in _vote_sections:
        _vote_sections.append(fn)


def draft(meeting):
    """Markdown of the meeting as it stands; written into `minutes_text` (locked) when it ends."""
    body = meeting.body
    names = dict(db.session.execute(
        db.select(User.id, User.name).where(User.id.in_([m.user_id for m in meeting.members] or [0]))).all())
    rows = {a.user_id: a for a in Attendance.query.filter_by(meeting_id=meeting.id)}
    voting = [m for m in meeting.members if m.is_voting]
    hall = [names.get(m.user_id, "") for m in meeting.members if m.user_id in rows and rows[m.user_id].mode.value == "hall"]
    online = [names.get(m.user_id, "") for m in meeting.members if m.user_id in rows and rows[m.user_id].mode.value == "online"]
    absent = [names.get(m.user_id, "") for m in meeting.members if m.user_id not in rows]
    voting_ids = [m.user_id for m in voting]
    households = households_of(voting_ids) if counting_base(body.rule) == HOUSEHOLDS else None
    meter = quorum_meter_of(body.rule, voting_ids, rows.keys(), households)
    attendance = meter.text
    if meter.base == HOUSEHOLDS:
        attendance += f"；按户计，出席成员 {meter.persons_present} 人（共 {meter.persons_members} 人）"
    lines = [
        # 「党员大会会议纪要」 as people write it, but never 「两委联席会议会议纪要」.
        f"# {body.name.removesuffix('会议')}会议纪要：{meeting.title}",
        "",
        f"- 时间：{format_local(meeting.started_dt or meeting.start_dt)} 至 {format_local(meeting.ended_dt)}",
        f"- 地点：{meeting.place or '线上'}（{meeting.mode.label}）",
        f"- 出席：{attendance}",
        f"- 现场出席：{'、'.join(hall) or '无'}",
        f"- 线上出席：{'、'.join(online) or '无'}",
        f"- 缺席：{'、'.join(absent) or '无'}",
        "",
        "## 议程与发言",
    ]
    speeches = Speaker.query.filter(Speaker.meeting_id == meeting.id, Speaker.started_dt.isnot(None),
                                    Speaker.state == SpeakerState.DONE).order_by(Speaker.started_dt).all()
    speaker_names = dict(db.session.execute(
        db.select(User.id, User.name).where(User.id.in_([s.user_id for s in speeches] or [0]))).all())
    for index, item in enumerate(meeting.items):
        lines.append("")
        lines.append(f"### {index + 1}. {item.title}")
        said = [s for s in speeches if s.item_index == index]
        for s in said:
            seconds = int(((s.ended_dt or s.started_dt) - s.started_dt).total_seconds())
            where = "现场" if s.source.value == "hall" else "线上"
            lines.append(f"- 发言：{speaker_names.get(s.user_id, '')}（{where}，{seconds // 60} 分 {seconds % 60} 秒）")
        if not said:
            lines.append("- 无发言记录")
    votes = [line for section in _vote_sections for line in section(meeting)]
    lines += ["", "## 表决", ""] + (votes or ["（本次会议没有表决记录）"])
    if meeting.notes:
        lines += ["", "## 记录员笔记", "", meeting.notes]
    return "\n".join(lines) + "\n"

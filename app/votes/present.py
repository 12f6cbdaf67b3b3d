"""What screens, the API and the minutes show of meeting votes: progress (counts only while
open), a vote as one user sees it, the published receipts and their check, the 表决 minutes."""
import json

from sqlalchemy import func

from app.auth.models import User
from app.community.rules import RuleError
from app.core.i18n import N_, Message
from app.core.refusal import Refused
from app.extensions import db
from app.meetings import minutes as meeting_minutes
from app.meetings import room as meeting_room
from app.votes import chain
from app.votes.choices import HallTotals
from app.votes.models import Ballot, VoteParticipation
from app.votes.queries import compute_result, counts, frozen, household_voted, votes_of
from app.votes.rules import VoteKind, result_words, source_words
from app.votes.rules import progress as rules_progress


def progress_view(vote):
    cast_count, present = counts(vote)
    return {"vote_id": vote.id, "meeting_id": vote.meeting_id,
            **rules_progress(min(cast_count, present), present).to_dict()}


def receipts(vote):
    """After the close: every receipt with its choice, in chain order, for voters to find theirs."""
    if vote.is_open:
        raise Refused("vote_open", N_("表决结束后才公布回执码。"))
    if vote.is_void:
        raise Refused("vote_void", N_("该表决已作废，没有回执码可公布。"))
    rows = db.session.execute(db.select(Ballot.receipt, Ballot.choice, Ballot.chain_hash)
                              .where(Ballot.vote_id == vote.id)).all()
    return [{"receipt": r, "choice": c, "chain_hash": h} for r, c, h in chain.canonical_order(rows)]


def verify(vote):
    """Recompute the chain and the tally from what is stored: (ok, lines of findings)."""
    if vote.is_open or not vote.result_json:
        return False, [f"表决 {vote.id} 尚未结束。"]
    rows = db.session.execute(db.select(Ballot.receipt, Ballot.choice, Ballot.chain_hash)
                              .where(Ballot.vote_id == vote.id)).all()
    findings = []
    chain_ok, bad = chain.verify_chain(vote.id, rows, vote.chain_head)
    findings.append(f"哈希链：{'一致' if chain_ok else f'不一致（第 {bad + 1} 张选票起）'}，链头 {vote.chain_head}")
    stored = vote.result
    try:
        again = compute_result(vote).to_dict()
        same = all(again[k] == stored.get(k) for k in ("counts", "cast", "present", "members", "passed",
                                                       "elected", "text"))
    except (Refused, RuleError) as exc:
        same = False
        findings.append(f"重新计票失败：{exc}")
    findings.append(f"重新计票：{'与公布结果一致' if same else '与公布结果不一致'}")
    snapshot, _ = frozen(vote)
    if vote.kind == VoteKind.SECRET.value:
        online_ballots = sum(1 for r in rows if r[0] != chain.HALL_RECEIPT)
        online_people = db.session.scalar(db.select(func.count()).select_from(VoteParticipation).where(
            VoteParticipation.vote_id == vote.id, VoteParticipation.mode == "online"))
        matches = online_ballots == online_people
        findings.append(f"在线选票 {online_ballots} 张，在线投票记录 {online_people} 条："
                        f"{'相符' if matches else '不符'}")
        same = same and matches
    return chain_ok and same, findings


def _options_view(options):
    return [{"key": key, "label": str(Message(options.label(key))) if options.is_motion else options.label(key)}
            for key in options.keys]


def result_for_reader(result):
    """A stored result with its words (`text`) in the reader's language; the record keeps its own."""
    if not result:
        return result
    return {**result, "text": str(result_words(result))}


def vote_view(vote, user=None):
    """A vote for the room and the API: counts only while open; the result once closed."""
    snapshot, rule = frozen(vote)
    options = snapshot.options
    data = {
        "id": vote.id, "meeting_id": vote.meeting_id, "item_id": vote.item_id, "title": vote.title,
        "kind": vote.kind, "kind_label": str(Message(VoteKind(vote.kind).label)), "state": vote.state,
        "state_label": vote.state_label,
        "options": {**options.to_dict(), "choices": _options_view(options)},
        "auto_close": vote.auto_close, "opened_dt": _iso(vote.opened_dt), "closed_dt": _iso(vote.closed_dt),
        "unit": snapshot.unit, "eligible": snapshot.members_count,
        "hall_present": snapshot.hall_count, "online_present": snapshot.online_count,
        "progress": progress_view(vote),
        "result": result_for_reader(vote.result), "chain_head": vote.chain_head,
        "receipts_url": f"/votes/{vote.id}/receipts",
    }
    if user is not None:
        stashed = vote.__dict__.pop("_mine", None)   # queries.prefetch_views, for a list
        if stashed is not None and stashed[0] == user.id:
            mine = stashed[1]
        else:
            mine = VoteParticipation.query.filter_by(vote_id=vote.id, user_id=user.id).first()
        data["me"] = {
            "eligible": user.id in snapshot.eligible,
            "where": "hall" if user.id in snapshot.hall else "online" if user.id in snapshot.online else None,
            "voted": mine is not None,
            "can_cast": vote.is_open and mine is None and user.id in snapshot.online,
            # A secret ballot's receipt is known only to the voter's device; a named one is public.
            "receipt": mine.receipt if mine is not None else None,
            "choice": mine.choice if mine is not None else None,
        }
        if vote.kind == VoteKind.NAMED.value and vote.is_open and vote.meeting.can_record(user):
            data["hall_entered"] = sorted(db.session.scalars(db.select(VoteParticipation.user_id).where(
                VoteParticipation.vote_id == vote.id, VoteParticipation.mode == "hall")))
        if vote.kind == VoteKind.SECRET.value and vote.meeting.can_record(user):
            data["hall_totals"] = json.loads(vote.hall_totals_json) if vote.hall_totals_json else None
        if vote.kind == VoteKind.SECRET.value and snapshot.is_household_base:
            data["me"]["can_cast"] = data["me"]["can_cast"] and \
                snapshot.households[user.id] not in snapshot.hall_households()
        if snapshot.is_household_base and vote.is_open and mine is None and user.id in snapshot.eligible:
            # Another adult of the household has cast for it: the screen says who, without a tap.
            voted, names = household_voted(snapshot, vote, user.id)
            if voted:
                by = min(voted)
                data["me"]["household_voted"] = {"by": names.get(by, ""), "by_user_id": by}
                data["me"]["can_cast"] = False
    return data


def _iso(dt):
    return dt.isoformat() + "Z" if dt else None


def named_choices(vote):
    """Who chose what in a named vote, for the minutes: [(name, mode, label)]."""
    snapshot, _ = frozen(vote)
    rows = db.session.execute(db.select(User.name, VoteParticipation.mode, VoteParticipation.choice)
                              .join(User, User.id == VoteParticipation.user_id)
                              .where(VoteParticipation.vote_id == vote.id)
                              .order_by(VoteParticipation.mode, User.name, VoteParticipation.user_id)).all()
    return [(name, mode, _choice_label(snapshot.options, choice)) for name, mode, choice in rows]


def choice_text(options, canonical):
    """A stored choice in words; the hall's sealed paper totals as they were entered."""
    totals = HallTotals.from_canonical(canonical)
    if totals is not None:
        return totals.words(options)
    return _choice_label(options, canonical)


def _choice_label(options, canonical):
    normalized = options.normalize(canonical)
    if options.is_motion:
        return Message(options.label(normalized))
    return "、".join(options.label(i) for i in normalized) or Message(N_("空白"))


def minutes_lines(meeting):
    """The 表决 section of the minutes: every closed vote with its numbers and rule in words, in the
    record's language like the rest of the minutes (app/meetings/minutes.py)."""
    lines = []
    for vote in votes_of(meeting):
        lines.append(f"### 表决：{vote.title}（{VoteKind(vote.kind).label}）")
        if vote.is_open:
            lines.append("- 表决尚未结束")
            continue
        if vote.is_void:
            lines.append("- 表决已作废：以其他密钥恢复备份后，密封的无记名选票无法开启，未计票")
            lines.append("")
            continue
        result = vote.result
        lines.append(f"- 结果：{result['text']}")
        lines.append(f"- 计票规则：法定人数 {result['rule']['quorum']}，通过 {result['rule']['majority']}"
                     f"（以{'应到' if result['rule']['majority_base'] == 'members' else '实到'}为基数）")
        lines.append(f"- 选票哈希链头：`{vote.chain_head}`（回执码公示：/votes/{vote.id}/receipts）")
        if vote.kind == VoteKind.NAMED.value:
            for name, mode, label in named_choices(vote):
                lines.append(f"  - {name}（{'现场' if mode == 'hall' else '线上'}）：{source_words(label)}")
        lines.append("")
    return lines


def room_votes(meeting, user):
    """The `votes` key of the room's state: every vote of the meeting as this user sees it."""
    return [vote_view(vote, user) for vote in votes_of(meeting)]


meeting_room.add_state_part(lambda meeting, user, data: data.update(votes=room_votes(meeting, user)))
meeting_minutes.add_section(minutes_lines)

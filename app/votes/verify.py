"""`flask votes verify`: a closed vote's chain and tally, against every copy of its head published.

Recomputing the chain from the ballots proves nothing against someone who rewrote ballots, links,
`votes.chain_head` and the result together. So the recomputed head is compared with the copies
made at the close and kept elsewhere:

- the vote's row (`votes.chain_head`);
- the audit log's `vote.closed` event, itself a link of the audit hash chain (app/core/audit.py):
  editing the event breaks the chain, rewriting the chain after it changes the audit head kept in
  backups and shown to admins (`--audit-head`);
- the minutes, locked when the meeting ended and signed by its attendees;
- the notice board's item of the meeting (registered by app/notice, which stands above votes);
- a head a resident kept (`--head`).

Each source agrees, disagrees or is absent (a vote whose meeting has not ended has no minutes
yet). Any disagreement, a broken audit chain or a failed recount makes the vote fail.
"""
import json
import re
from dataclasses import dataclass

from sqlalchemy import select

from app.core import audit
from app.extensions import db
from app.votes import chain, present
from app.votes.models import Ballot

AGREES, DISAGREES, ABSENT = "agrees", "disagrees", "absent"
WORDS = {AGREES: "一致", DISAGREES: "不一致", ABSENT: "无记录"}

# name -> function(vote) returning the head that source published, or None when it has none.
_sources = {}


def add_published_source(name, find_head):
    """Let an area above votes (the notice board) offer a copy of a vote's head it published."""
    _sources[name] = find_head


@dataclass(frozen=True)
class Finding:
    source: str
    head: str | None
    verdict: str

    def __str__(self):
        shown = self.head if self.head is not None else "—"
        return f"{self.source}：{WORDS[self.verdict]}（{shown}）"


@dataclass(frozen=True)
class Report:
    ok: bool
    head: str | None              # recomputed from the ballots
    sources: list                 # [Finding]
    lines: list                   # everything found, in words

    @property
    def disagreeing(self):
        return [f.source for f in self.sources if f.verdict == DISAGREES]


def compare(source, recomputed, published):
    """One source's verdict on the recomputed head."""
    if published is None:
        return Finding(source, None, ABSENT)
    published = published.strip().lower()
    return Finding(source, published, AGREES if published == recomputed else DISAGREES)


def closed_events(vote):
    """The audit log's `vote.closed` events of this vote (normally one)."""
    events = db.session.scalars(select(audit.AuditEvent).where(
        audit.AuditEvent.action == "vote.closed", audit.AuditEvent.object_type == "meetings",
        audit.AuditEvent.object_id == vote.meeting_id).order_by(audit.AuditEvent.id))
    return [e for e in events if e.data.get("vote_id") == vote.id]


def minutes_head(vote):
    """The head the locked minutes print for this vote (app/votes/present.py `minutes_lines`)."""
    text = vote.meeting.minutes_text if vote.meeting is not None else None
    found = re.search(rf"选票哈希链头：`([0-9a-fA-F]{{64}})`（回执码公示：/votes/{vote.id}/receipts）", text or "")
    return found.group(1) if found else None


def _audit_findings(vote, recomputed, audit_head, check=None):
    """(findings, lines, ok) from the audit log: the event's head, the chain around it. `check`:
    the log's walk when the caller made it already (verifying every vote walks it once)."""
    events = closed_events(vote)
    findings = [compare("审计日志 vote.closed 事件", recomputed, e.data.get("chain_head")) for e in events] \
        or [Finding("审计日志 vote.closed 事件", None, ABSENT)]
    check = check or audit.verify_log()
    lines, ok = [], check.ok
    if check.ok:
        lines.append(f"审计日志哈希链：{check.count} 个事件完好，链头 {check.head}")
    else:
        where = "（在本表决的 vote.closed 事件处或之前）" if any(
            e.seq is None or check.broken.seq is None or e.seq >= check.broken.seq for e in events) else ""
        lines.append(f"审计日志哈希链：在{check.broken}处断开{where}")
    if audit_head is not None:
        reached = audit.chain_reaches(audit_head)
        ok = ok and reached
        lines.append(f"给定的审计链头 {audit_head}：{'在链中' if reached else '不在链中，日志在它之后被改写过'}")
    return findings, lines, ok


def verify(vote, head=None, audit_head=None, audit_check=None):
    """Recompute and compare with every published head; a `Report`. `audit_check`: the audit
    log's `verify_log()`, when many votes are verified against one walk of it."""
    ok, lines = present.verify(vote)
    if vote.is_open or not vote.result_json:
        return Report(False, None, [], lines)
    rows = db.session.execute(select(Ballot.receipt, Ballot.choice).where(Ballot.vote_id == vote.id)).all()
    recomputed = chain.chain_head(vote.id, rows)
    lines.append(f"由选票重新计算的链头：{recomputed}")
    findings = [compare("表决记录 votes.chain_head", recomputed, vote.chain_head),
                compare("结果记录 result_json", recomputed, json.loads(vote.result_json).get("chain_head"))]
    audit_found, audit_lines, audit_ok = _audit_findings(vote, recomputed, audit_head, audit_check)
    findings += audit_found
    signed = vote.meeting is not None and vote.meeting.signed_dt is not None
    findings.append(compare(f"会议纪要（{'已签署' if signed else '未签署'}）", recomputed, minutes_head(vote)))
    for name, find_head in _sources.items():
        findings.append(compare(name, recomputed, find_head(vote)))
    if head is not None:
        findings.append(compare("命令行 --head", recomputed, head))
    lines += [f"链头来源 {f}" for f in findings] + audit_lines
    ok = ok and audit_ok and not any(f.verdict == DISAGREES for f in findings)
    return Report(ok, recomputed, findings, lines)

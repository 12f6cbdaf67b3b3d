"""The audit log's hash chain, as pure functions: how one event is hashed and how a chain is checked.

Every event carries its place in the chain (`seq`, 1, 2, 3 … with no gaps), the hash of the event
before it (`prev_hash`; the first event has `GENESIS`) and its own hash:

    chain_hash = SHA-256(version, prev_hash, seq, id, created_dt, actor_id, community_id, action,
                         object_type, object_id, from_state, to_state, reason, data_json)

Each field is tagged (None differs from "") and length-prefixed, so no two different events encode
to the same bytes. Changing, removing or inserting an event changes its hash or breaks the next
event's `prev_hash`; rewriting every later hash as well gives another head, which the head kept
outside the database (backup manifests, the admin page, the CSV export) then contradicts.
"""
import hashlib
from dataclasses import dataclass

from app.core.i18n import N_, Message

VERSION = b"yishi-audit-chain-v1"
GENESIS = hashlib.sha256(VERSION + b"\x00genesis").hexdigest()
# The fields hashed, in this order; `seq` and `id` first, the previous hash before them all.
FIELDS = ("seq", "id", "created_dt", "actor_id", "community_id", "action", "object_type", "object_id",
          "from_state", "to_state", "reason", "data_json")


def _field(value):
    if value is None:
        return b"\x00"
    if hasattr(value, "isoformat"):
        # Stored as naive UTC to the microsecond on SQLite and PostgreSQL alike.
        value = value.isoformat(timespec="microseconds")
    data = str(value).encode("utf-8")
    return b"\x01" + len(data).to_bytes(8, "big") + data


def _get(event, name):
    return event[name] if isinstance(event, dict) else getattr(event, name)


def event_hash(prev_hash, event):
    """The hash of one event (a mapping or an object with the `FIELDS`) after `prev_hash`."""
    parts = [VERSION, bytes.fromhex(prev_hash)]
    parts.extend(_field(_get(event, name)) for name in FIELDS)
    return hashlib.sha256(b"".join(parts)).hexdigest()


@dataclass(frozen=True)
class Break:
    """Where a chain stops holding: the event (seq and id) and why, in words."""

    seq: int | None
    event_id: int | None
    reason: Message | str   # a Message (or msgid), said in the reader's language

    def __str__(self):
        reason = self.reason if isinstance(self.reason, Message) else Message(self.reason)
        return str(Message(N_("第 %(seq)s 个事件（编号 %(event)s）：%(reason)s"), seq=self.seq,
                           event=self.event_id, reason=reason))


@dataclass(frozen=True)
class Check:
    """What walking a chain found: how many events held, the last good head, the first break."""

    count: int
    head: str
    broken: Break | None = None

    @property
    def ok(self):
        return self.broken is None


def walk(events, start_seq=0, start_hash=GENESIS):
    """Check events given in `seq` order (each with `FIELDS`, `prev_hash` and `chain_hash`).

    Stops at the first event whose place, previous hash or own hash is not what the chain before
    it gives. Starts at the genesis, or after an event known good (`start_seq`, `start_hash`).
    """
    head, seq, count = start_hash, start_seq, 0
    for event in events:
        seq += 1
        at = Break(_get(event, "seq"), _get(event, "id"), "")
        if _get(event, "seq") != seq:
            return Check(count, head, Break(at.seq, at.event_id, Message(
                N_("位置应为第 %(seq)d 个（事件被删除、插入或未入链）"), seq=seq)))
        if _get(event, "prev_hash") != head:
            return Check(count, head, Break(at.seq, at.event_id, Message(
                N_("记录的前一哈希与链不符（前面的事件被改动）"))))
        if _get(event, "chain_hash") != event_hash(head, event):
            return Check(count, head, Break(at.seq, at.event_id, Message(
                N_("事件内容与其哈希不符（此事件被改动）"))))
        head, count = _get(event, "chain_hash"), count + 1
    return Check(count, head)


def link(prev_seq, prev_hash, events):
    """[(seq, prev_hash, chain_hash)] for new events appended after (prev_seq, prev_hash), in
    the given order; each event needs every field of `FIELDS` but `seq`, which this assigns."""
    out = []
    for event in events:
        prev_seq += 1
        fields = {name: _get(event, name) for name in FIELDS if name != "seq"}
        fields["seq"] = prev_seq
        this = event_hash(prev_hash, fields)
        out.append((prev_seq, prev_hash, this))
        prev_hash = this
    return out

"""Nobody can link a secret ballot to its voter (DESIGN §6, issue 17): an attacker reads what an
operator can read and tries every ordering trick it knows.

Eight members cast in a known shuffled order. During the vote the attacker has the database
without the secret key; after the close it has the database and the key. It reads:

- SQLite: the raw database file and its `-wal` file, and every row in its stored order (and the
  rowid, where a table has one);
- PostgreSQL: every row with its `xmin` and `ctid`, and every tuple, live or dead, of the vote
  tables' pages (`pageinspect`; without it, `n_dead_tup` and the columns).

It must find no receipt and no choice during the vote, no seal after the close, and no pairing of
voters with receipts better than chance by any order it can see (rows, rowid, xmin, ctid, WAL
frames, byte offsets), including the arrival order of voters, which it may know.
Backups: taken during the vote, restored with the key, the vote closes and counts; under another
key the restore is refused, and with --void-sealed the vote is void.
"""
import random
import struct
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.db import unit_of_work
from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.meetings import live
from app.meetings import operations as meetings
from app.votes import operations as votes
from app.votes import present, sealed
from app.votes.casting import CAST_RACES, cast_online
from app.votes.models import Ballot, Vote, VoteParticipation, VoteState
from tests.conftest import Factory
from tests.integration.test_backup import scratch, scratch_url  # noqa: F401 - fixtures

VOTERS = 8
CHOICES = ("yes", "no", "abstain")
# Chance pairs about one of eight right; the attacker "wins" a trick with four or more.
BETTER_THAN_CHANCE = 4


def nonce(i):
    return f"unlinkable-{i:04d}-0123456789"


def cast(user_id, vote_id, choice, client_nonce):
    class Voter:
        id = user_id

    return unit_of_work(lambda attempt: cast_online(Voter, vote_id, choice, client_nonce, attempt),
                        retry_on=CAST_RACES, attempts=3)


def secret_vote(make, db):
    """A live meeting of eight voting members, all online, with a secret vote open."""
    community = make.community()
    body = community.body_by_preset("two_committees")
    chair = make.user(community, name="主持人")
    people = [chair] + [make.user(community, name=f"成员{i}", room=f"{101 + i}") for i in range(VOTERS - 1)]
    make.member(body, chair, role="chair")
    for person in people[1:]:
        make.member(body, person)
    start = utcnow() + timedelta(minutes=10)
    meeting = meetings.create_meeting(chair, body, title="换届", start_dt=start, place="会议室")
    meetings.add_item(chair, meeting, title="选举", description="选举")
    meetings.announce(chair, meeting, now=start - timedelta(days=30))
    db.session.commit()
    meetings.start(chair, meeting)
    for person in people:
        live.join_online(person, meeting)
    db.session.commit()
    vote = votes.open_vote(chair, meeting, kind="secret")
    db.session.commit()
    return chair, [p.id for p in people], vote.id


def cast_shuffled(voter_ids, vote_id):
    """Every voter casts, in a known shuffled order: {voter: (receipt, choice)} and the order."""
    order = list(voter_ids)
    random.Random(17).shuffle(order)
    truth = {}
    for i, voter in enumerate(order):
        choice = CHOICES[i % len(CHOICES)]
        truth[voter] = (cast(voter, vote_id, choice, nonce(voter)), choice)
    return truth, order


def correct_pairs(truth, voter_order, receipt_order):
    return sum(truth[v][0] == r for v, r in zip(voter_order, receipt_order) if v in truth)


def assert_no_pairing_beats_chance(truth, voter_orders, receipt_orders):
    for vname, voter_order in voter_orders.items():
        for rname, receipt_order in receipt_orders.items():
            right = correct_pairs(truth, voter_order, receipt_order)
            assert right < BETTER_THAN_CHANCE, \
                f"voters by {vname} zipped with receipts by {rname}: {right} of {len(truth)} linked"


# -- what the attacker reads ------------------------------------------------------------------

def sqlite_files(db):
    path = Path(db.engine.url.database)
    wal = Path(str(path) + "-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


def wal_frames(wal):
    """The page images of a SQLite WAL, in frame (write) order."""
    if len(wal) < 32:
        return []
    page_size = struct.unpack(">I", wal[8:12])[0]
    frames, offset = [], 32
    while offset + 24 + page_size <= len(wal):
        frames.append(wal[offset + 24:offset + 24 + page_size])
        offset += 24 + page_size
    return frames


def first_seen(blobs, needles):
    """Needles ordered by the first blob (frame, page) they appear in, then by offset in it."""
    seen = {}
    for index, blob in enumerate(blobs):
        for needle in needles:
            at = blob.find(needle.encode())
            if at >= 0 and needle not in seen:
                seen[needle] = (index, at)
    return sorted(seen, key=seen.get)


def rows_in_stored_order(db, table):
    """Every row of a table as a plain scan returns it (physical order), with rowid if it has one."""
    try:
        return db.session.execute(text(f"SELECT rowid AS _rowid, * FROM {table}")).mappings().all()
    except Exception:  # noqa: BLE001 - a WITHOUT ROWID table has none
        db.session.rollback()
        return db.session.execute(text(f"SELECT * FROM {table}")).mappings().all()


def pg_rows(db, table):
    return db.session.execute(text(
        f"SELECT xmin::text::bigint AS _xmin, ctid AS _ctid, * FROM {table}")).mappings().all()


def ctid_key(ctid):
    block, item = str(ctid).strip("()").split(",")
    return int(block), int(item)


def pg_tuples(db, table):
    """Every tuple in the table's pages, live or dead: (xmin, xmax, data bytes)."""
    db.session.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    pages = db.session.scalar(text(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int"))
    tuples = []
    for block in range(pages):
        tuples += [(xmin, xmax, bytes(data or b"")) for xmin, xmax, data in db.session.execute(text(
            f"SELECT t_xmin, t_xmax, t_data FROM heap_page_items(get_raw_page('{table}', {block}))"))
            if data is not None or xmin is not None]
    return tuples


def has_pageinspect(db):
    return bool(db.session.scalar(text(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'pageinspect'")))


def seal_pieces(seals):
    """Slices of every seal an attacker copied during the vote: none may remain after the close."""
    return [s[i:i + 32] for s in seals for i in range(0, len(s) - 32, 64)]


# -- the tests --------------------------------------------------------------------------------

def test_nobody_links_a_secret_ballot_to_its_voter(make, db):
    chair, voter_ids, vote_id = secret_vote(make, db)
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        before = b"".join(sqlite_files(db))
    truth, arrival = cast_shuffled(voter_ids, vote_id)
    receipts = [r for r, _ in truth.values()]
    assert len(set(receipts)) == VOTERS

    # During the vote, without the key: no receipt and no choice anywhere; only who took part.
    db.session.rollback()
    if sqlite:
        main, wal = sqlite_files(db)
        # The attack first: receipts by the WAL frame they first appear in, zipped with
        # the voters in the order they cast (which the participations' writes give away).
        assert_no_pairing_beats_chance(truth, {"arrival": arrival}, {
            "first WAL frame": first_seen(wal_frames(wal), receipts),
            "offset in the database file": first_seen([main], receipts)})
        for blob, name in ((main, "database file"), (wal, "write-ahead log")):
            for receipt in receipts:
                assert receipt.encode() not in blob and receipt.replace("-", "").encode() not in blob, \
                    f"a receipt in plaintext in the {name}"
        assert (main + wal).count(b"abstain") <= before.count(b"abstain"), "a choice in plaintext"
    else:
        # Ballots by their transaction, zipped with participations by theirs.
        parts = [r for r in pg_rows(db, "vote_participations") if r["vote_id"] == vote_id]
        ballots = [r for r in pg_rows(db, "ballots") if r["vote_id"] == vote_id]
        assert_no_pairing_beats_chance(
            truth, {"participation xmin": [r["user_id"] for r in sorted(parts, key=lambda r: r["_xmin"])]},
            {"ballot xmin": [r["receipt"] for r in sorted(ballots, key=lambda r: r["_xmin"])],
             "ballot ctid": [r["receipt"] for r in sorted(ballots, key=lambda r: ctid_key(r["_ctid"]))]})
    if not sqlite and has_pageinspect(db):
        for table in ("vote_participations", "ballots"):
            for _, _, data in pg_tuples(db, table):
                assert not any(r.encode() in data for r in receipts), f"a receipt in a tuple of {table}"
        db.session.rollback()

    for table in ("vote_participations", "ballots"):
        stored = rows_in_stored_order(db, table) if sqlite else pg_rows(db, table)
        for row in stored:
            shown = repr(dict(row))
            assert not any(r in shown for r in receipts), f"a receipt in plaintext in {table}"
    assert not Ballot.query.filter_by(vote_id=vote_id).count()
    participations = VoteParticipation.query.filter_by(vote_id=vote_id).all()
    assert {p.user_id for p in participations} == set(voter_ids)
    assert all(p.receipt is None and p.choice is None and p.sealed for p in participations)
    seals = [bytes(p.sealed) for p in participations]
    assert len({len(s) for s in seals}) == 1, "a seal's length must not tell the choice"

    # The close, then the attacker with the database and the key.
    vote = db.session.get(Vote, vote_id)
    votes.close_vote(db.session.get(type(chair), chair.id), vote)
    db.session.commit()
    counts = {c["key"]: c["count"] for c in vote.result["counts"]}
    assert counts == {c: sum(1 for _, ch in truth.values() if ch == c) for c in CHOICES}
    assert sorted(b["receipt"] for b in present.receipts(vote)) == sorted(receipts)
    ok, findings = present.verify(vote)
    assert ok, findings
    db.session.rollback()
    assert VoteParticipation.query.filter(VoteParticipation.sealed.is_not(None)).count() == 0

    chain_order = sorted(receipts)
    voter_orders = {"arrival (known from during the vote)": arrival}
    receipt_orders = {"chain order": chain_order}
    if sqlite:
        main, wal = sqlite_files(db)
        # The close truncated the log; what later commits (the room's version) wrote is new.
        pieces = seal_pieces(seals)
        assert not any(piece in main for piece in pieces), "a seal survived in the database file"
        assert not any(piece in wal for piece in pieces), "a seal survived in the write-ahead log"
        receipt_orders["offset in the database file"] = first_seen([main], receipts)
        receipt_orders["first WAL frame"] = first_seen(wal_frames(wal), receipts) or chain_order
        table_rows = rows_in_stored_order(db, "vote_participations")
        mine = [r for r in table_rows if r["vote_id"] == vote_id]
        voter_orders["stored order of participations"] = [r["user_id"] for r in mine]
        assert voter_orders["stored order of participations"] == sorted(voter_ids)
        if "_rowid" in (mine[0] if mine else {}):
            voter_orders["participation rowid"] = [r["user_id"] for r in sorted(mine, key=lambda r: r["_rowid"])]
        if "id" in (mine[0] if mine else {}):
            voter_orders["participation id"] = [r["user_id"] for r in sorted(mine, key=lambda r: r["id"])]
        ballot_rows = [r for r in rows_in_stored_order(db, "ballots") if r["vote_id"] == vote_id]
        receipt_orders["stored order of ballots"] = [r["receipt"] for r in ballot_rows]
        assert receipt_orders["stored order of ballots"] == chain_order
    else:
        parts = [r for r in pg_rows(db, "vote_participations") if r["vote_id"] == vote_id]
        ballots = [r for r in pg_rows(db, "ballots") if r["vote_id"] == vote_id]
        assert len({r["_xmin"] for r in parts}) == 1, "participations keep their own transactions"
        assert len({r["_xmin"] for r in ballots}) == 1, "ballots keep their own transactions"
        voter_orders["participation ctid"] = [r["user_id"] for r in sorted(parts, key=lambda r: ctid_key(r["_ctid"]))]
        voter_orders["participation xmin"] = [r["user_id"] for r in sorted(parts, key=lambda r: r["_xmin"])]
        receipt_orders["ballot ctid"] = [r["receipt"] for r in sorted(ballots, key=lambda r: ctid_key(r["_ctid"]))]
        receipt_orders["ballot xmin"] = [r["receipt"] for r in sorted(ballots, key=lambda r: r["_xmin"])]
        assert voter_orders["participation ctid"] == sorted(voter_ids)
        assert receipt_orders["ballot ctid"] == chain_order
        if has_pageinspect(db):
            pieces = seal_pieces(seals)

            def dead_tuples():
                return any(len(pg_tuples(db, t)) != db.session.scalar(text(f"SELECT count(*) FROM {t}"))
                           for t in ("vote_participations", "ballots"))

            # VACUUM keeps what a transaction still open elsewhere may see (under the parallel
            # suite: another connection of this database mid-transaction at the close, longer on
            # a loaded machine); the close's scrub then leaves the old versions to the next scrub.
            # Run that next one, as the next close would, until no such transaction is left (the
            # other worker's tests are short), and hold it to the same standard.
            deadline = time.monotonic() + 30
            while dead_tuples() and time.monotonic() < deadline:
                db.session.rollback()
                time.sleep(1)
                sealed._scrub()
            for table in ("vote_participations", "ballots"):
                tuples = pg_tuples(db, table)
                live = db.session.scalar(text(f"SELECT count(*) FROM {table}"))
                assert len(tuples) == live, f"{len(tuples) - live} dead tuples remain in {table}"
                assert not any(piece in data for _, _, data in tuples for piece in pieces), \
                    f"a seal survived in a tuple of {table}"
        else:
            assert db.session.scalar(text(
                "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables "
                "WHERE relname IN ('vote_participations', 'ballots')")) == 0
        db.session.rollback()
    assert_no_pairing_beats_chance(truth, voter_orders, receipt_orders)


def test_a_retry_during_a_secret_vote_gets_its_receipt_and_a_change_is_refused(make, db):
    _, voter_ids, vote_id = secret_vote(make, db)
    voter = voter_ids[3]
    first = cast(voter, vote_id, "no", nonce(1))
    assert cast(voter, vote_id, "no", nonce(1)) == first
    with pytest.raises(Refused) as changed:
        cast(voter, vote_id, "yes", nonce(1))
    assert changed.value.code == "already_cast"
    with pytest.raises(Refused) as again:
        cast(voter, vote_id, "no", nonce(2))
    assert again.value.code == "already_cast"
    # Another voter with the same client nonce gets a receipt of their own.
    assert cast(voter_ids[4], vote_id, "no", nonce(1)) != first
    db.session.rollback()
    assert VoteParticipation.query.filter_by(vote_id=vote_id).count() == 2


def test_a_backup_of_an_open_secret_vote_restores_with_the_key_and_only_with_it(scratch, tmp_path):  # noqa: F811
    from app.backup import BackupError, backup, restore
    from app.core.audit import AuditEvent
    from app.extensions import db

    make = Factory(db)
    chair, voter_ids, vote_id = secret_vote(make, db)
    chair_id, user_class = chair.id, type(chair)
    truth, _ = cast_shuffled(voter_ids, vote_id)
    expected = {c: sum(1 for _, ch in truth.values() if ch == c) for c in CHOICES}
    archive = tmp_path / "open-vote.tar.gz"
    manifest = backup(archive)
    assert manifest["secret_ballots"]["sealed_ballots"] is True
    assert scratch.config["SECRET_KEY"] not in str(manifest)

    # With the key: the vote closes and counts what was cast.
    restore(archive, force=True)
    vote = db.session.get(Vote, vote_id)
    votes.close_vote(db.session.get(user_class, chair_id), vote)
    db.session.commit()
    assert {c["key"]: c["count"] for c in vote.result["counts"]} == expected
    db.session.remove()

    # Under another key: refused, saying why; with --void-sealed the vote is void, in words.
    scratch.config["SECRET_KEY"] = "not-the-original-key"
    with pytest.raises(BackupError, match="sealed ballots") as refused:
        restore(archive, force=True)
    assert "--void-sealed" in str(refused.value.message)
    restored = restore(archive, force=True, void_sealed=True)
    assert restored["voided_votes"] == [vote_id]
    vote = db.session.get(Vote, vote_id)
    assert vote.state == VoteState.VOID and "作废" in vote.state_label
    assert VoteParticipation.query.filter(VoteParticipation.sealed.is_not(None)).count() == 0
    assert AuditEvent.query.filter_by(action="vote.voided").count() == 1
    assert any("作废" in line for line in present.minutes_lines(vote.meeting))
    assert present.vote_view(vote)["state_label"] == vote.state_label
    with pytest.raises(Refused):
        present.receipts(vote)

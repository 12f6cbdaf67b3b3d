"""The audit log is a hash chain: appended at commit under the head row's lock, checked by
`flask audit verify`, shown to admins, kept in every backup's manifest and checked on restore."""
import json
import threading

from sqlalchemy import select, text

from app.core import audit, auditchain
from app.core.audit import AuditEvent, record
from tests.conftest import login
from tests.integration.test_backup import scratch, scratch_url, seed  # noqa: F401 - fixtures


def events_in_order(db):
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()


def test_events_are_chained_at_commit(db):
    first = record("test.one", reason="甲")
    second = record("test.two", reason="乙", note="数据")
    db.session.commit()
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == auditchain.GENESIS and second.prev_hash == first.chain_hash
    assert audit.current_head() == (2, second.chain_hash)
    check = audit.verify_log()
    assert check.ok and check.count == 2 and check.head == second.chain_hash
    third = record("test.three")
    db.session.commit()
    assert third.seq == 3 and third.prev_hash == second.chain_hash


def test_a_rolled_back_savepoint_leaves_no_hole(db):
    record("test.kept")
    with db.session.begin_nested() as savepoint:
        record("test.dropped")
        db.session.flush()
        savepoint.rollback()
    record("test.kept_too")
    db.session.commit()
    assert [(e.seq, e.action) for e in events_in_order(db)] == [(1, "test.kept"), (2, "test.kept_too")]
    assert audit.verify_log().ok


def test_flask_audit_verify_names_the_edited_event(app, db):
    for i in range(4):
        record("test.step", reason=f"第{i}步")
        db.session.commit()
    runner = app.test_cli_runner()
    good = runner.invoke(args=["audit", "verify"])
    assert good.exit_code == 0 and "4 个事件完好" in good.output
    seq, head = audit.current_head()
    assert runner.invoke(args=["audit", "head"]).output.split() == [str(seq), head]
    assert runner.invoke(args=["audit", "verify", "--head", head]).exit_code == 0
    edited = events_in_order(db)[1]
    db.session.execute(text("UPDATE audit_events SET reason = '改过' WHERE id = :id"), {"id": edited.id})
    db.session.commit()
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and f"编号 {edited.id}" in bad.output and "第 2 个事件" in bad.output


def test_a_deleted_or_smuggled_event_breaks_the_chain(app, db):
    for i in range(3):
        record("test.step", reason=str(i))
    db.session.commit()
    runner = app.test_cli_runner()
    victim = events_in_order(db)[1]
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": victim.id})
    db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_an_event_inserted_around_the_app_is_not_in_the_chain(app, db):
    record("test.step")
    db.session.commit()
    db.session.execute(text("INSERT INTO audit_events (created_dt, action) VALUES (CURRENT_TIMESTAMP, 'forged')"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "不在链中" in result.output
    # The next commit of the app chains its own events only, never the smuggled one.
    record("test.after")
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 1


def test_a_rewritten_chain_no_longer_reaches_a_head_kept_elsewhere(app, db):
    for i in range(3):
        record("test.step", reason=str(i))
    db.session.commit()
    _, kept = audit.current_head()
    db.session.execute(text("UPDATE audit_events SET reason = '改过' WHERE seq = 2"))
    relink_everything(db)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0     # consistent inside the database…
    result = runner.invoke(args=["audit", "verify", "--head", kept])  # …but not with the kept head
    assert result.exit_code == 1 and "不在链中" in result.output


def relink_everything(db):
    """What an attacker with the database does after editing an event: redo every hash and the head."""
    rows = db.session.execute(select(audit.events_table).order_by(audit.events_table.c.seq)).mappings().all()
    links = auditchain.link(0, auditchain.GENESIS, rows)
    for row, (_, prev, this) in zip(rows, links, strict=True):
        db.session.execute(text("UPDATE audit_events SET prev_hash = :p, chain_hash = :h WHERE id = :id"),
                           {"p": prev, "h": this, "id": row["id"]})
    db.session.execute(text("UPDATE audit_chain_head SET seq = :s, hash = :h"),
                       {"s": links[-1][0], "h": links[-1][2]})
    db.session.commit()


def test_the_chain_holds_under_concurrent_writers(app, db):
    per_thread, errors = 25, []
    record("test.start")
    db.session.commit()

    def writer(name):
        with app.app_context():
            try:
                for i in range(per_thread):
                    record("test.concurrent", reason=f"{name}-{i}")
                    if i % 3 == 0:
                        record("test.concurrent", reason=f"{name}-{i}-second")
                    audit.db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                audit.db.session.remove()

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    expected = 1 + 2 * (per_thread + len(range(0, per_thread, 3)))
    check = audit.verify_log()
    assert check.ok and check.count == expected
    assert [e.seq for e in events_in_order(db)] == list(range(1, expected + 1))
    assert audit.current_head() == (expected, check.head)


def test_admins_see_the_head_and_the_export_carries_it(client, make, db):
    community = make.community()
    admin = make.user(community, roles=["admin"])
    record("something.changed", actor=admin, community_id=community.id, reason="因为")
    db.session.commit()
    seq, head = audit.current_head()
    login(client, admin)
    page = client.get(f"/c/{community.id}/admin/audit").get_data(as_text=True)
    assert head in page
    lines = client.get(f"/c/{community.id}/admin/audit.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == f"# audit_chain_head,{seq},{head}"
    assert lines[2].endswith(f",{seq},{auditchain.GENESIS},{head}")


def test_backup_manifest_keeps_the_head_and_restore_checks_it(scratch, tmp_path):  # noqa: F811
    from app import backup
    from app.extensions import db

    seed(scratch)
    record("test.before_backup")
    db.session.commit()
    seq, head = audit.current_head()
    archive = tmp_path / "one.tar.gz"
    runner = scratch.test_cli_runner()
    made = runner.invoke(args=["backup", str(archive)])
    assert made.exit_code == 0 and head in made.output
    manifest = backup.read_manifest(archive)
    assert manifest["audit_chain"] == {"seq": seq, "head": head}
    db.session.remove()
    restored = runner.invoke(args=["restore", "--force", str(archive)])
    assert restored.exit_code == 0 and "chain holds" in restored.output, restored.output

    # An archive whose manifest names another head, or whose chain was edited, restores with a warning.
    with backup.tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    manifest["audit_chain"]["head"] = "0" * 64
    members["manifest.json"] = json.dumps(manifest).encode()
    forged = tmp_path / "forged.tar.gz"
    with backup.tarfile.open(forged, "w:gz") as tar:
        for name, data in members.items():
            info = backup.tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, backup.io.BytesIO(data))
    db.session.remove()
    warned = runner.invoke(args=["restore", "--force", str(forged)])
    assert warned.exit_code == 0 and "Warning" in warned.output and "0" * 64 in warned.output


def test_a_long_log_is_paged_without_counting_it_whole(client, make, db, monkeypatch):
    """Past the count's cap the pager says which page, not how many, and offers the next one
    while there is one."""
    from app.core import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 120)
    community = make.community()
    admin = make.user(community, roles=["admin"])
    for i in range(130):
        record("something.changed", actor=admin, community_id=community.id, reason=f"第{i}次")
    db.session.commit()
    login(client, admin)
    pages = [client.get(f"/c/{community.id}/admin/audit?page={n}").get_data(as_text=True) for n in (1, 3)]
    assert 'rel="next"' in pages[0] and "第 1 页" in pages[0] and "第 1 /" not in pages[0]
    assert 'rel="next"' not in pages[1] and 'rel="prev"' in pages[1]
    assert pages[1].count("something.changed") == 30
    assert pages[0].count("第129次") == 1   # newest first

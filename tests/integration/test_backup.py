"""`flask backup` / `flask restore`: seed, back up, wipe, restore — the same rows and the same files.

Every test works on a scratch database of its own (a new SQLite file, or a new PostgreSQL database
on the TEST_DATABASE_URL server), never the shared test database: restore drops tables.
"""
import io
import json
import shutil
import tarfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from tests.conftest import Factory, database_kind, login, reset_schema

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + "提案附件".encode() * 100


@pytest.fixture()
def scratch_url(tmp_path):
    if database_kind() != "postgres":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    import os

    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip("YISHI_TEST_DB=postgres needs TEST_DATABASE_URL")
    from app import normalise_database_url

    admin = create_engine(normalise_database_url(server), isolation_level="AUTOCOMMIT")
    name = f"yishi_backup_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture()
def scratch(scratch_url, tmp_path):
    """An app on the scratch database with the schema of the migrations, inside its app context."""
    from app import create_app
    from app.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch_url,
                      "UPLOAD_DIR": str(tmp_path / "uploads"), "BACKUP_DIR": str(tmp_path / "backups"),
                      "SERVER_NAME": None})
    reset_schema(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def seed(app):
    """People, bodies, a proposal with two files, audit events: a bit of everything."""
    from app.extensions import db
    from app.proposals import operations
    from app.proposals import drafts

    make = Factory(db)
    community = make.community("阳光社区")
    author = make.user(community, name="张阿姨")
    make.user(community, name="王书记", roles=["staff"])
    make.user(community, name="待审核", verified=False, room="302")
    body = community.body_by_preset("two_committees")
    make.member(body, author, role="chair")
    with app.test_request_context():
        drafts.create_draft(author, community, title="楼道灯不亮",
                                category=operations.settings_for(community).categories[0],
                                problem="三单元楼道的灯坏了两个月，晚上看不见台阶。",
                                suggestion="请物业换成声控灯。",
                                files=[("照片.png", PNG), ("说明.pdf", PDF)])
        db.session.commit()
    return author.id, community.id


def later_factory():
    """A factory whose phone numbers do not collide with seed()'s."""
    from app.extensions import db

    make = Factory(db)
    make._phone = 13900000000
    return make


def snapshot(app):
    """Every row of every table (ordered by key) and every upload file's bytes."""
    from app.extensions import db

    metadata = MetaData()
    with db.engine.connect() as conn:
        metadata.reflect(bind=conn)
        rows = {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in metadata.sorted_tables}
    root = Path(app.config["UPLOAD_DIR"])
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return rows, files


def wipe(app):
    """A new server: no tables at all, no upload folder."""
    from app.extensions import db

    db.session.remove()
    metadata = MetaData()
    with db.engine.begin() as conn:
        metadata.reflect(bind=conn)
        metadata.drop_all(bind=conn)
    shutil.rmtree(app.config["UPLOAD_DIR"], ignore_errors=True)


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def native_method():
    return "pg_dump" if database_kind() == "postgres" else "sqlite"


@pytest.mark.parametrize("method", ["native", "portable"])
def test_backup_wipe_restore_gives_back_every_row_and_file(scratch, tmp_path, method):
    from app.auth.models import User
    from app.extensions import db

    method = native_method() if method == "native" else method
    if method == "pg_dump" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed (the portable method is tested beside it)")
    author_id, community_id = seed(scratch)
    before = snapshot(scratch)
    assert len(before[1]) == 2 and sum(map(len, before[0].values())) > 20

    archive = tmp_path / "yishi.tar.gz"
    result = run(scratch, "backup", str(archive), "--method", method)
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output

    wipe(scratch)
    assert snapshot(scratch) == ({}, {})

    result = run(scratch, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert snapshot(scratch) == before

    # The restored site works: the author logs in with the old password, and new rows get fresh ids.
    client = scratch.test_client()
    login(client, db.session.get(User, author_id))
    proposal_id = before[0]["proposals"][0][0]
    assert "楼道灯不亮" in client.get(f"/c/{community_id}/proposals/{proposal_id}").get_data(as_text=True)
    png = next(r[0] for r in db.session.execute(text("SELECT id FROM proposal_attachments WHERE size = :n"),
                                                 {"n": len(PNG)}))
    assert client.get(f"/c/{community_id}/proposals/{proposal_id}/files/{png}").data == PNG
    newcomer = later_factory().user(db.session.get(User, author_id).community, name="新邻居")
    assert newcomer.id > max(r[0] for r in before[0]["users"])


def test_manifest_names_revision_counts_and_files(scratch, tmp_path):
    seed(scratch)
    rows, files = snapshot(scratch)
    archive = tmp_path / "yishi.tar.gz"
    assert run(scratch, "backup", str(archive)).exit_code == 0
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = tar.getnames()
    with scratch.app_context():
        from app.extensions import db

        with db.engine.connect() as conn:
            head = sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
    assert manifest["revisions"] == head
    assert manifest["database"]["method"] == native_method() or not shutil.which("pg_dump")
    assert manifest["counts"]["users"] == len(rows["users"]) == 3
    assert manifest["counts"]["proposal_attachments"] == 2
    assert manifest["uploads"] == {"files": 2, "bytes": len(PNG) + len(PDF)}
    assert sorted(n for n in names if n.startswith("uploads/")) == sorted(f"uploads/{f}" for f in files)
    assert manifest["created_utc"].endswith("+00:00")


def test_restore_refuses_a_database_with_data_unless_forced(scratch, tmp_path):
    from app.extensions import db

    seed(scratch)
    archive = tmp_path / "yishi.tar.gz"
    assert run(scratch, "backup", str(archive)).exit_code == 0
    later_factory().user(None, name="备份之后注册")
    after = snapshot(scratch)

    result = run(scratch, "restore", str(archive))
    assert result.exit_code == 1
    assert "not empty" in result.output and "--force" in result.output
    assert snapshot(scratch) == after   # nothing touched

    result = run(scratch, "restore", str(archive), "--force")
    assert result.exit_code == 0, result.output
    names = [r[0] for r in db.session.execute(text("SELECT name FROM users"))]
    assert "备份之后注册" not in names and "张阿姨" in names


def test_uploads_alone_make_the_target_not_empty(scratch, tmp_path):
    archive = tmp_path / "empty.tar.gz"
    assert run(scratch, "backup", str(archive)).exit_code == 0
    stray = Path(scratch.config["UPLOAD_DIR"]) / "proposals" / "left.png"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(PNG)
    result = run(scratch, "restore", str(archive))
    assert result.exit_code == 1 and "1 uploaded files" in result.output
    assert run(scratch, "restore", str(archive), "--force").exit_code == 0
    assert not stray.exists()


def _rewrite_manifest(source, target, **changes):
    with tarfile.open(source) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest.update(changes)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)


def test_restore_refuses_an_archive_from_a_newer_revision(scratch, tmp_path):
    seed(scratch)
    archive = tmp_path / "yishi.tar.gz"
    assert run(scratch, "backup", str(archive)).exit_code == 0
    future = tmp_path / "future.tar.gz"
    _rewrite_manifest(archive, future, revisions=["ffffffffffff"])
    wipe(scratch)
    for args in ([], ["--force"]):
        result = run(scratch, "restore", str(future), *args)
        assert result.exit_code == 1
        assert "ffffffffffff" in result.output and "upgrade the code" in result.output
    assert snapshot(scratch) == ({}, {})   # refused before anything changed


def test_restore_refuses_a_file_that_is_no_backup(scratch, tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tar file")
    result = run(scratch, "restore", str(bogus))
    assert result.exit_code == 1 and "not a Yishi backup archive" in result.output


def test_backup_without_a_path_goes_to_backup_dir_and_keeps_the_newest(scratch, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    old = [backups / f"yishi-2020010{i}-030000.tar.gz" for i in range(1, 4)]
    for path in old:
        path.write_bytes(b"an old archive")
    result = run(scratch, "backup", "--keep", "2")
    assert result.exit_code == 0, result.output
    kept = sorted(p.name for p in backups.iterdir())
    assert len(kept) == 2 and kept[0] == old[-1].name   # the newest old one and today's
    assert kept[1].startswith("yishi-20") and kept[1] > old[-1].name
    assert "Deleted old backup" in result.output
    result = run(scratch, "restore", str(backups / kept[1]))   # a real archive of the empty site
    assert result.exit_code == 0 and "Restored" in result.output, result.output

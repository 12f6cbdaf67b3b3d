"""`flask backup` and `flask restore`: the database and the uploaded files in one archive.

The archive is a gzip'd tar holding:

    manifest.json     format, time, Alembic revision(s), dialect, method, rows per table, files,
                      the audit log's hash chain head (place and hash) in the saved copy, and
                      the secret key's fingerprint with whether sealed ballots are in the copy
    database.<ext>    the database, written by one of three methods (below)
    uploads/...       every file under UPLOAD_DIR

Methods (`--method auto` picks the first that fits the database):

- ``sqlite``: the sqlite3 online backup API, consistent while the app keeps running; restore
  copies the file back with the same API.
- ``pg_dump``: PostgreSQL's own custom-format dump, taken in the snapshot the row counts were
  read in; restore with pg_restore. Used when the pg_dump binary is on PATH.
- ``portable``: every table's rows as JSON lines, read in one repeatable-read transaction.
  Restore builds the schema through the migrations up to the archive's revision, then inserts
  the rows in foreign-key order and moves PostgreSQL's sequences past them. It needs no binary
  and also carries data from SQLite to PostgreSQL and back; `auto` falls back to it on
  PostgreSQL without pg_dump.

Restore refuses an archive whose revision this code's migrations do not know (a newer release
wrote it), and a database or upload folder that already holds data unless --force is given.
After a restore of an older archive, `flask db upgrade` brings the schema up to date. A restore
walks the restored audit chain and says when it does not hold or does not reach the manifest's head.

The archive never carries the secret key. An open secret vote's ballots are sealed under a key
derived from it (app/votes/seal.py), so a restore of an archive holding sealed ballots under an
instance whose key is another is refused, unless --void-sealed: then those votes are made void.
"""
import base64
import datetime as dt
import decimal
import gzip
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import click
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine, func, inspect, select, text

from app.core import audit
from app.extensions import db, migrate
from app.votes import sealed

FORMAT = "yishi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DB_FILES = {"sqlite": "database.sqlite3", "pg_dump": "database.pgdump", "portable": "database.jsonl.gz"}
VERSION_TABLE = "alembic_version"
BATCH = 1000


class BackupError(click.ClickException):
    """A refusal the operator can act on; the command exits with status 1."""


# -- helpers shared by both directions -------------------------------------------------------

def _engine():
    return db.engine


def _upload_dir():
    return Path(current_app.config["UPLOAD_DIR"])


def _migrations_dir():
    return current_app.extensions["migrate"].directory


def _utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _libpq(engine):
    """(connection string without the password, environment carrying it) for pg_dump/pg_restore."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def _user_tables(metadata):
    return [t for t in metadata.sorted_tables if t.name != VERSION_TABLE]


def _reflect(conn):
    metadata = MetaData()
    metadata.reflect(bind=conn)
    return metadata


def _revisions(conn):
    if not inspect(conn).has_table(VERSION_TABLE):
        return []
    return sorted(r[0] for r in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")))


def _counts(conn, metadata):
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in _user_tables(metadata)}


def _upload_files(root):
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


# -- backup -------------------------------------------------------------------------------------

def choose_method(engine, requested="auto"):
    dialect = engine.dialect.name
    if requested == "auto":
        if dialect == "sqlite":
            return "sqlite"
        if dialect == "postgresql" and shutil.which("pg_dump"):
            return "pg_dump"
        return "portable"
    if requested == "sqlite" and dialect != "sqlite":
        raise BackupError("--method sqlite works on a SQLite database only.")
    if requested == "pg_dump":
        if dialect != "postgresql":
            raise BackupError("--method pg_dump works on a PostgreSQL database only.")
        if not shutil.which("pg_dump"):
            raise BackupError("pg_dump is not installed; use --method portable.")
    return requested


def backup(target, method="auto"):
    """Write the archive to `target` and return its manifest."""
    engine = _engine()
    method = choose_method(engine, method)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yishi-backup-") as tmp:
        db_file = Path(tmp) / DB_FILES[method]
        dump = {"sqlite": _dump_sqlite, "pg_dump": _dump_pg, "portable": _dump_portable}[method]
        revisions, counts, chain, secret_ballots = dump(engine, db_file)
        files = _upload_files(_upload_dir())
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_utc": _utcnow().isoformat(),
            "revisions": revisions,
            "database": {"dialect": engine.dialect.name, "method": method, "file": db_file.name},
            "counts": counts,
            "audit_chain": chain,
            "secret_ballots": secret_ballots,
            "uploads": {"files": len(files), "bytes": sum(p.stat().st_size for p in files)},
        }
        # Written beside the target and renamed at the end: a broken run leaves no archive.
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(_utcnow().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(db_file, arcname=db_file.name)
            root = _upload_dir()
            for path in files:
                tar.add(path, arcname=f"{UPLOADS}/{path.relative_to(root).as_posix()}")
        partial.replace(target)
    return manifest


def _dump_sqlite(engine, db_file):
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up.")
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(db_file)
    try:
        source.backup(copy)  # page by page, consistent while others write
    finally:
        source.close()
        copy.close()
    # Revision and counts come from the copy itself, so they describe exactly what was saved.
    copy_engine = create_engine(f"sqlite:///{db_file}")
    try:
        with copy_engine.connect() as conn:
            return (_revisions(conn), _counts(conn, _reflect(conn)), audit.chain_state(conn),
                    sealed.backup_facts(conn))
    finally:
        copy_engine.dispose()


def _snapshot_connection(engine):
    """A read-only repeatable-read connection: one consistent view of every table."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return conn


def _dump_pg(engine, db_file):
    with _snapshot_connection(engine) as conn:
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revisions, counts, chain = _revisions(conn), _counts(conn, _reflect(conn)), audit.chain_state(conn)
            secret_ballots = sealed.backup_facts(conn)
            conninfo, env = _libpq(engine)
            # pg_dump reads in the snapshot our open transaction exported: counts and dump agree.
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", f"--file={db_file}", conninfo],
                env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()} (or use --method portable)")
    return revisions, counts, chain, secret_ballots


def _encode(value):
    """A JSON-safe value; types JSON lacks are tagged so restore brings them back exactly."""
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (dict, list)):
        return {"$json": value}
    return value


def _decode(value):
    if not isinstance(value, dict):
        return value
    (tag, raw), = value.items()
    return {
        "$dt": dt.datetime.fromisoformat,
        "$date": dt.date.fromisoformat,
        "$time": dt.time.fromisoformat,
        "$dec": decimal.Decimal,
        "$b64": base64.b64decode,
        "$json": lambda v: v,
    }[tag](raw)


def _dump_portable(engine, db_file):
    with _snapshot_connection(engine) as conn, conn.begin():
        metadata = _reflect(conn)
        revisions, counts = _revisions(conn), {}
        with gzip.open(db_file, "wt", encoding="utf-8") as out:
            for table in _user_tables(metadata):
                columns = [c.name for c in table.columns]
                out.write(json.dumps({"table": table.name, "columns": columns}, ensure_ascii=False) + "\n")
                order = list(table.primary_key.columns) or list(table.columns)
                n = 0
                for row in conn.execute(select(table).order_by(*order)):
                    out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                    n += 1
                counts[table.name] = n
        chain, secret_ballots = audit.chain_state(conn), sealed.backup_facts(conn)
    return revisions, counts, chain, secret_ballots


# -- restore ------------------------------------------------------------------------------------

def read_manifest(archive):
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.load(member)
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{archive} is not a Yishi backup archive ({exc}).") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{archive} is not a Yishi backup archive of format {FORMAT_VERSION}.")
    return manifest


def check_revisions(revisions):
    """Refuse revisions this code's migrations do not contain (a newer release wrote them)."""
    if not revisions:
        raise BackupError("the archive names no database revision; it cannot be restored safely.")
    config = Config()
    config.set_main_option("script_location", str(_migrations_dir()))
    script = ScriptDirectory.from_config(config)
    for revision in revisions:
        try:
            known = script.get_revision(revision) if isinstance(revision, str) else None
        except Exception:  # noqa: BLE001 - alembic answers an unknown id with several error types
            known = None
        if known is None:
            raise BackupError(
                f"the archive comes from database revision {revision}, which this version of Yishi "
                "does not know (a newer release made it): upgrade the code first.")


def existing_data(engine):
    """What the target holds beyond a new database: {table: extra rows}, and upload files.

    Some migrations seed rows (bookkeeping such as the notice board's index state); a database
    that has only those is as empty as `flask db upgrade` leaves it.
    """
    with engine.connect() as conn:
        metadata = _reflect(conn)
        counts = _counts(conn, metadata)
        revisions = _revisions(conn)
    if any(counts.values()):
        seed = _migration_seed(revisions)
        counts = {name: n - seed.get(name, 0) for name, n in counts.items()}
    rows = {name: n for name, n in counts.items() if n > 0}
    return rows, len(_upload_files(_upload_dir()))


def _migration_seed(revisions):
    """Rows per table that the migrations themselves put into a new database at `revisions`."""
    if not revisions:
        return {}
    directory = str(_migrations_dir())
    with tempfile.TemporaryDirectory(prefix="yishi-seed-") as tmp:
        scratch = _scratch_app(f"sqlite:///{tmp}/seed.sqlite3", directory)
        with scratch.app_context():
            for revision in revisions:
                upgrade(directory=directory, revision=revision)
            with db.engine.connect() as conn:
                seed = _counts(conn, _reflect(conn))
            db.engine.dispose()
    return seed



def _scratch_app(database_url, directory):
    """An application with only what Alembic needs, the database and the migrations (the whole
    factory would import this module again: it registers these commands)."""
    scratch = Flask(__name__)
    scratch.config["SQLALCHEMY_DATABASE_URI"] = database_url
    db.init_app(scratch)
    migrate.init_app(scratch, db, render_as_batch=True, directory=directory)
    return scratch

def restore(archive, force=False, void_sealed=False):
    """Replace the database and the uploads with the archive's; returns the manifest.

    `void_sealed`: restore even when the archive's sealed ballots need another secret key, and
    make their votes void (`manifest["voided_votes"]`)."""
    manifest = read_manifest(archive)
    check_revisions(manifest["revisions"])
    unopenable = sealed.restore_refusal(manifest)
    if unopenable and not void_sealed:
        raise BackupError(f"refused: {unopenable}")
    engine = _engine()
    method = manifest["database"]["method"]
    if method == "sqlite" and engine.dialect.name != "sqlite":
        raise BackupError("this archive holds a SQLite file: restore it into SQLite, or make the "
                          "backup again with --method portable.")
    if method == "pg_dump" and engine.dialect.name != "postgresql":
        raise BackupError("this archive holds a PostgreSQL dump: restore it into PostgreSQL, or make "
                          "the backup again with --method portable.")
    if method == "pg_dump" and not shutil.which("pg_restore"):
        raise BackupError("pg_restore is not installed: install the PostgreSQL client tools.")
    rows, files = existing_data(engine)
    if (rows or files) and not force:
        raise BackupError(
            f"the target is not empty ({sum(rows.values())} rows in {len(rows)} tables, {files} "
            "uploaded files): restoring would replace them. Add --force to do so.")

    db.session.remove()
    engine.dispose()
    with tempfile.TemporaryDirectory(prefix="yishi-restore-") as tmp:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")  # no absolute paths, no "..", no devices
        db_file = Path(tmp) / manifest["database"]["file"]
        {"sqlite": _load_sqlite, "pg_dump": _load_pg, "portable": _load_portable}[method](
            engine, db_file, manifest)
        engine.dispose()
        _replace_uploads(Path(tmp) / UPLOADS)
    _verify(engine, manifest)
    with engine.connect() as conn:
        manifest["audit_chain_warnings"] = audit.restored_chain_warnings(conn, manifest.get("audit_chain"))
    manifest["voided_votes"] = []
    if unopenable:
        manifest["voided_votes"] = sealed.void_sealed_votes(
            "以其他密钥恢复备份：密封的无记名选票无法开启（flask restore --void-sealed）")
        db.session.commit()
    return manifest


def _drop_everything(engine):
    with engine.begin() as conn:
        metadata = _reflect(conn)
        metadata.drop_all(bind=conn)


def _load_sqlite(engine, db_file, manifest):
    target_path = engine.url.database
    if not target_path or target_path == ":memory:":
        raise BackupError("cannot restore into an in-memory SQLite database.")
    source = sqlite3.connect(db_file)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)  # replaces every page: schema, rows and alembic_version
    finally:
        source.close()
        target.close()


def _load_pg(engine, db_file, manifest):
    _drop_everything(engine)
    conninfo, env = _libpq(engine)
    result = subprocess.run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={conninfo}", str(db_file)],
        env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def _load_portable(engine, db_file, manifest):
    _drop_everything(engine)
    for revision in manifest["revisions"]:
        upgrade(directory=str(_migrations_dir()), revision=revision)
    with engine.begin() as conn:
        metadata = _reflect(conn)
        tables = {t.name: t for t in metadata.tables.values()}
        # Migrations may seed rows; the archive's rows are the whole truth.
        for table in reversed(_user_tables(metadata)):
            conn.execute(table.delete())
        for name, columns, rows in _read_portable(db_file):
            table = tables.get(name)
            if table is None:
                raise BackupError(f"the schema at the archive's revision has no table {name}.")
            for start in range(0, len(rows), BATCH):
                conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows[start:start + BATCH]])
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn, metadata)


def _read_portable(db_file):
    """(table, columns, rows) in the order they were written, which is foreign-key order."""
    current = None
    with gzip.open(db_file, "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            if isinstance(item, dict):
                if current:
                    yield current
                current = (item["table"], item["columns"], [])
            else:
                current[2].append([_decode(v) for v in item])
    if current:
        yield current


def _reset_sequences(conn, metadata):
    """Move every serial column's sequence past the restored rows, or the next insert collides."""
    for table in _user_tables(metadata):
        for column in table.primary_key.columns:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence:
                conn.execute(text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 1), '
                    f'(SELECT MAX("{column.name}") FROM "{table.name}") IS NOT NULL)'), {"s": sequence})


def _replace_uploads(extracted):
    """Swap the upload folder for the archive's, keeping the old one until the new is in place."""
    target = _upload_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=target.parent))
    if extracted.is_dir():
        shutil.copytree(extracted, staging / "new")
    else:
        (staging / "new").mkdir()
    if target.exists():
        target.rename(staging / "old")
    (staging / "new").rename(target)
    shutil.rmtree(staging)


def _verify(engine, manifest):
    with engine.connect() as conn:
        counts = _counts(conn, _reflect(conn))
        revisions = _revisions(conn)
    wrong = {name: (n, counts.get(name)) for name, n in manifest["counts"].items() if counts.get(name) != n}
    if wrong or revisions != manifest["revisions"]:
        raise BackupError(f"the restored database does not match the archive: {wrong or revisions}")
    files = len(_upload_files(_upload_dir()))
    if files != manifest["uploads"]["files"]:
        raise BackupError(f"{files} upload files restored, the archive lists {manifest['uploads']['files']}.")


# -- command line -------------------------------------------------------------------------------

def _backup_dir():
    return Path(current_app.config.get("BACKUP_DIR") or Path(current_app.instance_path) / "backups")


def _default_archive():
    stamp = _utcnow().strftime("%Y%m%d-%H%M%S")
    return _backup_dir() / f"yishi-{stamp}.tar.gz"


def prune(keep):
    """Delete all but the `keep` newest yishi-*.tar.gz archives in BACKUP_DIR; returns the deleted."""
    archives = sorted(_backup_dir().glob("yishi-*.tar.gz"))  # the timestamp sorts by time
    doomed = archives[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


def register(app):
    @app.cli.command("backup")
    @click.argument("archive", required=False, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--method", type=click.Choice(["auto", "sqlite", "pg_dump", "portable"]),
                  default="auto", show_default=True, help="How to save the database.")
    @click.option("--keep", type=click.IntRange(min=1), default=None,
                  help="Then delete all but the KEEP newest archives in BACKUP_DIR.")
    def backup_command(archive, method, keep):
        """Save the database and the uploaded files into one archive (.tar.gz).

        Without ARCHIVE it goes to BACKUP_DIR/yishi-<UTC time>.tar.gz.
        """
        archive = archive or _default_archive()
        manifest = backup(archive, method)
        rows = sum(manifest["counts"].values())
        click.echo(f"Backup written to {archive}: revision {', '.join(manifest['revisions']) or '-'}, "
                   f"{rows} rows in {len(manifest['counts'])} tables ({manifest['database']['method']}), "
                   f"{manifest['uploads']['files']} uploaded files.")
        if manifest["audit_chain"]:
            click.echo(f"Audit log head (keep a copy apart): {manifest['audit_chain']['seq']} "
                       f"{manifest['audit_chain']['head']}")
        if manifest["secret_ballots"]["sealed_ballots"]:
            click.echo("Sealed ballots of open secret votes are in it: restoring them needs this "
                       f"instance's secret key (fingerprint {manifest['secret_ballots']['key_fingerprint']}), "
                       "which the archive does not carry.")
        if keep:
            for path in prune(keep):
                click.echo(f"Deleted old backup {path}")

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace a database or upload folder that holds data.")
    @click.option("--void-sealed", is_flag=True,
                  help="Restore even if the archive's sealed ballots need another secret key; "
                       "their open secret votes become void.")
    def restore_command(archive, force, void_sealed):
        """Replace the database and the uploaded files with those in ARCHIVE. Stop the app first.

        Open secret votes' ballots are sealed under the instance's secret key, which the archive
        does not carry: restore with the original key (instance/secret_key or SECRET_KEY)."""
        manifest = restore(archive, force=force, void_sealed=void_sealed)
        rows = sum(manifest["counts"].values())
        click.echo(f"Restored {archive} (made {manifest['created_utc']}): {rows} rows, "
                   f"{manifest['uploads']['files']} uploaded files, revision "
                   f"{', '.join(manifest['revisions'])}. Run `flask db upgrade` if this code is newer.")
        chain = manifest.get("audit_chain")
        for warning in manifest["audit_chain_warnings"]:
            click.echo(f"Warning: {warning}", err=True)
        if chain and not manifest["audit_chain_warnings"]:
            click.echo(f"Audit log hash chain holds, head {chain['seq']} {chain['head']}.")
        for vote_id in manifest["voided_votes"]:
            click.echo(f"Vote {vote_id} is void: its sealed ballots need the original secret key.", err=True)

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
import datetime as dt
import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

import click
from flask import Flask, current_app

from app import backup_db as store
from app.backup_db import BackupError
from app.core import audit
from app.extensions import db, migrate
from app.votes import sealed

FORMAT = "yishi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DB_FILES = {"sqlite": "database.sqlite3", "pg_dump": "database.pgdump", "portable": "database.jsonl.gz"}


# -- helpers shared by both directions -------------------------------------------------------


def _upload_dir():
    return Path(current_app.config["UPLOAD_DIR"])


def _utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


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
    engine = store.engine()
    method = choose_method(engine, method)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yishi-backup-") as tmp:
        db_file = Path(tmp) / DB_FILES[method]
        dump = {"sqlite": store.dump_sqlite, "pg_dump": store.dump_pg, "portable": store.dump_portable}[method]
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
    from alembic.config import Config   # here: a serving process never loads Alembic
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(store.migrations_dir()))
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
        metadata = store.reflect(conn)
        counts = store.count_rows(conn, metadata)
        revisions = store.read_revisions(conn)
    if any(counts.values()):
        seed = _migration_seed(revisions)
        counts = {name: n - seed.get(name, 0) for name, n in counts.items()}
    rows = {name: n for name, n in counts.items() if n > 0}
    return rows, len(_upload_files(_upload_dir()))


def _migration_seed(revisions):
    """Rows per table that the migrations themselves put into a new database at `revisions`."""
    if not revisions:
        return {}
    from flask_migrate import upgrade   # here: a serving process never loads Alembic

    directory = str(store.migrations_dir())
    with tempfile.TemporaryDirectory(prefix="yishi-seed-") as tmp:
        scratch = _scratch_app(f"sqlite:///{tmp}/seed.sqlite3", directory)
        with scratch.app_context():
            for revision in revisions:
                upgrade(directory=directory, revision=revision)
            with db.engine.connect() as conn:
                seed = store.count_rows(conn, store.reflect(conn))
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
    engine = store.engine()
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
        {"sqlite": store.load_sqlite, "pg_dump": store.load_pg, "portable": store.load_portable}[method](
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
        counts = store.count_rows(conn, store.reflect(conn))
        revisions = store.read_revisions(conn)
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

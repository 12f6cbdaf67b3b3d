"""The database side of `flask backup` and `flask restore` (app/backup.py): reading a consistent copy
of every table, and the three methods that write it into the archive and load it back (sqlite,
pg_dump, portable JSON lines)."""
import base64
import datetime as dt
import decimal
import gzip
import json
import os
import sqlite3
import subprocess

import click
from flask import current_app
from sqlalchemy import MetaData, create_engine, func, inspect, select, text

from app.core import audit
from app.extensions import db
from app.votes import sealed


VERSION_TABLE = "alembic_version"


BATCH = 1000


class BackupError(click.ClickException):
    """A refusal the operator can act on; the command exits with status 1."""


def engine():
    return db.engine


def migrations_dir():
    return current_app.extensions["migrate"].directory


def libpq(engine):
    """(connection string without the password, environment carrying it) for pg_dump/pg_restore."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def user_tables(metadata):
    return [t for t in metadata.sorted_tables if t.name != VERSION_TABLE]


def reflect(conn):
    metadata = MetaData()
    metadata.reflect(bind=conn)
    return metadata


def read_revisions(conn):
    if not inspect(conn).has_table(VERSION_TABLE):
        return []
    return sorted(r[0] for r in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")))


def count_rows(conn, metadata):
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in user_tables(metadata)}


def dump_sqlite(engine, db_file):
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
            return (read_revisions(conn), count_rows(conn, reflect(conn)), audit.chain_state(conn),
                    sealed.backup_facts(conn))
    finally:
        copy_engine.dispose()


def snapshot_connection(engine):
    """A read-only repeatable-read connection: one consistent view of every table."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return conn


def dump_pg(engine, db_file):
    with snapshot_connection(engine) as conn:
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revisions, counts, chain = read_revisions(conn), count_rows(conn, reflect(conn)), audit.chain_state(conn)
            secret_ballots = sealed.backup_facts(conn)
            conninfo, env = libpq(engine)
            # pg_dump reads in the snapshot our open transaction exported: counts and dump agree.
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", f"--file={db_file}", conninfo],
                env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()} (or use --method portable)")
    return revisions, counts, chain, secret_ballots


def encode(value):
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


def decode(value):
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


def dump_portable(engine, db_file):
    with snapshot_connection(engine) as conn, conn.begin():
        metadata = reflect(conn)
        revisions, counts = read_revisions(conn), {}
        with gzip.open(db_file, "wt", encoding="utf-8") as out:
            for table in user_tables(metadata):
                columns = [c.name for c in table.columns]
                out.write(json.dumps({"table": table.name, "columns": columns}, ensure_ascii=False) + "\n")
                order = list(table.primary_key.columns) or list(table.columns)
                n = 0
                for row in conn.execute(select(table).order_by(*order)):
                    out.write(json.dumps([encode(v) for v in row], ensure_ascii=False) + "\n")
                    n += 1
                counts[table.name] = n
        chain, secret_ballots = audit.chain_state(conn), sealed.backup_facts(conn)
    return revisions, counts, chain, secret_ballots


def drop_everything(engine):
    with engine.begin() as conn:
        metadata = reflect(conn)
        metadata.drop_all(bind=conn)


def load_sqlite(engine, db_file, manifest):
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


def load_pg(engine, db_file, manifest):
    drop_everything(engine)
    conninfo, env = libpq(engine)
    result = subprocess.run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={conninfo}", str(db_file)],
        env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def load_portable(engine, db_file, manifest):
    from flask_migrate import upgrade   # here: a serving process never loads Alembic

    drop_everything(engine)
    for revision in manifest["revisions"]:
        upgrade(directory=str(migrations_dir()), revision=revision)
    with engine.begin() as conn:
        metadata = reflect(conn)
        tables = {t.name: t for t in metadata.tables.values()}
        # Migrations may seed rows; the archive's rows are the whole truth.
        for table in reversed(user_tables(metadata)):
            conn.execute(table.delete())
        for name, columns, rows in read_portable(db_file):
            table = tables.get(name)
            if table is None:
                raise BackupError(f"the schema at the archive's revision has no table {name}.")
            for start in range(0, len(rows), BATCH):
                conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows[start:start + BATCH]])
        if engine.dialect.name == "postgresql":
            reset_sequences(conn, metadata)


def read_portable(db_file):
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
                current[2].append([decode(v) for v in item])
    if current:
        yield current


def reset_sequences(conn, metadata):
    """Move every serial column's sequence past the restored rows, or the next insert collides."""
    for table in user_tables(metadata):
        for column in table.primary_key.columns:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence:
                conn.execute(text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 1), '
                    f'(SELECT MAX("{column.name}") FROM "{table.name}") IS NOT NULL)'), {"s": sequence})

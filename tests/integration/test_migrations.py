"""Migrations build the schema from empty on SQLite and PostgreSQL, and match the models exactly."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from tests.conftest import ROOT

MIGRATIONS = str(ROOT / "migrations")


def _fresh(url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    from app.extensions import db

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    return app


def _check(url):
    app = _fresh(url)
    from app.extensions import db

    with app.app_context():
        # As an operator runs it: the app registers `flask db` without importing Flask-Migrate.
        result = app.test_cli_runner().invoke(args=["db", "upgrade", "heads"])
        assert result.exit_code == 0, result.output
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "communities", "bodies", "memberships", "audit_events"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=MIGRATIONS, revision="heads")
        db.session.remove()
        db.engine.dispose()


def test_migrations_from_empty_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")


def test_migrations_from_empty_on_postgresql():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL to migrate (.ci/run sets it)")
    if os.environ.get("YISHI_TEST_DB") == "postgres":
        pytest.skip("the PostgreSQL pass shares this database; the SQLite pass checks it")
    try:
        create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1)).connect().close()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server here"
        pytest.skip(f"PostgreSQL at {url} is not reachable: {exc}")
    _check(url)


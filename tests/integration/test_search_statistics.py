"""PostgreSQL keeps fine statistics of the search index words, so that a multi-word search is
driven by its rarest word (the migration sets it on existing databases, the models on new ones)."""
import pytest
from sqlalchemy import text

from app.extensions import db as database
from app.proposals.models import ProposalTerm
from tests.conftest import database_kind

pytestmark = pytest.mark.skipif(database_kind() != "postgres",
                                reason="statistics targets are PostgreSQL's; SQLite has none")

TARGETS = text("SELECT attrelid::regclass::text, attstattarget FROM pg_attribute "
               "WHERE attname = 'term' AND attrelid IN ('proposal_terms'::regclass, "
               "'notice_terms'::regclass)")


def test_the_migrated_word_columns_are_sampled_finely(db):
    # The test database was made by `flask db upgrade`.
    assert dict(db.session.execute(TARGETS).all()) == {"proposal_terms": 1000, "notice_terms": 1000}


def test_a_table_made_by_create_all_gets_the_same(db):
    # Made in a schema of its own, in a transaction that is rolled back (PostgreSQL's DDL is
    # transactional); the search path still finds the tables it refers to.
    with db.engine.connect() as conn:
        with conn.begin() as transaction:
            conn.execute(text("CREATE SCHEMA made_by_create_all"))
            conn.execute(text("SET LOCAL search_path TO made_by_create_all, public"))
            database.metadata.create_all(conn, tables=[ProposalTerm.__table__], checkfirst=False)
            target = conn.execute(text(
                "SELECT attstattarget FROM pg_attribute WHERE attname = 'term' "
                "AND attrelid = 'made_by_create_all.proposal_terms'::regclass")).scalar()
            transaction.rollback()
    assert target == 1000

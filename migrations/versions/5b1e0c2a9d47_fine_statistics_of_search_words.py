"""fine statistics of the search index words (PostgreSQL only)

The word columns of proposal_terms and notice_terms are very skewed; at the default statistics
target the planner misjudged how many rows a word has and joined a multi-word search in the wrong
order. New databases get this from the models (app.core.db.keep_fine_statistics); this sets it
on databases that already exist. SQLite keeps no such setting: nothing to do there.

Revision ID: 5b1e0c2a9d47
Revises: effcb8dce895
Create Date: 2026-12-07 01:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b1e0c2a9d47'
down_revision = 'effcb8dce895'
branch_labels = None
depends_on = None

WORD_COLUMNS = [("proposal_terms", "term"), ("notice_terms", "term")]


def _set_statistics(target):
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in WORD_COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS {target}")


def upgrade():
    # The value of app.core.db.WORD_STATISTICS_TARGET when this was written, kept as it was.
    _set_statistics(1000)


def downgrade():
    _set_statistics(-1)

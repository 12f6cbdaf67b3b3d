"""notice board: the categories of a kind, and one community's postings of a kind, from an index

Revision ID: e4b7a9c1d2f3
Revises: a7e3f9c2d415
Create Date: 2026-12-07 19:20:00.000000

The board offers the categories of the kind it shows (`index.categories(kind)`): without an index
on both, that read walks the whole category index and visits the table for each posting's kind
(0.1 s on a street's ten years, each time the index changes). A community's board filtered to a
kind (its proposals, its resolutions) is read and counted from one index instead of one column's
index and the table.

The table's planner statistics are refreshed at once: SQLite with statistics for the older indexes
and none for these takes them for the more selective ones and sorts a whole kind's postings for
each page of the board (0.25 s a page on a street's ten years) instead of reading the
`(kind, published_dt, id)` index in order.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e4b7a9c1d2f3'
down_revision = 'a7e3f9c2d415'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_notice_postings_kind_category', 'notice_postings', ['kind', 'category'])
    op.create_index('ix_notice_postings_community_kind', 'notice_postings',
                    ['community_id', 'kind', 'published_dt', 'id'])
    op.execute("ANALYZE notice_postings")


def downgrade():
    op.drop_index('ix_notice_postings_community_kind', table_name='notice_postings')
    op.drop_index('ix_notice_postings_kind_category', table_name='notice_postings')

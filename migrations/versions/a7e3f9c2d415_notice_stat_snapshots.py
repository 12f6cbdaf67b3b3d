"""notice board: statistics snapshots

Revision ID: a7e3f9c2d415
Revises: c5d8e1f47a02
Create Date: 2026-12-07 19:10:00.000000

Counting a year of a whole street's statistics takes seconds; the statistics page, its CSV and the
API read a year's figures from one row counted beforehand (app/notice/snapshots.py).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7e3f9c2d415'
down_revision = 'c5d8e1f47a02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notice_stat_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('computed_dt', sa.DateTime(), nullable=False),
        sa.Column('refresh_started_dt', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_stat_snapshots')),
        sa.UniqueConstraint('year', name='uq_notice_stat_snapshots_year'),
    )


def downgrade():
    op.drop_table('notice_stat_snapshots')

"""indexes for a street's lists: a community's meetings by start, its residents by state

Revision ID: a7c3e9d51b20
Revises: c5d8e1f47a02
Create Date: 2026-12-07 19:10:00.000000

On a street's ten years a community has hundreds of meetings, listed by start, and 14,000
residents, of whom the admin lists those waiting for verification: both reads now find their rows
in an index instead of sorting the meetings or visiting every resident's row.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e9d51b20'
down_revision = 'c5d8e1f47a02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_meetings_community_start', 'meetings', ['community_id', 'start_dt'])
    op.create_index('ix_users_community_state', 'users', ['community_id', 'state'])


def downgrade():
    op.drop_index('ix_users_community_state', table_name='users')
    op.drop_index('ix_meetings_community_start', table_name='meetings')

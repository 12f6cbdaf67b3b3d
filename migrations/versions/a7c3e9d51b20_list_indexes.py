"""indexes for a street's lists: a community's meetings by start and by state, its residents by state

Revision ID: a7c3e9d51b20
Revises: e4b7a9c1d2f3
Create Date: 2026-12-07 19:10:00.000000

On a street's ten years a community has hundreds of meetings and 14,000 residents. The meetings
list pages the past ones by start, and seeks those under way and counts the past ones by state (and
body, which decides who sees them) in the index alone; the admin lists the residents waiting for
verification from the index instead of visiting every resident's row.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e9d51b20'
down_revision = 'e4b7a9c1d2f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_meetings_community_start', 'meetings', ['community_id', 'start_dt'])
    op.create_index('ix_meetings_community_state', 'meetings', ['community_id', 'state', 'body_id'])
    op.create_index('ix_users_community_state', 'users', ['community_id', 'state'])


def downgrade():
    op.drop_index('ix_users_community_state', table_name='users')
    op.drop_index('ix_meetings_community_state', table_name='meetings')
    op.drop_index('ix_meetings_community_start', table_name='meetings')

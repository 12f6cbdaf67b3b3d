"""a community's residents in id order, from an index

Revision ID: b3d8f1a6c947
Revises: a7c3e9d51b20
Create Date: 2026-12-07 23:45:00.000000

The admin's residents page lists a community's residents newest first, 50 a page, all of them or
those of one state. On a street of 200,000 PostgreSQL found them by walking the primary key
backwards past every other community's residents (23 ms for the first page of the first
community); with the id in the community's indexes it reads the page's 50 entries.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b3d8f1a6c947'
down_revision = 'a7c3e9d51b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_users_community_list', 'users', ['community_id', 'id'])
    op.drop_index('ix_users_community_state', table_name='users')
    op.create_index('ix_users_community_state', 'users', ['community_id', 'state', 'id'])


def downgrade():
    op.drop_index('ix_users_community_state', table_name='users')
    op.create_index('ix_users_community_state', 'users', ['community_id', 'state'])
    op.drop_index('ix_users_community_list', table_name='users')

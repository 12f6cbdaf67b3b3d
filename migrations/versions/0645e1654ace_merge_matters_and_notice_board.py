"""merge matters and notice board

Revision ID: 0645e1654ace
Revises: 0fca5795b98a, 4f4a3e1d3170
Create Date: 2026-11-23 12:39:56.782466

"""


# revision identifiers, used by Alembic.
revision = '0645e1654ace'
down_revision = ('0fca5795b98a', '4f4a3e1d3170')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

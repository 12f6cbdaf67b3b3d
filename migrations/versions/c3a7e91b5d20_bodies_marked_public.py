"""bodies: a flag the community admin sets to make a body public

A public body's meetings admit the community's residents as observers, and its votes' receipts
and results are public once closed. 居民会议 is public by law; any other body is public when the
community marks it so.

Revision ID: c3a7e91b5d20
Revises: d1d236ec2fdc
Create Date: 2026-12-09 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3a7e91b5d20'
down_revision = 'd1d236ec2fdc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_marked_public', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.drop_column('is_marked_public')

"""user session epoch: part of every login session's id; raising it ends every earlier session

Existing rows get 0. Sessions issued before this revision hold a bare user id, which the loader
no longer accepts: everyone logs in once after the upgrade.

Revision ID: effcb8dce895
Revises: 0645e1654ace
Create Date: 2026-11-23 14:33:40.899990

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'effcb8dce895'
down_revision = '0645e1654ace'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')

"""the reader's language: users.locale; notifications stored as a msgid with parameters

Revision ID: c3f1a8e5d2b7
Revises: b7e4c2d9a1f3
Create Date: 2026-12-07 16:00:00.000000

`users.locale` is the language a user chose (NULL: the browser's). A notification is now a msgid
(with `msgid_plural` where English needs a plural) and its parameters as JSON, translated when it
is read or mailed. `text` keeps the source sentence: rows written before (msgid NULL) are shown
from it as they are.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a8e5d2b7'
down_revision = 'b7e4c2d9a1f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('msgid', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('msgid_plural', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=True))


def downgrade():
    # Every notification also keeps its source (Chinese) sentence in `text`: that is what stays.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('params')
        batch_op.drop_column('msgid_plural')
        batch_op.drop_column('msgid')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')

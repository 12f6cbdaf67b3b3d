"""check-in cards: a member's card code, kept as an HMAC of the code (looked up by it)

Revision ID: b855a0fb8f98
Revises: 5b1e0c2a9d47
Create Date: 2026-12-07 13:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b855a0fb8f98'
down_revision = '5b1e0c2a9d47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('card_issued_dt', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_card_code_hash'), ['card_code_hash'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_card_code_hash'), type_='unique')
        batch_op.drop_column('card_issued_dt')
        batch_op.drop_column('card_code_hash')

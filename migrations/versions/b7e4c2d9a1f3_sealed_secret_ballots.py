"""sealed secret ballots: participations keyed by (vote, voter), no ordered id, the seal column

Revision ID: b7e4c2d9a1f3
Revises: a17c4a1d9e01
Create Date: 2026-05-01 10:00:00.000000

`vote_participations` loses its autoincrement `id` (it numbered voters in the order they cast)
and is keyed by (vote_id, user_id), WITHOUT ROWID on SQLite; `sealed` holds a secret vote's
ballot, sealed, until the close (app/votes/seal.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4c2d9a1f3'
down_revision = 'a17c4a1d9e01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('vote_participations', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_index('ix_vote_participations_vote_id')
        batch_op.drop_constraint('uq_vote_participations_voter', type_='unique')
        batch_op.drop_constraint('pk_vote_participations', type_='primary')
        batch_op.drop_column('id')
        batch_op.create_primary_key('pk_vote_participations', ['vote_id', 'user_id'])
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))


def downgrade():
    # Back to a numbered table; the numbers given now follow (vote, voter), not arrival.
    op.create_table('vote_participations_old',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('vote_id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('household_id', sa.Integer(), nullable=True),
                    sa.Column('mode', sa.String(length=8), nullable=False),
                    sa.Column('choice', sa.String(length=200), nullable=True),
                    sa.Column('receipt', sa.String(length=12), nullable=True),
                    sa.PrimaryKeyConstraint('id', name='pk_vote_participations_old'))
    op.execute('INSERT INTO vote_participations_old (id, vote_id, user_id, household_id, mode, choice, receipt) '
               'SELECT ROW_NUMBER() OVER (ORDER BY vote_id, user_id), vote_id, user_id, household_id, mode, '
               'choice, receipt FROM vote_participations')
    op.drop_table('vote_participations')
    op.create_table('vote_participations',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('vote_id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('household_id', sa.Integer(), nullable=True),
                    sa.Column('mode', sa.String(length=8), nullable=False),
                    sa.Column('choice', sa.String(length=200), nullable=True),
                    sa.Column('receipt', sa.String(length=12), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_vote_participations_user_id_users')),
                    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_participations_vote_id_votes')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_participations')),
                    sa.UniqueConstraint('vote_id', 'household_id', name='uq_vote_participations_household'),
                    sa.UniqueConstraint('vote_id', 'user_id', name='uq_vote_participations_voter'))
    op.execute('INSERT INTO vote_participations (id, vote_id, user_id, household_id, mode, choice, receipt) '
               'SELECT id, vote_id, user_id, household_id, mode, choice, receipt FROM vote_participations_old')
    op.drop_table('vote_participations_old')
    with op.batch_alter_table('vote_participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_participations_vote_id'), ['vote_id'], unique=False)

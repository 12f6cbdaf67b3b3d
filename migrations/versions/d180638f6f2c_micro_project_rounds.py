"""micro-project rounds (民生微实事): rounds, ideas, screening, secret ballots, paper totals,
milestones, spending, photos, ratings (issue 20)

Revision ID: d180638f6f2c
Revises: c3f1a8e5d2b7
Create Date: 2026-12-07 15:51:43.268708

Money is integer fen (BIGINT). `micro_participations` and `micro_ballots` have no ordered id and no
time stamp, and are WITHOUT ROWID on SQLite, so nothing links a ballot to its voter by order.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd180638f6f2c'
down_revision = 'c3f1a8e5d2b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('micro_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('fund_fen', sa.BigInteger(), nullable=False),
    sa.Column('service_cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('goods_cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('works_cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('categories_text', sa.Text(), nullable=False),
    sa.Column('collect_start_dt', sa.DateTime(), nullable=False),
    sa.Column('screen_start_dt', sa.DateTime(), nullable=False),
    sa.Column('deliberate_start_dt', sa.DateTime(), nullable=False),
    sa.Column('vote_start_dt', sa.DateTime(), nullable=False),
    sa.Column('vote_end_dt', sa.DateTime(), nullable=False),
    sa.Column('implement_start_dt', sa.DateTime(), nullable=False),
    sa.Column('close_dt', sa.DateTime(), nullable=False),
    sa.Column('ballot_base', sa.String(length=16), nullable=False),
    sa.Column('choice_mode', sa.String(length=16), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=False),
    sa.Column('is_changeable', sa.Boolean(), nullable=False),
    sa.Column('matter_threshold_fen', sa.BigInteger(), nullable=True),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('agenda_ideas_text', sa.Text(), nullable=True),
    sa.Column('shortlist_vote_id', sa.Integer(), nullable=True),
    sa.Column('shortlist_fixed_dt', sa.DateTime(), nullable=True),
    sa.Column('shortlist_result_text', sa.Text(), nullable=True),
    sa.Column('results_json', sa.Text(), nullable=True),
    sa.Column('results_dt', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('updated_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_micro_rounds_agenda_item_id_agenda_items')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_micro_rounds_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_micro_rounds_created_by_id_users')),
    sa.ForeignKeyConstraint(['shortlist_vote_id'], ['votes.id'], name=op.f('fk_micro_rounds_shortlist_vote_id_votes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_rounds'))
    )
    with op.batch_alter_table('micro_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_rounds_community_id'), ['community_id'], unique=False)

    op.create_table('micro_ballots',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('receipt', sa.String(length=24), nullable=False),
    sa.Column('choice', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['micro_rounds.id'], name=op.f('fk_micro_ballots_round_id_micro_rounds')),
    sa.PrimaryKeyConstraint('round_id', 'token', name=op.f('pk_micro_ballots')),
    sqlite_with_rowid=False)
    op.create_table('micro_ideas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_name', sa.String(length=60), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('beneficiaries', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('cost_fen', sa.BigInteger(), nullable=True),
    sa.Column('cosign_count', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('screening', sa.String(length=16), nullable=True),
    sa.Column('ground', sa.String(length=24), nullable=True),
    sa.Column('screening_reason', sa.Text(), nullable=True),
    sa.Column('estimate_fen', sa.BigInteger(), nullable=True),
    sa.Column('handler_org_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('screened_by_id', sa.Integer(), nullable=True),
    sa.Column('screened_dt', sa.DateTime(), nullable=True),
    sa.Column('is_shortlisted', sa.Boolean(), nullable=False),
    sa.Column('is_funded', sa.Boolean(), nullable=False),
    sa.Column('matter_id', sa.Integer(), nullable=True),
    sa.Column('assigned_dt', sa.DateTime(), nullable=True),
    sa.Column('accepted_dt', sa.DateTime(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('acceptance_note', sa.Text(), nullable=True),
    sa.Column('confirmed_dt', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_micro_ideas_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_micro_ideas_author_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_micro_ideas_community_id_communities')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_micro_ideas_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['handler_org_id'], ['handler_orgs.id'], name=op.f('fk_micro_ideas_handler_org_id_handler_orgs')),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_micro_ideas_matter_id_matters')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['micro_ideas.id'], name=op.f('fk_micro_ideas_merged_into_id_micro_ideas')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_micro_ideas_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_micro_ideas_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['micro_rounds.id'], name=op.f('fk_micro_ideas_round_id_micro_rounds')),
    sa.ForeignKeyConstraint(['screened_by_id'], ['users.id'], name=op.f('fk_micro_ideas_screened_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_ideas'))
    )
    with op.batch_alter_table('micro_ideas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_ideas_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_micro_ideas_round_id'), ['round_id'], unique=False)
        batch_op.create_index('ix_micro_ideas_round_screening', ['round_id', 'screening', 'id'], unique=False)

    op.create_table('micro_participations',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('voter_key', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['micro_rounds.id'], name=op.f('fk_micro_participations_round_id_micro_rounds')),
    sa.PrimaryKeyConstraint('round_id', 'voter_key', name=op.f('pk_micro_participations')),
    sqlite_with_rowid=False)
    op.create_table('micro_cosigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['micro_ideas.id'], name=op.f('fk_micro_cosigns_idea_id_micro_ideas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_micro_cosigns_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_cosigns')),
    sa.UniqueConstraint('idea_id', 'user_id', name=op.f('uq_micro_cosigns_idea_id'))
    )
    with op.batch_alter_table('micro_cosigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_cosigns_user_id'), ['user_id'], unique=False)

    op.create_table('micro_follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['micro_ideas.id'], name=op.f('fk_micro_follows_idea_id_micro_ideas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_micro_follows_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_follows')),
    sa.UniqueConstraint('idea_id', 'user_id', name=op.f('uq_micro_follows_idea_id'))
    )
    with op.batch_alter_table('micro_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_follows_user_id'), ['user_id'], unique=False)

    op.create_table('micro_handler_people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['micro_ideas.id'], name=op.f('fk_micro_handler_people_idea_id_micro_ideas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_micro_handler_people_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_handler_people')),
    sa.UniqueConstraint('idea_id', 'user_id', name=op.f('uq_micro_handler_people_idea_id'))
    )
    with op.batch_alter_table('micro_handler_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_handler_people_idea_id'), ['idea_id'], unique=False)

    op.create_table('micro_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('due_dt', sa.DateTime(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('done_dt', sa.DateTime(), nullable=True),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['micro_ideas.id'], name=op.f('fk_micro_milestones_idea_id_micro_ideas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_milestones'))
    )
    with op.batch_alter_table('micro_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_milestones_idea_id'), ['idea_id'], unique=False)

    op.create_table('micro_paper_totals',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['micro_ideas.id'], name=op.f('fk_micro_paper_totals_idea_id_micro_ideas')),
    sa.ForeignKeyConstraint(['round_id'], ['micro_rounds.id'], name=op.f('fk_micro_paper_totals_round_id_micro_rounds')),
    sa.PrimaryKeyConstraint('round_id', 'idea_id', name=op.f('pk_micro_paper_totals'))
    )
    op.create_table('micro_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=16), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['micro_ideas.id'], name=op.f('fk_micro_ratings_idea_id_micro_ideas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_micro_ratings_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_ratings')),
    sa.UniqueConstraint('idea_id', 'user_id', name=op.f('uq_micro_ratings_idea_id'))
    )
    with op.batch_alter_table('micro_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_ratings_user_id'), ['user_id'], unique=False)

    op.create_table('micro_spendings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['micro_ideas.id'], name=op.f('fk_micro_spendings_idea_id_micro_ideas')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_micro_spendings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_spendings'))
    )
    with op.batch_alter_table('micro_spendings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_spendings_idea_id'), ['idea_id'], unique=False)

    op.create_table('micro_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['micro_ideas.id'], name=op.f('fk_micro_photos_idea_id_micro_ideas')),
    sa.ForeignKeyConstraint(['milestone_id'], ['micro_milestones.id'], name=op.f('fk_micro_photos_milestone_id_micro_milestones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_photos')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_micro_photos_stored_name'))
    )
    with op.batch_alter_table('micro_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_photos_idea_id'), ['idea_id'], unique=False)



def downgrade():
    with op.batch_alter_table('micro_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_photos_idea_id'))

    op.drop_table('micro_photos')
    with op.batch_alter_table('micro_spendings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_spendings_idea_id'))

    op.drop_table('micro_spendings')
    with op.batch_alter_table('micro_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_ratings_user_id'))

    op.drop_table('micro_ratings')
    op.drop_table('micro_paper_totals')
    with op.batch_alter_table('micro_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_milestones_idea_id'))

    op.drop_table('micro_milestones')
    with op.batch_alter_table('micro_handler_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_handler_people_idea_id'))

    op.drop_table('micro_handler_people')
    with op.batch_alter_table('micro_follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_follows_user_id'))

    op.drop_table('micro_follows')
    with op.batch_alter_table('micro_cosigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_cosigns_user_id'))

    op.drop_table('micro_cosigns')
    op.drop_table('micro_participations')
    with op.batch_alter_table('micro_ideas', schema=None) as batch_op:
        batch_op.drop_index('ix_micro_ideas_round_screening')
        batch_op.drop_index(batch_op.f('ix_micro_ideas_round_id'))
        batch_op.drop_index(batch_op.f('ix_micro_ideas_community_id'))

    op.drop_table('micro_ideas')
    op.drop_table('micro_ballots')
    with op.batch_alter_table('micro_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_rounds_community_id'))

    op.drop_table('micro_rounds')

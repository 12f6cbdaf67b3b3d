"""proposals: residents' proposals, co-signs, follows, comments, replies, files, settings

Revision ID: e273885d823c
Revises: ee71a20aa540
Create Date: 2026-11-23 09:46:14.707919

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e273885d823c'
down_revision = 'ee71a20aa540'
branch_labels = None
depends_on = None


def upgrade():
    # Optional address for notification mail (sent only when SMTP is configured).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=255), nullable=True))
    op.create_table('proposal_settings',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('cosign_threshold', sa.Integer(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('review_days', sa.Integer(), nullable=False),
    sa.Column('reply_days', sa.Integer(), nullable=False),
    sa.Column('rehandle_days', sa.Integer(), nullable=False),
    sa.Column('categories_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_proposal_settings_community_id_communities')),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_proposal_settings'))
    )
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('suggestion', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('updated_dt', sa.DateTime(), nullable=False),
    sa.Column('published_dt', sa.DateTime(), nullable=True),
    sa.Column('cosign_count', sa.Integer(), nullable=False),
    sa.Column('review_started_dt', sa.DateTime(), nullable=True),
    sa.Column('assigned_dt', sa.DateTime(), nullable=True),
    sa.Column('reply_due_dt', sa.DateTime(), nullable=True),
    sa.Column('is_extended', sa.Boolean(), nullable=False),
    sa.Column('rehandle_count', sa.Integer(), nullable=False),
    sa.Column('handler_org_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('decline_ground', sa.String(length=32), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('closed_dt', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposals_author_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_proposals_community_id_communities')),
    sa.ForeignKeyConstraint(['handler_org_id'], ['handler_orgs.id'], name=op.f('fk_proposals_handler_org_id_handler_orgs')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['proposals.id'], name=op.f('fk_proposals_merged_into_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_proposals_community_category', ['community_id', 'category', 'id'], unique=False)
        batch_op.create_index('ix_proposals_community_list', ['community_id', 'id', 'state', 'author_id'], unique=False)
        batch_op.create_index('ix_proposals_community_state', ['community_id', 'state', 'id', 'published_dt', 'cosign_count'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_handler_org_id'), ['handler_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index('ix_proposals_state_due', ['state', 'reply_due_dt'], unique=False)

    op.create_table('proposal_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_attachments_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_proposal_attachments_stored_name'))
    )
    with op.batch_alter_table('proposal_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_attachments_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('is_hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_dt', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_comments_author_id_users')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_proposal_comments_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_comments_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_comments'))
    )
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_comments_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_terms',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=32), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_proposal_terms_community_id_communities')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_terms_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('community_id', 'term', 'proposal_id', name=op.f('pk_proposal_terms'))
    )
    with op.batch_alter_table('proposal_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_terms_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_follows_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_proposal_follows_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_follows')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_proposal_follows_proposal_id'))
    )
    with op.batch_alter_table('proposal_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_follows_user_id'), ['user_id'], unique=False)

    op.create_table('proposal_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=1), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('is_late', sa.Boolean(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('rated_dt', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_replies_author_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['handler_orgs.id'], name=op.f('fk_proposal_replies_org_id_handler_orgs')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_replies_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_replies'))
    )
    with op.batch_alter_table('proposal_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_replies_proposal_id'), ['proposal_id'], unique=False)


    op.create_table('proposal_cosigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('rated_reply_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_cosigns_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['rated_reply_id'], ['proposal_replies.id'], name=op.f('fk_proposal_cosigns_rated_reply_id_proposal_replies')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_proposal_cosigns_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_cosigns')),
    sa.UniqueConstraint('proposal_id', 'user_id', name=op.f('uq_proposal_cosigns_proposal_id'))
    )
    with op.batch_alter_table('proposal_cosigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_cosigns_user_id'), ['user_id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('proposal_cosigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_cosigns_user_id'))

    op.drop_table('proposal_cosigns')

    with op.batch_alter_table('proposal_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_replies_proposal_id'))

    op.drop_table('proposal_replies')
    with op.batch_alter_table('proposal_follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_follows_user_id'))

    op.drop_table('proposal_follows')
    with op.batch_alter_table('proposal_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_terms_proposal_id'))

    op.drop_table('proposal_terms')
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_comments_proposal_id'))

    op.drop_table('proposal_comments')
    with op.batch_alter_table('proposal_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_attachments_proposal_id'))

    op.drop_table('proposal_attachments')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_state_due')
        batch_op.drop_index(batch_op.f('ix_proposals_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_handler_org_id'))
        batch_op.drop_index('ix_proposals_community_state')
        batch_op.drop_index('ix_proposals_community_list')
        batch_op.drop_index('ix_proposals_community_category')
        batch_op.drop_index(batch_op.f('ix_proposals_author_id'))

    op.drop_table('proposals')
    op.drop_table('proposal_settings')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
    # ### end Alembic commands ###

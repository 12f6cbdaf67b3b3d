"""merge proposals, meetings and consultations

Revision ID: 38c29fdea67b
Revises: 98abb1aa33e8, a42b027f9550, e273885d823c
Create Date: 2026-11-23 10:52:11.561719

"""


# revision identifiers, used by Alembic.
revision = '38c29fdea67b'
down_revision = ('98abb1aa33e8', 'a42b027f9550', 'e273885d823c')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

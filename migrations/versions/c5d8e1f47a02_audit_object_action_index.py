"""audit events: the object index also holds the action

Revision ID: c5d8e1f47a02
Revises: d180638f6f2c
Create Date: 2026-12-07 17:00:00.000000

A thing's events are read by object (a proposal's trail, a meeting's `vote.closed` events for
`flask votes verify`) and counted by object and action (the statistics' accepted proposals). On a
street's ten years an object has dozens of events (co-signs, follows, check-ins); with the action in
the index those reads skip the rows of other actions without visiting the table.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5d8e1f47a02'
down_revision = 'd180638f6f2c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_events_object_action', 'audit_events', ['object_type', 'object_id', 'action'])
    op.drop_index('ix_audit_events_object', table_name='audit_events')


def downgrade():
    op.create_index('ix_audit_events_object', 'audit_events', ['object_type', 'object_id'])
    op.drop_index('ix_audit_events_object_action', table_name='audit_events')

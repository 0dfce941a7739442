"""The audit chain keyed from here on: the chain head names the first event hashed with the audit key

Events already written keep their plain SHA-256 hashes; the next event is the first keyed one,
and its HMAC covers the last plain hash. Verification reports the earlier events as not anchored.

Revision ID: 0014_audit_anchor
Revises: 0010
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_audit_anchor'
down_revision = '0013_inputs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyed_from_seq', sa.Integer(), server_default='1', nullable=False))
    op.execute("UPDATE audit_chain_head SET keyed_from_seq = last_seq + 1")


def downgrade() -> None:
    # The keyed hashes stay as they are: without this column they no longer verify as plain ones.
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.drop_column('keyed_from_seq')

"""attempts counted against rate limits (anonymous opinions on disclosures)

Revision ID: 0013_inputs
Revises: 0010
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_inputs'
down_revision = '0012_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limit_hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=100), nullable=False),
    sa.Column('client', sa.String(length=80), nullable=False),
    sa.Column('hit_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limit_hits'))
    )
    with op.batch_alter_table('rate_limit_hits', schema=None) as batch_op:
        batch_op.create_index('ix_rate_limit_hits_bucket_client_hit_at', ['bucket', 'client', 'hit_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rate_limit_hits', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_limit_hits_bucket_client_hit_at')
    op.drop_table('rate_limit_hits')

"""failed logins per address, for rate limiting sign-in

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('failed_logins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_logins'))
    )
    with op.batch_alter_table('failed_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failed_logins_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_failed_logins_attempted_at'), ['attempted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('failed_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_logins_attempted_at'))
        batch_op.drop_index(batch_op.f('ix_failed_logins_address'))
    op.drop_table('failed_logins')

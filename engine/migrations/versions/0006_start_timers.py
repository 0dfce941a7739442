"""start timers: timers of deployed versions, not of instances

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD_KINDS = ('bpmn', 'sla_reminder', 'sla_escalation')
NEW_KINDS = (*OLD_KINDS, 'start')


def upgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('definition_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_timers_definition_id'), ['definition_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_timers_definition_id_process_definitions'), 'process_definitions', ['definition_id'], ['id']
        )
        batch_op.alter_column(
            'kind',
            existing_type=sa.Enum(*OLD_KINDS, name='timerkind', native_enum=False, length=16),
            type_=sa.Enum(*NEW_KINDS, name='timerkind', native_enum=False, length=16),
        )


def downgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.alter_column(
            'kind',
            existing_type=sa.Enum(*NEW_KINDS, name='timerkind', native_enum=False, length=16),
            type_=sa.Enum(*OLD_KINDS, name='timerkind', native_enum=False, length=16),
        )
        batch_op.drop_constraint(batch_op.f('fk_timers_definition_id_process_definitions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_timers_definition_id'))
        batch_op.drop_column('definition_id')
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=False)

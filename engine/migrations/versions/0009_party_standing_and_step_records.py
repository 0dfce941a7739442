"""party standings, step records, the subject and rule set of an instance, an organisation's rule-set choices

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('party_standings',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('probation_started_on', sa.Date(), nullable=True),
    sa.Column('probation_ends_on', sa.Date(), nullable=True),
    sa.Column('probation_extended', sa.Boolean(), nullable=False),
    sa.Column('full_since', sa.Date(), nullable=True),
    sa.Column('on_probation_discipline_until', sa.Date(), nullable=True),
    sa.Column('reentry_barred_until', sa.Date(), nullable=True),
    sa.Column('reentry_bar_reason', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_party_standings_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_party_standings'))
    )
    with op.batch_alter_table('party_standings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_standings_status'), ['status'], unique=False)

    op.create_table('step_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('subject_person_id', sa.Integer(), nullable=True),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=True),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('record_date', sa.Date(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_step_records_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['people.id'], name=op.f('fk_step_records_recorded_by_id_people')),
    sa.ForeignKeyConstraint(['subject_person_id'], ['people.id'], name=op.f('fk_step_records_subject_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_records'))
    )
    with op.batch_alter_table('step_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_records_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_step_records_subject', ['subject_person_id', 'record_date'], unique=False)

    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rule_set_version', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_process_instances_subject_person_id'), ['subject_person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_process_instances_subject_person_id_people'), 'people', ['subject_person_id'], ['id'])

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule_set_choices', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('rule_set_choices')
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_process_instances_subject_person_id_people'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_process_instances_subject_person_id'))
        batch_op.drop_column('rule_set_version')
        batch_op.drop_column('subject_person_id')
    with op.batch_alter_table('step_records', schema=None) as batch_op:
        batch_op.drop_index('ix_step_records_subject')
        batch_op.drop_index(batch_op.f('ix_step_records_instance_id'))
    op.drop_table('step_records')
    with op.batch_alter_table('party_standings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_standings_status'))
    op.drop_table('party_standings')

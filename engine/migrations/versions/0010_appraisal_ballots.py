"""民主测评 ballots: tallies per appraised member and grade, and receipts of who has voted

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appraisal_ballots',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('appraised_ids', sa.JSON(), nullable=False),
    sa.Column('voter_ids', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_appraisal_ballots_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_appraisal_ballots_organization_id_organizations')),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_appraisal_ballots'))
    )
    with op.batch_alter_table('appraisal_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisal_ballots_organization_id'), ['organization_id'], unique=False)

    op.create_table('appraisal_tallies',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('appraised_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=24), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appraised_id'], ['people.id'], name=op.f('fk_appraisal_tallies_appraised_id_people')),
    sa.ForeignKeyConstraint(['instance_id'], ['appraisal_ballots.instance_id'], name=op.f('fk_appraisal_tallies_instance_id_appraisal_ballots')),
    sa.PrimaryKeyConstraint('instance_id', 'appraised_id', 'grade', name=op.f('pk_appraisal_tallies'))
    )
    op.create_table('appraisal_ballot_receipts',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['appraisal_ballots.instance_id'], name=op.f('fk_appraisal_ballot_receipts_instance_id_appraisal_ballots')),
    sa.ForeignKeyConstraint(['voter_id'], ['people.id'], name=op.f('fk_appraisal_ballot_receipts_voter_id_people')),
    sa.PrimaryKeyConstraint('instance_id', 'voter_id', name=op.f('pk_appraisal_ballot_receipts'))
    )


def downgrade() -> None:
    op.drop_table('appraisal_ballot_receipts')
    op.drop_table('appraisal_tallies')
    with op.batch_alter_table('appraisal_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisal_ballots_organization_id'))
    op.drop_table('appraisal_ballots')

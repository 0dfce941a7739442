"""民主测评 ballots sealed until counted in batches: sealed ballots without voter or time, and how
many ballots each appraisal has counted

Revision ID: 0011_ballot
Revises: 0010
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_ballot'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appraisal_sealed_ballots',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['appraisal_ballots.instance_id'], name=op.f('fk_appraisal_sealed_ballots_instance_id_appraisal_ballots')),
    sa.PrimaryKeyConstraint('instance_id', 'token', name=op.f('pk_appraisal_sealed_ballots')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('appraisal_ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballots_counted', sa.Integer(), nullable=False, server_default='0'))
    # Ballots cast before this revision were added to the tallies as they came: all are counted.
    op.execute(
        'UPDATE appraisal_ballots SET ballots_counted = (SELECT count(*) FROM appraisal_ballot_receipts '
        'WHERE appraisal_ballot_receipts.instance_id = appraisal_ballots.instance_id)'
    )
    with op.batch_alter_table('appraisal_ballots', schema=None) as batch_op:
        batch_op.alter_column('ballots_counted', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('appraisal_ballots', schema=None) as batch_op:
        batch_op.drop_column('ballots_counted')
    op.drop_table('appraisal_sealed_ballots')

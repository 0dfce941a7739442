"""disclosures, opinions, and the end event an instance reached

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_event_id', sa.String(length=200), nullable=True))

    op.create_table('disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('scope', sa.Enum('society', 'whole_party', 'local', 'specific', name='disclosurescope', native_enum=False, length=32), nullable=False),
    sa.Column('methods', sa.JSON(), nullable=False),
    sa.Column('feedback_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('published', 'under_review', 'archived', name='disclosurestatus', native_enum=False, length=32), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_disclosures_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_disclosures_organization_id_organizations')),
    sa.ForeignKeyConstraint(['published_by_id'], ['people.id'], name=op.f('fk_disclosures_published_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_disclosures_instance_id'))
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosures_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosures_status'), ['status'], unique=False)

    op.create_table('disclosure_opinions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disclosure_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=100), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('is_objection', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_disclosure_opinions_author_id_people')),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosures.id'], name=op.f('fk_disclosure_opinions_disclosure_id_disclosures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_opinions'))
    )
    with op.batch_alter_table('disclosure_opinions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_opinions_disclosure_id'), ['disclosure_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_column('end_event_id')

    with op.batch_alter_table('disclosure_opinions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_opinions_disclosure_id'))

    op.drop_table('disclosure_opinions')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosures_status'))
        batch_op.drop_index(batch_op.f('ix_disclosures_organization_id'))

    op.drop_table('disclosures')

"""calendar: official working days and holidays, and which years are published

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_days',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.Enum('workday', 'weekend', 'holiday', 'adjusted_workday', name='daykind', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('source', sa.Enum('chinesecalendar', 'admin', 'rule', name='daysource', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['people.id'], name=op.f('fk_calendar_days_updated_by_id_people')),
    sa.PrimaryKeyConstraint('date', name=op.f('pk_calendar_days'))
    )
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.Enum('chinesecalendar', 'admin', 'rule', name='daysource', native_enum=False, length=32), nullable=False),
    sa.Column('source_version', sa.String(length=64), nullable=True),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('seeded_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['people.id'], name=op.f('fk_calendar_years_updated_by_id_people')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )


def downgrade() -> None:
    op.drop_table('calendar_years')
    op.drop_table('calendar_days')

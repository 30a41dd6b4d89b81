"""briefing appendix: whether a schedule's or a run's briefing prints the appendix ledgers

Revision ID: 0004_briefing_appendix
Revises: 0003_sessions
Create Date: 2026-11-26 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_briefing_appendix'
down_revision = '0003_sessions'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('briefing_schedule', 'briefing_run'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('appendix', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    for table in ('briefing_run', 'briefing_schedule'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('appendix')

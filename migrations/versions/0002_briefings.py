"""briefings: schedules, runs (one per schedule slot and scope), delivery log

Revision ID: 0002_briefings
Revises: 0001_core
Create Date: 2026-11-26 19:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_briefings'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('briefing_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('recurrence', sa.String(length=10), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('day_of_month', sa.Integer(), nullable=True),
    sa.Column('time_of_day', sa.String(length=5), nullable=False),
    sa.Column('cron', sa.String(length=100), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('recipient_users', sa.Text(), nullable=False),
    sa.Column('recipient_roles', sa.Text(), nullable=False),
    sa.Column('skip_empty', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('briefing_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('slot_time', sa.DateTime(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('sections', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('progress', sa.String(length=100), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('next_retry_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('snapshot', sa.Text(), nullable=True),
    sa.Column('snapshot_id', sa.String(length=16), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['schedule_id'], ['briefing_schedule.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('schedule_id', 'slot_time', 'region_id', name='uq_briefing_run_slot')
    )
    op.create_index('ix_briefing_run_state', 'briefing_run', ['state'], unique=False)
    op.create_index(op.f('ix_briefing_run_schedule_id'), 'briefing_run', ['schedule_id'], unique=False)
    op.create_table('briefing_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['briefing_run.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_briefing_delivery_run_id'), 'briefing_delivery', ['run_id'], unique=False)
    op.create_index(op.f('ix_briefing_delivery_user_id'), 'briefing_delivery', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_briefing_delivery_user_id'), table_name='briefing_delivery')
    op.drop_index(op.f('ix_briefing_delivery_run_id'), table_name='briefing_delivery')
    op.drop_table('briefing_delivery')
    op.drop_index(op.f('ix_briefing_run_schedule_id'), table_name='briefing_run')
    op.drop_index('ix_briefing_run_state', table_name='briefing_run')
    op.drop_table('briefing_run')
    op.drop_table('briefing_schedule')

"""authentication: account lockout, password age and history, idle sessions and tokens

Revision ID: 0008_authentication
Revises: 0007_notification_once
Create Date: 2026-12-07 08:30:00
"""
from alembic import op
import sqlalchemy as sa

from console.foundation.clock import utcnow


revision = '0008_authentication'
down_revision = '0007_notification_once'
branch_labels = None
depends_on = None


def upgrade():
    state = op.create_table('account_state',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('failures_since_login', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(), nullable=True),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('last_login_ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password', sa.String(length=256), nullable=False),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_password_history_user', 'password_history', ['user_id', 'id'], unique=False)
    op.create_table('login_activity',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index(op.f('ix_login_activity_user_id'), 'login_activity', ['user_id'], unique=False)
    # Existing accounts keep their passwords: the expiry period starts at this upgrade.
    users = op.get_bind().execute(sa.text('SELECT id FROM ab_user')).scalars().all()
    if users:
        started = utcnow()
        op.bulk_insert(state, [
            {'user_id': uid, 'failed_attempts': 0, 'failures_since_login': 0,
             'password_changed_at': started, 'must_change_password': False}
            for uid in users])


def downgrade():
    op.drop_index(op.f('ix_login_activity_user_id'), table_name='login_activity')
    op.drop_table('login_activity')
    op.drop_index('ix_password_history_user', table_name='password_history')
    op.drop_table('password_history')
    op.drop_table('account_state')

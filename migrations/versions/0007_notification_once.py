"""notifications: a "remind once" key, unique per user

Revision ID: 0007_notification_once
Revises: 0006_data_token
Create Date: 2026-12-06 19:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_notification_once'
down_revision = '0006_data_token'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification') as batch:
        batch.add_column(sa.Column('once_key', sa.String(length=200), nullable=True))
        batch.create_index('ux_notification_user_once', ['user_id', 'once_key'], unique=True)


def downgrade():
    with op.batch_alter_table('notification') as batch:
        batch.drop_index('ux_notification_user_once')
        batch.drop_column('once_key')

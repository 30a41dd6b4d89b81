"""sessions: a per-user session epoch, moved on at logout so older session cookies stop working

Revision ID: 0003_sessions
Revises: 0002_briefings
Create Date: 2026-11-26 19:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_sessions'
down_revision = '0002_briefings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_epoch',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade():
    op.drop_table('session_epoch')

"""cache token: one row whose new value tells every worker that plugin switches, settings or
regions changed

Revision ID: 0005_cache_token
Revises: 0004_briefing_appendix
Create Date: 2026-11-26 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_cache_token'
down_revision = '0004_briefing_appendix'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cache_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('cache_token')

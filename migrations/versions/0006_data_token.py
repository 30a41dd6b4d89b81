"""cache tokens: both rows present from the start (settings, 1, and the new data token, 2), so
that no two first writers race to insert one

Revision ID: 0006_data_token
Revises: 0005_cache_token
Create Date: 2026-11-27 02:00:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0006_data_token'
down_revision = '0005_cache_token'
branch_labels = None
depends_on = None


def upgrade():
    tokens = sa.table('cache_token', sa.column('id', sa.Integer), sa.column('token', sa.String))
    present = {row[0] for row in op.get_bind().execute(sa.select(tokens.c.id))}
    missing = [{'id': row, 'token': secrets.token_hex(16)} for row in (1, 2) if row not in present]
    if missing:
        op.bulk_insert(tokens, missing)


def downgrade():
    op.execute("DELETE FROM cache_token WHERE id = 2")

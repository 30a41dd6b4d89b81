"""table tokens: the workers' copies follow the tables they were read from (one token per table,
per table's row set and per updated column, spread over slots), not two tokens for everything

Revision ID: 0010_table_tokens
Revises: 0009_audit_chain
Create Date: 2026-12-07 08:30:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0010_table_tokens'
down_revision = '0009_audit_chain'
branch_labels = None
depends_on = None


def upgrade():
    # No token yet for any table: every worker's copies were made under the old tokens and
    # carry none of the new names, so a worker started on this revision reads everything anew.
    op.create_table('table_token',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name', 'slot')
    )
    op.drop_table('cache_token')


def downgrade():
    op.create_table('cache_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    tokens = sa.table('cache_token', sa.column('id', sa.Integer), sa.column('token', sa.String))
    op.bulk_insert(tokens, [{'id': row, 'token': secrets.token_hex(16)} for row in (1, 2)])
    op.drop_table('table_token')

"""attachment keys: a file's address names 128 random bits, not its sequential id

Revision ID: 0011_attachment_keys
Revises: 0010_table_tokens
Create Date: 2026-12-07 16:00:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0011_attachment_keys'
down_revision = '0010_table_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('attachment', sa.Column('key', sa.String(length=32), nullable=True))
    # Every stored file gets its own random key: the old addresses (by id) stop working.
    attachment = sa.table('attachment', sa.column('id', sa.Integer), sa.column('key', sa.String))
    conn = op.get_bind()
    ids = [row.id for row in conn.execute(sa.select(attachment.c.id))]
    for ident in ids:
        conn.execute(attachment.update().where(attachment.c.id == ident)
                     .values(key=secrets.token_hex(16)))
    with op.batch_alter_table('attachment') as batch:
        batch.alter_column('key', existing_type=sa.String(length=32), nullable=False)
        batch.create_index('ux_attachment_key', ['key'], unique=True)


def downgrade():
    with op.batch_alter_table('attachment') as batch:
        batch.drop_index('ux_attachment_key')
        batch.drop_column('key')

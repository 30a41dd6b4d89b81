"""audit: a keyed hash chain over the audit log, and its head row

Revision ID: 0009_audit_chain
Revises: 0008_authentication
Create Date: 2026-12-07 08:40:00

Rows already in the log carry no link: the head row records the highest id among them
(``legacy_max_id``), so that ``jiceng audit verify`` tells them from a row inserted later
behind the console's back.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_audit_chain'
down_revision = '0008_authentication'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('chain', sa.String(length=96), nullable=True))
        batch.create_index('ix_audit_log_seq', ['seq'], unique=True)
    op.create_table('audit_chain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('chain', sa.String(length=96), nullable=False),
    sa.Column('base_seq', sa.BigInteger(), nullable=False),
    sa.Column('base_chain', sa.String(length=96), nullable=False),
    sa.Column('legacy_max_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO audit_chain (id, seq, chain, base_seq, base_chain, legacy_max_id) "
               "SELECT 1, 0, '', 0, '', COALESCE(MAX(id), 0) FROM audit_log")


def downgrade():
    op.drop_table('audit_chain')
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_index('ix_audit_log_seq')
        batch.drop_column('chain')
        batch.drop_column('seq')

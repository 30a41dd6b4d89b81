"""import summary: a finished import job keeps what its pages show (counts and the first
problems, JSON), so a page never reads the stored report back

Revision ID: 0012_import_summary
Revises: 0011_attachment_keys
Create Date: 2026-12-07 16:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_import_summary'
down_revision = '0011_attachment_keys'
branch_labels = None
depends_on = None


def upgrade():
    # The jobs already finished keep no summary: their pages send to the report instead.
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_column('summary')

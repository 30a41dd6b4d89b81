"""nameplates: when an inspection was saved on the phone, beside when it reached the console

Revision ID: 0002_nameplates
Revises: 0001_nameplates
Create Date: 2026-12-07 12:00:00

A record kept in the phone's outbox through a day without signal arrives hours after it was
made; ``created_at`` says when it arrived, ``captured_at`` when it was made.  Rows from before
have none (they were sent as they were made).
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_nameplates'
down_revision = '0001_nameplates'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('nameplates_inspection') as batch:
        batch.add_column(sa.Column('captured_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('nameplates_inspection') as batch:
        batch.drop_column('captured_at')

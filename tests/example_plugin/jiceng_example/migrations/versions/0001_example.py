"""example tables

Revision ID: 0001_example
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_example"
down_revision = None
branch_labels = ("example",)
depends_on = "0001_core"


def upgrade():
    op.create_table(
        "example_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_example_note_region_id", "example_note", ["region_id"])


def downgrade():
    op.drop_index("ix_example_note_region_id", table_name="example_note")
    op.drop_table("example_note")

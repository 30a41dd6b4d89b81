"""The core's Alembic environment and revisions, installed as ``jiceng.migrations``."""

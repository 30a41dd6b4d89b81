"""Exit 0 when the PostgreSQL the tests would use answers (``make test`` asks before its second
pass); 1 otherwise."""

import os
import sys

import sqlalchemy as sa

URL = os.environ.get("JICENG_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")

try:
    engine = sa.create_engine(URL, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
except Exception:
    sys.exit(1)
sys.exit(0)

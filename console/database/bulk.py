"""Bulk writes: many rows into one table inside the caller's transaction."""

from __future__ import annotations

from contextlib import contextmanager

from console.database import copies

# SQLite's page cache for the writes of an import (KiB).  Its default, 2 MB, holds a small part
# of a large table's indexes; rows come in no index's order, so each insert evicts pages the
# next ones need and reads them back: at city scale the insert takes twice as long
# (bench/FINDINGS.md).  The connection's own size is restored when the writes are done.
BULK_PAGE_CACHE_KIB = 64 * 1024


@contextmanager
def bulk_page_cache(session):
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_PAGE_CACHE_KIB}")
    try:
        yield
    finally:
        # Pages still to be written stay in the cache until the commit writes them.
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def insert_rows(session, table, rows: list[dict]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's transaction,
    as tuples straight to the driver: the statement is made once per batch and SQLAlchemy's
    per-row parameter handling is skipped (a third of a large import's time otherwise).  Types
    still get their bind processing.  No ORM events fire: not for a table whose writes other
    code watches (copies.WATCHED); the table's tokens are renewed at the commit."""
    if not rows:
        return 0
    copies.rows_inserted(session, table)  # no ORM event sees these rows
    conn = session.connection()
    dialect = conn.dialect
    keys = list(rows[0])
    columns = [table.c[k] for k in keys]
    # A column's Python-side default is applied by SQLAlchemy's insert, not by this one.
    unfilled = [c.key for c in table.c if c.default is not None and c.key not in keys]
    if unfilled:
        raise ValueError(f"insert_rows into {table.name}: the rows must give {', '.join(unfilled)}")
    # Column by column, each through its type's bind processing, then zipped into the rows'
    # tuples.  A value repeated down a column (an import's one creation time) is processed once.
    cells = []
    for column in columns:
        values = [row[column.key] for row in rows]
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            last, done = object(), None
            for n, value in enumerate(values):
                if value is not last:
                    last, done = value, process(value)
                values[n] = done
        cells.append(values)
    values = list(zip(*cells))
    quote = dialect.identifier_preparer.quote
    head = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(quote(c.name) for c in columns)}) VALUES ")
    if dialect.name == "postgresql":
        # psycopg2's executemany sends a statement per row; execute_values sends pages of rows.
        from psycopg2.extras import execute_values

        with conn.connection.driver_connection.cursor() as cursor:
            execute_values(cursor, head + "%s", values, page_size=1000)
    else:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(head + f"({', '.join([mark] * len(keys))})", values)
    return len(rows)

"""Counting and paging large lists: exact totals and deep pages at the cost of a first page.

``count_rows`` and ``page_rows`` answer exactly what ``query.count()`` and
``query.limit().offset().all()`` would.  Two things make them cheap at city scale:

* A deferred join: the page's primary keys are found from an index of the sort columns, then
  only those rows are loaded with their joins (OFFSET over the joined rows built 250,000 of
  them to reach page 10,000 of the enterprises).
* A page map kept by the worker: the total of a list (its filters and scope), counted the first
  time it is shown, and the sort key of every STRIDE-th row, read in one pass over the index the
  first time a deep page of it is asked for; both kept until a row of a table it reads is
  inserted or deleted, or one of the columns its filters and ORDER BY name is updated, through
  the console (``copies.read_columns``).  A deep page then starts from the nearest mapped key
  (a keyset condition) and skips fewer than STRIDE index entries, so page 10,000 costs what
  page 1 does, and no page repeats the count.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, func, inspect, select, tuple_
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import asc_op, desc_op

from console.database import copies as worker_cache

STRIDE = 250  # rows between two mapped keys: a deep page skips fewer index entries than this


@dataclass(frozen=True)
class _Map:
    total: int
    keys: tuple  # the sort key of row STRIDE, 2 * STRIDE, ... (1-based positions)


def count_rows(query) -> int:
    """The number of rows of ``query`` (over one mapped class, without GROUP BY or DISTINCT)."""
    return _map(query).total


def page_rows(query, limit: int, offset: int) -> list:
    """The same rows, in the same order, as ``query.limit(limit).offset(offset).all()``, for a
    query over one mapped class whose ORDER BY ends with its primary key (a total order)."""
    entity = query.column_descriptions[0]["entity"]
    pk = inspect(entity).primary_key[0]
    order = _keyset_order(query, pk)
    ids = query.with_entities(pk.label("page_key"))
    if order is not None and offset >= STRIDE:
        columns, descending = order
        page_map = _map(query, order)
        mapped = min(offset // STRIDE, len(page_map.keys))
        if mapped:
            key = page_map.keys[mapped - 1]
            after = tuple_(*columns) < tuple_(*key) if descending else tuple_(*columns) > tuple_(*key)
            ids = ids.filter(after)
            offset -= mapped * STRIDE
    keys = ids.limit(limit).offset(offset).subquery()
    return query.join(keys, pk == keys.c.page_key).all()


def _counting(query):
    # SELECT count(*) FROM table WHERE ...: Query.count() wraps every column in a subquery,
    # which not every SQLite version sees through.
    entity = query.column_descriptions[0]["entity"]
    return query.statement.with_only_columns(func.count()).select_from(entity).order_by(None)


def _map(query, order: tuple[list, bool] | None = None) -> _Map:
    """The total, and with ``order`` (the keyset order of the query) the mapped keys too."""

    counting = _counting(query)
    compiled = counting.compile(dialect=query.session.get_bind().dialect)
    name = f"paging:{compiled.string}:{sorted(compiled.params.items())!r}"
    found = worker_cache.cached(name, lambda: _Map(query.session.execute(counting).scalar(), ()),
                                depends=worker_cache.read_columns(counting))
    if order is None or found.total < STRIDE:
        return found
    # The keys are read the first time a deep page is asked for, in one pass over the index;
    # per order as well as per filter (the count is shared by every order).
    columns, descending = order
    signature = ",".join(f"{c.table.name}.{c.name}" for c in columns) + (" desc" if descending else "")
    return worker_cache.cached(f"{name}:keys:{signature}:{STRIDE}",
                               lambda: _Map(found.total, _read_keys(query, columns)),
                               depends=worker_cache.read_columns(query.statement))


def _read_keys(query, columns: list) -> tuple:
    ordering = query.statement._order_by_clauses  # no public accessor in SQLAlchemy 2.0
    numbered = (query.with_entities(*columns, func.row_number().over(order_by=ordering).label("position"))
                .order_by(None).subquery())
    picked = select(*(numbered.c[i] for i in range(len(columns)))) \
        .where(numbered.c.position % STRIDE == 0).order_by(numbered.c.position)
    return tuple(tuple(row) for row in query.session.execute(picked))


def _keyset_order(query, pk) -> tuple[list, bool] | None:
    """The ORDER BY's columns and whether it descends, when a keyset condition can stand in for
    skipping rows: plain non-null columns of the table, one direction, ending with the primary
    key.  None otherwise (the page is then reached by OFFSET alone)."""
    clauses = getattr(query.statement, "_order_by_clauses", ())
    columns, directions = [], set()
    for clause in clauses:
        if isinstance(clause, Column):  # order_by(Model.column): ascending
            column, direction = clause, asc_op
        elif isinstance(clause, UnaryExpression) and clause.modifier in (asc_op, desc_op):
            column, direction = clause.element, clause.modifier
        else:
            return None
        if not isinstance(column, Column) or column.nullable and not column.primary_key:
            return None
        columns.append(column)
        directions.add(direction)
    if not columns or len(directions) != 1 or not _same_column(columns[-1], pk):
        return None
    return columns, directions == {desc_op}


def _same_column(column, other) -> bool:
    # The ORM hands out annotated copies of a table's columns.
    return column.table is other.table and column.name == other.name

"""gunicorn configuration for both apps under test: counts SQL statements per request.

``post_worker_init`` runs in each worker once its app is loaded: it listens on every SQLAlchemy
engine (``before_cursor_execute`` on the Engine class) and wraps the worker's WSGI app so each
response carries ``X-SQL-Queries``, the statements run before its headers were sent.  Neither
app's code is touched.  A sync worker serves one request at a time, so one counter suffices.
"""

import os

from sqlalchemy import event
from sqlalchemy.engine import Engine

HEADER = "X-SQL-Queries"
# Set BENCH_SQL_LOG to a file to see the statements of each request (when looking for which).
SQL_LOG = os.environ.get("BENCH_SQL_LOG")
_count = [0]


def _on_execute(conn, cursor, statement, parameters, context, executemany):
    _count[0] += 1
    if SQL_LOG:
        with open(SQL_LOG, "a") as fh:
            fh.write(f"{os.getpid()} {' '.join(statement.split())[:300]}\n")


class CountingMiddleware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        _count[0] = 0
        if SQL_LOG:
            with open(SQL_LOG, "a") as fh:
                fh.write(f"{os.getpid()} -- {environ.get('PATH_INFO')}?{environ.get('QUERY_STRING')}\n")

        def counted(status, headers, exc_info=None):
            headers.append((HEADER, str(_count[0])))
            return start_response(status, headers, exc_info)

        return self.app(environ, counted)


def post_worker_init(worker):
    if not event.contains(Engine, "before_cursor_execute", _on_execute):
        event.listen(Engine, "before_cursor_execute", _on_execute)
    worker.wsgi = CountingMiddleware(worker.wsgi)

"""One unit of work: a service function owns its transaction.

A service marked ``@unit_of_work`` commits when it returns and rolls back when it raises; a unit
called from inside another joins it, and only the outermost one commits.  Views, jobs and imports
call services and never commit themselves: a refusal half-way leaves nothing written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from console.foundation.extensions import db

_DEPTH = "console.unit_of_work_depth"

F = TypeVar("F", bound=Callable)


@contextmanager
def transaction():
    """The body is one unit of work on ``db.session`` (nested units join the outer one)."""
    session = db.session
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def unit_of_work(func: F) -> F:
    """Decorate a service function so that it is one unit of work (see ``transaction``)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]

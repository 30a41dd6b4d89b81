"""Mixins for models that share a shape."""

from __future__ import annotations


class Named:
    """Mixin: the row is shown by its ``name`` (in lists, pickers and the audit log)."""

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

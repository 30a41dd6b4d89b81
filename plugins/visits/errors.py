"""Refusals of 三送三进, each with a Chinese message its user can read."""

from __future__ import annotations

from console import ConsoleError


class VisitsError(ConsoleError):
    """A rule of 三送三进 refused the request; ``message`` says which, in Chinese."""


class StaleEdit(VisitsError):
    status = 409

    def __init__(self, message: str = "该记录已被他人修改，您看到的是旧版本；请刷新页面后重新填写"):
        super().__init__(message)


__all__ = ["VisitsError", "StaleEdit"]

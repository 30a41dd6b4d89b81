"""Refusals of the nameplates module, each with a message its user can read."""

from console import ConsoleError, NotFound


class NameplatesError(ConsoleError):
    """Bad input or a rule of the module that refuses the change."""


class Forbidden(NameplatesError):
    status = 403


class Conflict(NameplatesError):
    status = 409


__all__ = ["NameplatesError", "Forbidden", "Conflict", "NotFound"]

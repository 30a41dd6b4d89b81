"""Refusals of the talent module, each with a message its user can read."""

from console import ConsoleError, NotFound


class TalentError(ConsoleError):
    """Input or a transition that the module's rules refuse."""


class Gone(ConsoleError):
    """A revoked certificate's public page."""

    status = 410


__all__ = ["TalentError", "Gone", "NotFound"]

"""One exception class per kind of refusal, each with a message a user can read."""


class ConsoleError(Exception):
    """Base of every refusal the console explains to its user (in Chinese)."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(ConsoleError):
    status = 404


class OutOfScope(NotFound):
    """A record outside the user's region: answered exactly like one that does not exist."""

    def __init__(self, message: str = "记录不存在，或不在您的管辖范围内"):
        super().__init__(message)


class ImportRefused(ConsoleError):
    """A file that cannot be imported as a whole (not a spreadsheet, empty, columns missing)."""

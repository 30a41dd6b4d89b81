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



def field_errors_text(messages, path: str = "") -> str:
    """Marshmallow's nested field errors as one line a user can read: ``plaques.0.name：必填；
    village_id：必填``.  The APIs' declared 400 body has a string ``message``; the per-field
    object goes beside it as ``errors``."""
    if isinstance(messages, dict):
        return "；".join(field_errors_text(v, f"{path}.{k}" if path else _FIELD.get(k, str(k)))
                        for k, v in messages.items())
    if isinstance(messages, list):
        return "；".join(field_errors_text(m, path) for m in messages)
    return f"{path}：{messages}" if path else str(messages)


_FIELD = {"_schema": "请求体"}

"""Password complexity, used by Flask-AppBuilder's forms and by ``jiceng init``."""

from flask import current_app, has_app_context
from flask_appbuilder.exceptions import PasswordComplexityValidationError


def problems(password: str) -> list[str]:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"] if has_app_context() else 10
    found = []
    if len(password) < minimum:
        found.append(f"至少 {minimum} 个字符")
    kinds = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if kinds < 3:
        found.append("须包含大写字母、小写字母、数字、符号中的至少三类")
    return found


def validate(password: str) -> None:
    found = problems(password)
    if found:
        raise PasswordComplexityValidationError("密码太弱：" + "；".join(found))

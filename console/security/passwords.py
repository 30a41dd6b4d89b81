"""Passwords: complexity (Flask-AppBuilder's forms, ``jiceng init``) and the hashing method."""

from flask import current_app, has_app_context
from werkzeug.security import generate_password_hash
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


# -- hashing ----------------------------------------------------------------------------------
# Flask-AppBuilder hashes through werkzeug with FAB_PASSWORD_HASH_METHOD (set to PBKDF2-HMAC-SM3
# under JICENG_CRYPTO=sm by console.foundation.settings), and werkzeug checks a stored hash by
# the method written in it: hashes made before a switch keep working.  These two let the login
# replace such a hash with one of the current method while it has the password in hand.


def _method() -> str:
    return current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")


def outdated(stored: str | None) -> bool:
    """Whether ``stored`` was made by another method than new passwords get."""
    if not stored:
        return False
    made_with = stored.split("$", 1)[0]
    method = _method()
    return not (made_with == method or made_with.startswith(method + ":"))


def rehash(user, password: str) -> bool:
    """Give ``user`` a hash of the current method after ``password`` was checked against the
    stored one; True if it changed (the caller's transaction writes it)."""
    if not outdated(user.password):
        return False
    user.password = generate_password_hash(
        password, method=_method(), salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    return True

"""Configuration: defaults from ``config.py``, then ``instance/config.py``, then ``JICENG_*``.

The console's own names (``DATABASE_URL``, ``TIMEZONE`` ...) are translated here into the keys
Flask, Flask-SQLAlchemy and Flask-AppBuilder read, so that the rest of the code sees one
finished configuration.
"""

from __future__ import annotations

import ast
import os
import secrets
from pathlib import Path

from console.foundation.crypto import SM_PASSWORD_METHOD
from jiceng import config as defaults

ENV_PREFIX = "JICENG_"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ConfigurationError(RuntimeError):
    """A setting the console cannot start without, said in Chinese for whoever deploys it."""


def _parse_env(raw: str, default):
    """Environment values are strings; give them the type of the default they replace."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, (list, dict, tuple)):
        return ast.literal_eval(raw)
    return raw


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    # Written with O_EXCL so that two workers starting together agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` from defaults, the instance file, the environment and ``overrides``."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    app.config.from_object(defaults)
    app.config.from_pyfile("config.py", silent=True)
    for name in dir(defaults):
        if name.isupper() and ENV_PREFIX + name in os.environ:
            app.config[name] = _parse_env(os.environ[ENV_PREFIX + name], getattr(defaults, name))
    if overrides:
        app.config.update(overrides)

    cfg = app.config
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = "sqlite:///" + str(instance / "jiceng.db")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _secret_key(instance)

    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_UPLOAD_MB"] * 1024 * 1024

    # Flask-AppBuilder: database auth, our roles, no permission sync in the workers
    # (several workers syncing at once raced into IntegrityErrors; `jiceng init` syncs).
    cfg.setdefault("AUTH_TYPE", 1)  # AUTH_DB
    cfg["AUTH_ROLE_ADMIN"] = "系统管理员"
    cfg["AUTH_ROLE_PUBLIC"] = "公开访问"
    cfg.setdefault("FAB_UPDATE_PERMS", False)
    # The schema belongs to the migrations, never to create_all at start-up.
    cfg["FAB_CREATE_DB"] = False
    cfg["FAB_SECURITY_MANAGER_CLASS"] = "console.security.users.ConsoleSecurityManager"
    cfg["FAB_INDEX_VIEW"] = "console.web.views.HomeView"
    cfg["FAB_BASE_TEMPLATE"] = "console/base.html"
    cfg.setdefault("FAB_API_SWAGGER_UI", True)
    # The console registers the spec's view itself, in Chinese (console/web/openapi.py).
    cfg["FAB_ADD_OPENAPI_VIEWS"] = False
    cfg.setdefault("FAB_API_MAX_PAGE_SIZE", 100)
    cfg.setdefault("FAB_PASSWORD_COMPLEXITY_ENABLED", True)
    # New passwords under national cryptography: PBKDF2-HMAC-SM3 (werkzeug's method string, which
    # Flask-AppBuilder passes on).  Checking reads the method from the stored hash, so the scrypt
    # hashes written before a switch still verify.
    if cfg.get("CRYPTO") == "sm":
        cfg.setdefault("FAB_PASSWORD_HASH_METHOD", SM_PASSWORD_METHOD)
    cfg["LANGUAGES"] = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }
    cfg["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).resolve().parent.parent / "translations")

    # Login rate limiting: in memory per process by default, Redis when several hosts share it.
    # Flask-AppBuilder's own limit covers the form alone; the security manager puts the form and
    # the REST login under one shared limit instead (console.security.users).
    cfg["AUTH_RATE_LIMITED"] = False
    cfg["AUTH_RATE_LIMIT"] = cfg["LOGIN_RATE_LIMIT"]
    cfg["RATELIMIT_ENABLED"] = cfg.get("RATELIMIT_ENABLED", True)
    cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"] or "memory://"

    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True
    cfg["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    cfg.setdefault("WTF_CSRF_ENABLED", True)
    cfg.setdefault("PERMANENT_SESSION_LIFETIME", 8 * 3600)


def serves_other_hosts(cfg) -> bool:
    """Production, as the console can tell it: it listens beyond this machine (install.sh writes
    JICENG_BIND=0.0.0.0); the embedded demo listens on 127.0.0.1 alone."""
    return str(cfg.get("BIND") or "127.0.0.1").strip() not in LOOPBACK


def base_url(cfg) -> str:
    """The console's one public address, ending with "/": links in briefings, e-mails and QR
    codes, whether made by a web worker, the scheduler or the command line.  On the embedded
    demo, unset, it is the local address ``jiceng serve`` listens on."""
    configured = (cfg.get("BASE_URL") or "").strip()
    if configured:
        return configured.rstrip("/") + "/"
    return f"http://{cfg.get('BIND') or '127.0.0.1'}:{cfg.get('PORT') or 8080}/"


def check(cfg) -> None:
    """Refuse to start without what production needs: a reader's link that points at
    127.0.0.1 leads nowhere on their machine."""
    if serves_other_hosts(cfg) and not (cfg.get("BASE_URL") or "").strip():
        raise ConfigurationError(
            f"控制台对外提供服务（JICENG_BIND={cfg.get('BIND')}），但没有设置对外访问地址："
            "请设置 JICENG_BASE_URL（如 https://jiceng.example.gov.cn，写入 /etc/jiceng/jiceng.env "
            "或 instance/config.py 的 BASE_URL），简报、邮件与二维码中的链接都以它为准")
    configured = (cfg.get("BASE_URL") or "").strip()
    if configured and not configured.startswith(("http://", "https://")):
        raise ConfigurationError(f"JICENG_BASE_URL“{configured}”须以 http:// 或 https:// 开头")

"""The addresses the module's pages had before they moved under /talent/: Flask-AppBuilder's
defaults (``/talentpersonview/list/``) and the public ``/verify/<token>`` that printed QR codes
carry.  Each answers 301 to the same page at its new address, query string kept (308 for a form
post, which must stay a post).

A plain blueprint, not a Flask-AppBuilder view: the registry counts only views as the module's
pages, and these are no pages; while the module is switched off they lead to its 404.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request

MOVED = {
    "/talentpersonview": "/talent/people",
    "/talentcertificateview": "/talent/certificates",
    "/talentregistrationview": "/talent/registrations",
    "/talenteducationview": "/talent/education",
    "/talentsupervisionview": "/talent/supervision",
    "/talentsupervisionsessionview": "/talent/supervision_sessions",
    "/verify": "/talent/verify",
}
METHODS = ["GET", "HEAD", "POST"]


def new_address(old: str) -> str | None:
    """Where an old path now lives, or None if it is not one of the moved ones."""
    for prefix, target in MOVED.items():
        if old == prefix or old.startswith(prefix + "/"):
            return target + old[len(prefix):]
    return None


def _redirect(rest: str = ""):
    target = new_address(request.path)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, 301 if request.method in ("GET", "HEAD") else 308)


def blueprint() -> Blueprint:
    moved = Blueprint("talent_moved", __name__)
    for prefix in MOVED:
        moved.add_url_rule(prefix + "/", f"moved{prefix.replace('/', '_')}", _redirect, methods=METHODS)
        moved.add_url_rule(prefix + "/<path:rest>", f"moved{prefix.replace('/', '_')}_rest", _redirect,
                           methods=METHODS)
    return moved


def register(app) -> None:
    app.register_blueprint(blueprint())

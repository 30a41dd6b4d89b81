"""The public verification page of a certificate, reached from the QR code on its card.

It answers without login and shows the level, the registration status and expiry and the
holder's name masked; nothing else, whatever is put in the URL.  An unknown token is 404, a
revoked certificate 410.  Registered through ``appbuilder.add_view_no_menu`` so that the core's
guard answers 404 while the module is switched off.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import qrcode
import qrcode.image.svg
from flask import Response, render_template, url_for
from flask_appbuilder import BaseView, expose

from console import db

from . import idnumber, services
from .models import ISSUED, Certificate

# secrets.token_urlsafe(24) is 32 characters of the URL-safe alphabet; anything else is unknown.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
TEMPLATES = str(Path(__file__).parent / "templates")


def find_by_token(token: str) -> Certificate | None:
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    return db.session.query(Certificate).filter(Certificate.token == token).one_or_none()


def public_facts(cert: Certificate, on=None) -> dict:
    """Exactly what the public may learn about a certificate."""
    on = on or services.today()
    reg = services.current_registration(cert)
    if reg is None:
        latest = cert.registrations[-1] if cert.registrations else None
        status = latest.status if latest else "未登记"
        expires, state = None, "未登记" if latest is None else "办理中"
    else:
        status, expires = ISSUED, reg.expires_on
        state = "有效" if reg.expires_on >= on else "已过期"
    return {"name": idnumber.mask_name(cert.person.name), "level": cert.level,
            "status": status, "expires_on": expires, "state": state}


def verify_url(cert: Certificate) -> str:
    """The absolute address the QR code carries: BASE_URL when configured (behind a proxy the
    request's own host may be an internal one), else the address the page was asked on."""
    from flask import current_app

    path = url_for("TalentVerifyView.verify", token=cert.token)
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + path
    return url_for("TalentVerifyView.verify", token=cert.token, _external=True)


def qr_png(data: str) -> bytes:
    img = qrcode.make(data, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue()


def qr_svg(data: str) -> bytes:
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue()


class TalentVerifyView(BaseView):
    """No @has_access: the page is public by design."""

    route_base = "/verify"
    template_folder = TEMPLATES
    default_view = "verify"

    @expose("/<path:token>")
    def verify(self, token):
        cert = find_by_token(token)
        if cert is None:
            return self._answer("talent/verify_missing.html", 404)
        if cert.revoked:
            return self._answer("talent/verify_revoked.html", 410)
        return self._answer("talent/verify.html", 200, facts=public_facts(cert))

    @staticmethod
    def _answer(template: str, status: int, **context) -> Response:
        body = render_template(template, **context)
        resp = Response(body, status=status, mimetype="text/html")
        # Scanned on phones and shown to third parties: never cached, never indexed, never framed.
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Robots-Tag"] = "noindex"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        return resp

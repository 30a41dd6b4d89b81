"""What the public verification page of a certificate shows, and the QR code that leads there.

The page answers without login and shows the level, the registration status and expiry and the
holder's name masked; nothing else, whatever is put in the URL (views/public.py serves it).
"""

from __future__ import annotations

import io
import re

import qrcode
import qrcode.image.svg
from flask import url_for

from console import db

from . import idnumber, registrations
from .common import today
from ..models import ISSUED, Certificate

# secrets.token_urlsafe(24) is 32 characters of the URL-safe alphabet; anything else is unknown.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def find_by_token(token: str) -> Certificate | None:
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    return db.session.query(Certificate).filter(Certificate.token == token).one_or_none()


def public_facts(cert: Certificate, on=None) -> dict:
    """Exactly what the public may learn about a certificate."""
    on = on or today()
    reg = registrations.current_registration(cert)
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

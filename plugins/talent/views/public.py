"""The public verification page of a certificate, reached from the QR code on its card.

It answers without login; an unknown token is 404, a revoked certificate 410.  Registered through
``appbuilder.add_view_no_menu`` so that the core's guard answers 404 while the module is switched
off.  QR codes printed before the page moved under /talent/ carry /verify/<token>: that address
redirects here (views/moved.py).
"""

from __future__ import annotations

from flask import Response, render_template
from flask_appbuilder import BaseView, expose

from ..services.public import find_by_token, public_facts
from .common import TEMPLATES


class TalentVerifyView(BaseView):
    """No @has_access: the page is public by design."""

    route_base = "/talent/verify"
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

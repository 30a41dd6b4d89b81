"""Download (or show inline) an attachment, if the record it belongs to is visible to the user."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console.files import attachments
from console.files.models import Attachment
from console.foundation.extensions import db

# Shown in the browser; everything else is offered as a download.
INLINE_TYPES = {"image/jpeg", "image/png", "application/pdf"}


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name for every current browser."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%;' else "_" for ch in filename)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _visible(ident: int) -> Attachment:
    attachment = db.session.get(Attachment, ident)
    if attachment is None or not attachments.can_view(attachment, g.user):
        abort(404)
    return attachment


def _send(body: bytes, content_type: str, filename: str, disposition: str, etag: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = content_disposition(disposition, filename)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.set_etag(etag)
    return response.make_conditional(request)


class AttachmentView(BaseView):
    route_base = "/console/attachments"
    class_permission_name = "console_attachments"
    default_view = "show"

    @expose("/<int:ident>")
    @has_access
    @permission_name("show")
    def show(self, ident: int):
        attachment = _visible(ident)
        inline = attachment.content_type in INLINE_TYPES and not request.args.get("download")
        return _send(attachment.data, attachment.content_type, attachments.download_name(attachment),
                     "inline" if inline else "attachment", attachment.sha256)

    @expose("/<int:ident>/thumbnail")
    @has_access
    @permission_name("show")
    def thumbnail(self, ident: int):
        attachment = _visible(ident)
        if not attachment.content_type.startswith("image/"):
            abort(404)
        name = attachments.download_name(attachment).rsplit(".", 1)[0] + "-缩略图.jpg"
        return _send(attachments.thumbnail(attachment.data), "image/jpeg", name, "inline",
                     attachment.sha256 + "-thumb")

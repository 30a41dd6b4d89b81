"""Download (or show inline) an attachment, if the record it belongs to is visible to the user."""

from __future__ import annotations

import io

from flask import Response, abort, g, request, send_file
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console.files import attachments
from console.files.models import Attachment
from console.foundation.extensions import db

# Shown in the browser; everything else is offered as a download.
INLINE_TYPES = {"image/jpeg", "image/png", "application/pdf"}


def _visible(key: str) -> Attachment:
    # By the random key only: a sequential id names no file.
    attachment = attachments.by_key(db.session, key)
    if attachment is None or not attachments.can_view(attachment, g.user):
        abort(404)
    return attachment


def _send(body: bytes, content_type: str, filename: str, inline: bool, etag: str) -> Response:
    # send_file writes Content-Disposition (RFC 6266, the UTF-8 name as filename*) and answers
    # If-None-Match and Range from the ETag.
    response = send_file(io.BytesIO(body), mimetype=content_type, as_attachment=not inline,
                         download_name=filename, etag=etag)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


class AttachmentView(BaseView):
    route_base = "/console/attachments"
    class_permission_name = "console_attachments"
    default_view = "show"

    @expose("/<string:key>")
    @has_access
    @permission_name("show")
    def show(self, key: str):
        attachment = _visible(key)
        inline = attachment.content_type in INLINE_TYPES and not request.args.get("download")
        return _send(attachment.data, attachment.content_type, attachments.download_name(attachment),
                     inline, attachment.sha256)

    @expose("/<string:key>/thumbnail")
    @has_access
    @permission_name("show")
    def thumbnail(self, key: str):
        attachment = _visible(key)
        if not attachment.content_type.startswith("image/"):
            abort(404)
        name = attachments.download_name(attachment).rsplit(".", 1)[0] + "-缩略图.jpg"
        return _send(attachments.thumbnail(attachment.data), "image/jpeg", name, True,
                     attachment.sha256 + "-thumb")

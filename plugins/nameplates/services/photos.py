"""Photos of inspections and rectification orders, through the core's attachment service.

Files are checked and added to the caller's session; the caller's unit of work stores them with the
record they belong to, or not at all.
"""

from __future__ import annotations

from console import FileTooLarge, attachments

from ..errors import NameplatesError
from .registers import setting

INSPECTION = "nameplates.inspection"
ORDER_BEFORE = "nameplates.order_before"
ORDER_AFTER = "nameplates.order_after"
OWNERS = (INSPECTION, ORDER_BEFORE, ORDER_AFTER)


def _present(files) -> list:
    """Drop the empty file fields a form sends when no photo was chosen."""
    out = []
    for f in files or ():
        if isinstance(f, (bytes, bytearray)):
            if f:
                out.append(f)
        elif getattr(f, "filename", None) or getattr(f, "content_length", 0):
            out.append(f)
    return out


def _bytes(f, limit: int) -> bytes:
    if isinstance(f, (bytes, bytearray)):
        data = bytes(f)
    else:
        data = getattr(f, "stream", f).read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"照片过大：每张不能超过 {limit // (1024 * 1024)} MB")
    return data


def save(session, files, owner: str, owner_id: int | None, user_id: int | None) -> list:
    """Check and add every photo; raises with a Chinese message naming the refused file."""
    files = _present(files)
    most = int(setting("photos_max"))
    if len(files) > most:
        raise NameplatesError(f"照片太多：一次最多 {most} 张")
    limit = int(setting("photo_max_mb")) * 1024 * 1024
    saved = []
    for number, f in enumerate(files, start=1):
        name = getattr(f, "filename", None) or f"照片{number}.jpg"
        try:
            data = _bytes(f, limit)
            saved.append(attachments.save(session, data, owner=owner, owner_id=owner_id, filename=name,
                                          kind="image", user_id=user_id))
        except attachments.AttachmentError as exc:
            raise type(exc)(f"照片“{attachments.sanitize_filename(name)}”：{exc.message}") from None
    return saved


def of(session, owner: str, owner_id: int) -> list:
    return attachments.for_owner(session, owner, owner_id)

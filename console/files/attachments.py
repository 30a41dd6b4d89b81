"""Attachments: files that belong to a record (an inspection's photos, a scanned certificate).

A file is checked by its content, never by its name, and stored in the database
(``Attachment.data``), so that every host behind the load balancer serves the same files.
``save`` adds the row to the caller's session without committing: the record and its files
commit or roll back together.

Images are opened lazily and their dimensions checked before a single pixel is decoded (a
decompression bomb is refused without exhausting memory), then EXIF orientation is applied,
the longest side is reduced to ``IMAGE_MAX_SIDE`` and the image is re-encoded (JPEG, or PNG
when it is transparent), which also drops whatever else the upload carried.  The capture time
and GPS position are read from EXIF first and kept on the row.

Who may download a file is decided by the record it belongs to, by one rule: a user sees the
file exactly when they may read that record, the permission of the record's page and the record
inside their region.  The plugin that owns ``owner`` (e.g. ``"nameplates.inspection"``) only
says which record that is and which page reads it, with an :class:`AttachmentOwner` from its
``attachment_owners`` hook; the check itself is the core's (:func:`can_view`).

A file's address names its random ``key``, never its sequential id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app, has_app_context
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from jiceng import config as defaults
from console.audit import log as audit
from console.audit.log import current_actor
from console.files.models import Attachment
from console.foundation import clock
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db
from console.plugins import manager as plugins
from console.regions import scope

__all__ = [
    "AttachmentError", "NotAnImage", "FileTooLarge", "TooManyPixels", "UnsupportedType",
    "EmptyFile", "KINDS", "AttachmentOwner", "save", "attach", "for_owner", "delete", "delete_for",
    "by_key", "can_view", "download_name", "sanitize_filename", "url", "thumbnail",
]

log = logging.getLogger(__name__)


class AttachmentError(ConsoleError):
    """An upload the console refuses."""


class NotAnImage(AttachmentError):
    def __init__(self, message: str = "不是图片：文件内容无法识别为 JPEG、PNG、WebP、GIF 或 BMP 图片"):
        super().__init__(message)


class FileTooLarge(AttachmentError):
    status = 413


class TooManyPixels(AttachmentError):
    pass


class UnsupportedType(AttachmentError):
    pass


class EmptyFile(AttachmentError):
    def __init__(self, message: str = "文件为空"):
        super().__init__(message)


# -- what is accepted -----------------------------------------------------------------------

IMAGE_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP"}
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", PDF: ".pdf", XLSX: ".xlsx"}

# kind -> the content families it accepts
KINDS: dict[str, tuple[str, ...]] = {
    "image": ("image",),
    "document": ("pdf", "xlsx", "image"),
}
KIND_TITLES = {"image": "图片", "document": "PDF、Excel(.xlsx) 或图片"}

JPEG_QUALITY = 85


def _setting(name: str):
    if has_app_context():
        return current_app.config.get(name, getattr(defaults, name))
    return getattr(defaults, name)


# -- file names -----------------------------------------------------------------------------

MAX_NAME = 255
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def sanitize_filename(name: str | None) -> str:
    """A display name safe to store and to send back: the last path component only, no
    control characters, at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return "未命名"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME]
    return name


def download_name(attachment: Attachment) -> str:
    """The uploaded name with the extension of what is actually stored (a PNG uploaded as
    ``x.jpg`` is served as ``x.png``; a re-encoded image as ``.jpg``)."""
    name = attachment.filename
    ext = EXTENSIONS.get(attachment.content_type)
    if not ext:
        return name
    stem, dot, old = name.rpartition(".")
    if not (dot and stem):
        return name + ext
    if "." + old.lower() in (ext, ".jpeg" if ext == ".jpg" else ext):
        return name
    return stem + ext


# -- reading the upload ---------------------------------------------------------------------


def _read(source, limit: int) -> bytes:
    """Read at most ``limit`` bytes (+1 to notice more), from bytes, a werkzeug FileStorage or
    any binary file object."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        stream = getattr(source, "stream", source)
        data = stream.read(limit + 1)
    if not data:
        raise EmptyFile()
    if len(data) > limit:
        raise FileTooLarge(f"文件过大：不能超过 {limit // (1024 * 1024)} MB")
    return data


# -- images ---------------------------------------------------------------------------------


@dataclass
class _Processed:
    data: bytes
    content_type: str
    width: int | None = None
    height: int | None = None
    taken_at: dt.datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


def _too_many_pixels(width: int, height: int, limit: int) -> TooManyPixels:
    return TooManyPixels(
        f"图片像素过多：{width}×{height}，超过上限 {limit:,} 像素，请缩小后再上传"
    )


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open without decoding; refuse by the header's dimensions."""
    try:
        img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels(f"图片像素过多：超过上限 {max_pixels:,} 像素，请缩小后再上传") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise NotAnImage() from None
    if img.format not in IMAGE_FORMATS:
        raise NotAnImage()
    width, height = img.size
    if width <= 0 or height <= 0:
        raise NotAnImage()
    if width * height > max_pixels:
        raise _too_many_pixels(width, height, max_pixels)
    return img


_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _taken_at(exif) -> dt.datetime | None:
    """DateTimeOriginal as naive UTC.  Cameras write local time; the offset tag says which,
    otherwise the console's time zone is assumed."""
    sub = exif.get_ifd(0x8769)  # Exif IFD
    raw = sub.get(0x9003) or sub.get(0x9004)  # DateTimeOriginal, else DateTimeDigitized
    if not isinstance(raw, str):
        return None
    try:
        local = dt.datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not 1990 <= local.year <= 2100:
        return None
    offset = sub.get(0x9011)  # OffsetTimeOriginal, e.g. "+08:00"
    match = _OFFSET.match(offset.strip("\x00 ")) if isinstance(offset, str) else None
    if match:
        sign = 1 if match[1] == "+" else -1
        zone = dt.timezone(sign * dt.timedelta(hours=int(match[2]), minutes=int(match[3])))
    else:
        zone = clock.zone(_setting("TIMEZONE"))
    return local.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def _degrees(value, ref) -> float | None:
    """(degrees, minutes, seconds) rationals and an N/S/E/W reference -> signed decimal."""
    try:
        d, m, s = (float(x) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if any(x != x or x < 0 for x in (d, m, s)):  # NaN from a 0/0 rational, or negative
        return None
    result = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() in ("S", "W"):
        result = -result
    return round(result, 7)


def _position(exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(0x8825)
    if not gps:
        return None, None
    lat = _degrees(gps.get(2), gps.get(1))
    lon = _degrees(gps.get(4), gps.get(3))
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None, None
    return lat, lon


def _has_alpha(img: Image.Image) -> bool:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        alpha = img.convert("RGBA").getchannel("A")
        return alpha.getextrema()[0] < 255
    return False


def _process_image(data: bytes) -> _Processed:
    with warnings.catch_warnings():
        # Pillow warns (and above twice its own limit raises) about a decompression bomb: both
        # become a refusal, never a log line or, where warnings are errors, a traceback.  Its
        # other warnings (odd EXIF, metadata) say nothing the stored copy still carries.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # WeasyPrint, once imported in a process, makes Pillow accept truncated images
        # everywhere (ImageFile.LOAD_TRUNCATED_IMAGES): a photo must still decode whole.
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            return _decode_image(data)
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _decode_image(data: bytes) -> _Processed:
    max_pixels = int(_setting("IMAGE_MAX_PIXELS"))
    max_side = int(_setting("IMAGE_MAX_SIDE"))
    img = _open_image(data, max_pixels)
    try:
        exif = img.getexif()
        taken_at = _taken_at(exif)
        latitude, longitude = _position(exif)
    except Exception:  # a broken EXIF block never costs the photo itself
        taken_at, latitude, longitude = None, None, None
    try:
        if img.format in ("JPEG", "MPO"):
            # Let libjpeg decode at a reduced scale: a 48 MP photo never becomes 48 MP in memory.
            img.draft("RGB", (max_side, max_side))
        img.load()
        img = ImageOps.exif_transpose(img)
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if _has_alpha(img):
            img = img.convert("RGBA")
            img.save(out, "PNG", optimize=True)
            content_type = "image/png"
        else:
            img = img.convert("RGB")
            img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            content_type = "image/jpeg"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(*img.size, max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise NotAnImage("图片已损坏或不完整，无法读取") from None
    return _Processed(out.getvalue(), content_type, img.width, img.height, taken_at, latitude, longitude)


# -- documents ------------------------------------------------------------------------------


def _family(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _process(data: bytes, kind: str) -> _Processed:
    families = KINDS.get(kind)
    if families is None:
        raise ValueError(f"unknown attachment kind {kind!r}")
    sniffed = _family(data)
    if sniffed == "pdf" and "pdf" in families:
        return _Processed(data, PDF)
    if sniffed == "zip" and "xlsx" in families and _is_xlsx(data):
        return _Processed(data, XLSX)
    if families == ("image",):
        return _process_image(data)
    if "image" in families and sniffed is None:
        try:
            return _process_image(data)
        except NotAnImage:
            pass
    raise UnsupportedType(f"不支持的文件类型：只接受{KIND_TITLES.get(kind, kind)}")


# -- the service ----------------------------------------------------------------------------


def save(session, file_storage_or_bytes, *, owner: str, owner_id: int | None, filename: str | None,
         kind: str = "image", user_id: int | None = None) -> Attachment:
    """Check, process and add one file to ``session`` (not committed: the caller's commit
    stores it together with the record it belongs to).  Raises an :class:`AttachmentError`
    with a Chinese message when the file is refused."""
    if not owner:
        raise ValueError("an attachment needs an owner, e.g. 'nameplates.inspection'")
    if filename is None:
        filename = getattr(file_storage_or_bytes, "filename", None)
    limit = int(_setting("MAX_UPLOAD_MB")) * 1024 * 1024
    data = _read(file_storage_or_bytes, limit)
    processed = _process(data, kind)
    attachment = Attachment(
        owner=owner,
        owner_id=owner_id,
        filename=sanitize_filename(filename),
        content_type=processed.content_type,
        size=len(processed.data),
        sha256=hashlib.sha256(processed.data).hexdigest(),
        data=processed.data,
        width=processed.width,
        height=processed.height,
        taken_at=processed.taken_at,
        latitude=processed.latitude,
        longitude=processed.longitude,
        created_by_id=user_id if user_id is not None else _current_user_id(),
    )
    session.add(attachment)
    return attachment


def _current_user_id() -> int | None:
    return current_actor()[0]


def attach(session, attachments: Iterable[Attachment], owner_id: int) -> None:
    """Point attachments saved before their owner row had an id at that row."""
    for attachment in attachments:
        attachment.owner_id = owner_id
        session.add(attachment)


def for_owner(session, owner: str, owner_id: int) -> list[Attachment]:
    """The attachments of one record, oldest first, without their data."""
    return (
        session.query(Attachment)
        .filter(Attachment.owner == owner, Attachment.owner_id == owner_id)
        .order_by(Attachment.id)
        .all()
    )


def delete(session, attachment: Attachment) -> None:
    """Delete one file (in the caller's transaction) and say so in the audit log: attachment
    rows are not audited by themselves, their bytes have no place in the log."""
    audit.record("delete", entity="attachment", entity_id=attachment.id, session=session,
                 summary=f"删除附件 #{attachment.id}：{attachment.filename}",
                 changes={"owner": [attachment.owner, None], "owner_id": [attachment.owner_id, None],
                          "filename": [attachment.filename, None], "sha256": [attachment.sha256, None]})
    session.delete(attachment)
    session.flush()


def delete_for(session, owner: str, owner_id: int) -> int:
    """Delete the attachments of a record (in the caller's transaction)."""
    return (
        session.query(Attachment)
        .filter(Attachment.owner == owner, Attachment.owner_id == owner_id)
        .delete(synchronize_session=False)
    )


def url(attachment: Attachment, *, thumbnail: bool = False, download: bool = False) -> str:
    """The address of a file (or of its thumbnail): by its random key."""
    from flask import url_for

    if thumbnail:
        return url_for("AttachmentView.thumbnail", key=attachment.key)
    return url_for("AttachmentView.show", key=attachment.key, **({"download": 1} if download else {}))


def by_key(session, key: str) -> Attachment | None:
    return session.query(Attachment).filter(Attachment.key == key).one_or_none()


# -- who may see a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentOwner:
    """What a plugin says about one kind of record that has files (``attachment_owners``).

    ``kind`` is the attachments' ``owner`` (``"<plugin>.<thing>"``, the declaring plugin's name
    first), ``model`` the table of the record (``owner_id`` is its primary key),
    ``view_permission`` the Flask-AppBuilder permission and view name of the page that reads the
    record (``("can_show", "visits_visits")``), and ``region`` where the record's region is: a
    column path from the record (``"region_id"``, ``"inspection.region_id"``) or a function of
    the record returning the region id."""

    kind: str
    model: type
    view_permission: tuple[str, str]
    region: str | Callable[[object], int | None] = "region_id"

    def region_of(self, record) -> int | None:
        if callable(self.region):
            return self.region(record)
        value = record
        for name in self.region.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value


def owner_of(kind: str) -> AttachmentOwner | None:
    """The declaration of ``kind`` by the plugin whose name it starts with, if that plugin is
    enabled (a switched-off plugin's files are not served): one plugin cannot open another's
    files by declaring their kind."""
    plugin = kind.split(".", 1)[0]
    for name, owners in plugins.call("attachment_owners"):
        if name != plugin:
            continue
        for owner in owners or ():
            if owner.kind == kind:
                return owner
    return None


def can_view(attachment: Attachment, user) -> bool:
    """Whether ``user`` (the signed-in user of this request) may download ``attachment``: they
    may read the record it belongs to, by the permission of that record's page and by their
    regional scope."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if attachment.owner_id is None:
        # Saved but not yet attached to a record: only its uploader sees it.
        return attachment.created_by_id == getattr(user, "id", None)
    owner = owner_of(attachment.owner)
    if owner is None:
        return False
    try:
        permission, view = owner.view_permission
        if not current_app.appbuilder.sm.has_access(permission, view):
            return False
        record = db.session.get(owner.model, attachment.owner_id)
        return record is not None and scope.contains(owner.region_of(record))
    except Exception:
        # A broken declaration must not open the file to everyone, nor show a traceback.
        log.exception("attachment owner %s failed for record %s", attachment.owner, attachment.owner_id)
        return False


def thumbnail(data: bytes, side: int = 320) -> bytes:
    """A small JPEG of a stored image (already bounded by IMAGE_MAX_SIDE, so cheap to open)."""
    img = Image.open(io.BytesIO(data))
    img.thumbnail((side, side))
    out = io.BytesIO()
    if _has_alpha(img):
        background = Image.new("RGB", img.size, "white")
        background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
        img = background
    img.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()

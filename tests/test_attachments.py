"""Attachments: checked by content, bounded, downscaled, EXIF read, stored in the record's
transaction, served only to users who may see the record."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from urllib.parse import quote

import pytest
from PIL import Image

from console import PluginInfo, hookimpl
from console.files import attachments
from console.files.attachments import AttachmentOwner, FileTooLarge, NotAnImage, TooManyPixels, UnsupportedType
from console.files.models import Attachment
from console.regions.models import Region
from tests import support

# -- files made for the tests ---------------------------------------------------------------


def photo(size=(640, 480), **exif) -> bytes:
    """A phone-sized photo (tests.support.photo) unless told otherwise."""
    return support.photo(size, **exif)


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` white pixels, a few kilobytes long: decoded
    to RGB it would take width*height*3 bytes of memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def ctx(app):
    from console.foundation.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


def save(session, data, filename="照片.jpg", **kw):
    kw.setdefault("owner", "tests.record")
    kw.setdefault("owner_id", 1)
    return attachments.save(session, data, filename=filename, **kw)


def stored_image(attachment: Attachment) -> Image.Image:
    return Image.open(io.BytesIO(attachment.data))


# -- content, not the name ------------------------------------------------------------------


def test_jpeg_capture_time_and_gps_are_read_from_exif(ctx):
    att = save(ctx, photo(taken="2025:06:01 10:30:00", lat=27.3376389, lon=103.7166667))
    # Camera time is local (Asia/Shanghai unless the photo says otherwise); stored as UTC.
    assert att.taken_at == dt.datetime(2025, 6, 1, 2, 30)
    assert att.latitude == pytest.approx(27.3376389, abs=1e-5)
    assert att.longitude == pytest.approx(103.7166667, abs=1e-5)
    assert att.content_type == "image/jpeg"
    assert (att.width, att.height) == (640, 480)


def test_exif_time_offset_tag_is_honoured(ctx):
    att = save(ctx, photo(taken="2025:06:01 10:30:00", offset="+07:00"))
    assert att.taken_at == dt.datetime(2025, 6, 1, 3, 30)


def test_southern_and_western_hemispheres_are_negative(ctx):
    att = save(ctx, photo(lat=-33.8568, lon=-70.6483))
    assert att.latitude == pytest.approx(-33.8568, abs=1e-5)
    assert att.longitude == pytest.approx(-70.6483, abs=1e-5)


def test_photo_without_exif_has_no_time_or_position(ctx):
    att = save(ctx, photo(fmt="PNG"))
    assert att.taken_at is None and att.latitude is None and att.longitude is None


def test_broken_exif_block_never_costs_the_photo(ctx):
    out = io.BytesIO()
    broken = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\x00" * 20  # IFD offset past the end
    Image.new("RGB", (64, 48), "green").save(out, "JPEG", exif=broken)
    att = save(ctx, out.getvalue())
    assert (att.width, att.height, att.taken_at, att.latitude) == (64, 48, None, None)


def test_png_named_jpg_is_accepted_by_its_content(ctx):
    att = save(ctx, photo(fmt="PNG"), filename="门牌.jpg")
    assert att.content_type == "image/jpeg"  # opaque: re-encoded as JPEG
    assert stored_image(att).format == "JPEG"
    assert att.filename == "门牌.jpg"


def test_transparent_png_stays_png(ctx):
    att = save(ctx, photo(fmt="PNG", mode="RGBA", colour=(0, 0, 255, 100)), filename="标志.jpg")
    assert att.content_type == "image/png"
    assert stored_image(att).mode == "RGBA"
    assert attachments.download_name(att) == "标志.png"


@pytest.mark.parametrize("data", [
    "这不是图片".encode() * 50,
    b"\xff\xd8\xff\xe0" + b"\x00" * 200,  # a JPEG signature and nothing of a JPEG after it
    b"%PDF-1.7\n",  # a real document type, but not an image
])
def test_non_image_named_jpg_is_refused(ctx, data):
    with pytest.raises(NotAnImage) as refused:
        save(ctx, data, filename="photo.jpg")
    assert "不是图片" in refused.value.message


@pytest.mark.parametrize("weasyprint_loaded", [False, True])
def test_truncated_image_is_refused_in_chinese(ctx, weasyprint_loaded):
    from PIL import ImageFile

    if weasyprint_loaded:
        # Importing WeasyPrint switches Pillow to accepting truncated images, process-wide.
        import weasyprint  # noqa: F401

        assert ImageFile.LOAD_TRUNCATED_IMAGES
    data = photo((800, 600))
    with pytest.raises(NotAnImage) as refused:
        save(ctx, data[: len(data) // 2])
    assert refused.value.message.startswith("图片") or "不是图片" in refused.value.message


def test_empty_file_is_refused(ctx):
    with pytest.raises(attachments.EmptyFile):
        save(ctx, b"")


# -- limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("width,height", [
    (9_000, 9_000),  # above IMAGE_MAX_PIXELS (40M), below Pillow's own limit
    (10_000, 10_000),  # where Pillow warns
    (20_000, 20_000),  # where Pillow raises
])
def test_decompression_bomb_is_refused_from_its_header(ctx, width, height):
    bomb = bomb_png(width, height)
    assert len(bomb) < 200_000
    with pytest.raises(TooManyPixels) as refused:
        save(ctx, bomb, filename="bomb.png")
    assert "图片像素过多" in refused.value.message


def test_pixel_limit_comes_from_configuration(make_app):
    from console.foundation.extensions import db

    app = make_app(IMAGE_MAX_PIXELS=100 * 100)
    with app.app_context():
        save(db.session, photo((100, 100)))
        with pytest.raises(TooManyPixels) as refused:
            save(db.session, photo((101, 100)))
        assert "101×100" in refused.value.message
        db.session.rollback()


def test_oversize_file_is_refused_before_it_is_read_whole(make_app):
    from console.foundation.extensions import db

    app = make_app(MAX_UPLOAD_MB=1)
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    with app.app_context():
        stream = io.BytesIO(b"\xff" * (3 * 1024 * 1024))
        with pytest.raises(FileTooLarge) as refused:
            save(db.session, stream)
        assert "文件过大" in refused.value.message
        assert stream.tell() == 1024 * 1024 + 1


def test_large_photo_is_downscaled_to_the_longest_side(make_app):
    from console.foundation.extensions import db

    app = make_app(IMAGE_MAX_SIDE=800)
    with app.app_context():
        att = save(db.session, photo((2400, 1200), taken="2025:03:04 08:00:00"))
        assert (att.width, att.height) == (800, 400)
        assert stored_image(att).size == (800, 400)
        assert att.taken_at == dt.datetime(2025, 3, 4, 0, 0)  # read before re-encoding
        assert att.size == len(att.data) < 200_000
        db.session.rollback()


def test_exif_orientation_is_applied(ctx):
    att = save(ctx, photo((300, 200), orientation=6))  # "rotate 90° clockwise to view"
    assert (att.width, att.height) == (200, 300)
    assert stored_image(att).getexif().get(0x0112) is None


def test_sha256_is_of_the_stored_bytes(ctx):
    import hashlib

    att = save(ctx, photo())
    assert att.sha256 == hashlib.sha256(att.data).hexdigest()


# -- documents ------------------------------------------------------------------------------


def test_document_kind_accepts_pdf_and_xlsx_by_content(ctx):
    pdf = save(ctx, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n", filename="通知.txt",
               kind="document")
    assert pdf.content_type == "application/pdf"
    assert attachments.download_name(pdf) == "通知.pdf"
    sheet = save(ctx, support.xlsx_bytes([["村名", "门牌"]]), filename="台账", kind="document")
    assert sheet.content_type.endswith("spreadsheetml.sheet")
    assert attachments.download_name(sheet) == "台账.xlsx"


def test_document_kind_refuses_other_zips_and_text(ctx):
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("evil.exe", b"MZ")
    for data in (other_zip.getvalue(), b"#!/bin/sh\nrm -rf /\n"):
        with pytest.raises(UnsupportedType) as refused:
            save(ctx, data, filename="表格.xlsx", kind="document")
        assert "不支持的文件类型" in refused.value.message


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\system32\\门牌.jpg", "门牌.jpg"),
    ("/var/www/../照片.JPG", "照片.JPG"),
    ("a\x00b.jpg", "ab.jpg"),
    ("..", "未命名"),
    ("", "未命名"),
    (None, "未命名"),
    ("line\nbreak\r.jpg", "linebreak.jpg"),
    ('quo"te<>.jpg', "quo_te__.jpg"),
])
def test_file_names_are_sanitised(raw, expected):
    assert attachments.sanitize_filename(raw) == expected


def test_very_long_name_keeps_its_extension():
    name = attachments.sanitize_filename("长" * 400 + ".jpeg")
    assert len(name) == 255
    assert name.endswith(".jpeg")


def test_save_stores_the_sanitised_name(ctx):
    assert save(ctx, photo(), filename="../../etc/门牌.jpg").filename == "门牌.jpg"


# -- one transaction ------------------------------------------------------------------------


def _count(session) -> int:
    return session.query(Attachment).count()


def test_failure_after_save_leaves_no_attachment(ctx):
    from sqlalchemy.exc import IntegrityError

    before = _count(ctx)
    existing = ctx.query(Region).filter_by(level="county").first()
    save(ctx, photo())
    # The record the photo belongs to cannot be written (a region code already taken).
    ctx.add(Region(code=existing.code, name="重复", level="county", parent_id=existing.parent_id,
                   path="x."))
    with pytest.raises(IntegrityError):
        ctx.commit()
    ctx.rollback()
    assert _count(ctx) == before


def test_refused_file_leaves_the_session_usable_and_nothing_added(ctx):
    before = _count(ctx)
    good = save(ctx, photo())
    with pytest.raises(NotAnImage):
        save(ctx, b"not an image")
    ctx.commit()
    assert _count(ctx) == before + 1
    assert ctx.get(Attachment, good.id).data == good.data


def test_attach_sets_the_owner_after_the_record_is_flushed(ctx):
    att = save(ctx, photo(), owner="tests.record", owner_id=None)
    region = Region(code="TEST01", name="测试村", level="village", path="TEST01.")
    ctx.add(region)
    ctx.flush()
    attachments.attach(ctx, [att], region.id)
    ctx.commit()
    assert [a.id for a in attachments.for_owner(ctx, "tests.record", region.id)] == [att.id]
    assert attachments.delete_for(ctx, "tests.record", region.id) == 1
    ctx.commit()
    assert attachments.for_owner(ctx, "tests.record", region.id) == []


# -- the download view ----------------------------------------------------------------------


def _region_permission():
    return ("can_show", "console_regions")


class Shelf:
    """A plugin owning attachments (its records are regions, so that the scope shows), switched
    on and off by the tests."""

    __plugin_name__ = "shelf"

    @hookimpl
    def plugin_info(self):
        return PluginInfo(name="shelf", title="书架")

    @hookimpl
    def attachment_owners(self):
        return [
            # Read on the region's page; the region's own id is its region.
            AttachmentOwner("shelf.region", Region, _region_permission(), region="id"),
            # Read on a page only an admin opens.
            AttachmentOwner("shelf.audited", Region, ("can_list", "console_audit"), region="id"),
            AttachmentOwner("shelf.broken", Region, _region_permission(), region=lambda row: 1 / 0),
            # Another's kind: declaring it opens nothing.
            AttachmentOwner("tests.stolen", Region, _region_permission(), region="id"),
        ]


@pytest.fixture
def served(make_app):
    from console.foundation.extensions import db
    from console.plugins import manager as plugins

    app = make_app(PLUGINS_FROM_ENTRY_POINTS=False, EXTRA_PLUGINS=[Shelf()])
    with app.test_request_context():
        plugins.set_enabled("shelf", True, actor="测试")
        zhaoyang = db.session.query(Region).filter_by(code="530602").one().id
        zhenxiong = db.session.query(Region).filter_by(code="530627").one().id
        rows = {
            "allowed": save(db.session, photo(), owner="shelf.region", owner_id=zhaoyang,
                            filename="门牌 照片.jpg"),
            "elsewhere": save(db.session, photo(), owner="shelf.region", owner_id=zhenxiong),
            "audited": save(db.session, photo(), owner="shelf.audited", owner_id=zhaoyang),
            "missing": save(db.session, photo(), owner="shelf.region", owner_id=999999),
            "unknown_owner": save(db.session, photo(), owner="nobody.knows"),
            "stolen": save(db.session, photo(), owner="tests.stolen", owner_id=zhaoyang),
            "broken": save(db.session, photo(), owner="shelf.broken", owner_id=zhaoyang),
            "pdf": save(db.session, b"%PDF-1.4\n%%EOF\n", filename="通知.pdf", kind="document",
                        owner="shelf.region", owner_id=zhaoyang),
        }
        db.session.commit()
        rows = {name: {"id": row.id, "url": f"/console/attachments/{row.key}"} for name, row in rows.items()}
    return app, rows


def test_download_serves_the_file_with_safe_headers(served, auth):
    app, rows = served
    client = app.test_client()
    type(auth)(client).login()
    response = client.get(rows["allowed"]["url"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename*=UTF-8''" + quote("门牌 照片.jpg", safe="") in disposition
    assert Image.open(io.BytesIO(response.data)).format == "JPEG"

    pdf = client.get(rows["pdf"]["url"] + "?download=1")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")


def test_a_file_is_addressed_by_its_random_key_never_by_its_id(served, auth):
    from console.foundation.extensions import db

    app, rows = served
    client = app.test_client()
    type(auth)(client).login()
    with app.test_request_context():
        stored = db.session.get(Attachment, rows["allowed"]["id"])
        assert len(stored.key) == 32 and int(stored.key, 16) >= 0
        assert attachments.url(stored) == rows["allowed"]["url"]
        assert attachments.url(stored, thumbnail=True) == rows["allowed"]["url"] + "/thumbnail"
        keys = {key for (key,) in db.session.query(Attachment.key)}
    assert len(keys) == len(rows)  # one key each
    assert client.get(rows["allowed"]["url"]).status_code == 200
    assert client.get(f"/console/attachments/{rows['allowed']['id']}").status_code == 404
    assert client.get(f"/console/attachments/{rows['allowed']['id']}/thumbnail").status_code == 404


def test_download_is_404_outside_the_users_region(served, auth):
    app, rows = served
    client = app.test_client()
    type(auth)(client).login("zhaoyang")
    assert client.get(rows["allowed"]["url"]).status_code == 200
    response = client.get(rows["elsewhere"]["url"])
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    assert client.get(rows["elsewhere"]["url"] + "/thumbnail").status_code == 404
    admin = app.test_client()
    type(auth)(admin).login()
    assert admin.get(rows["elsewhere"]["url"]).status_code == 200  # the whole city


def test_download_is_404_without_the_permission_of_the_records_page(served, auth):
    app, rows = served
    inspector = app.test_client()
    type(auth)(inspector).login("zhaoyang")
    assert inspector.get(rows["audited"]["url"]).status_code == 404
    admin = app.test_client()
    type(auth)(admin).login()
    assert admin.get(rows["audited"]["url"]).status_code == 200


def test_download_is_404_for_an_undeclared_owner_a_missing_record_or_key(served, auth):
    app, rows = served
    client = app.test_client()
    type(auth)(client).login()
    assert client.get(rows["unknown_owner"]["url"]).status_code == 404
    assert client.get(rows["stolen"]["url"]).status_code == 404  # declared by another plugin
    assert client.get(rows["missing"]["url"]).status_code == 404
    assert client.get(rows["broken"]["url"]).status_code == 404  # a declaration that raises
    assert client.get("/console/attachments/" + "0" * 32).status_code == 404


def test_download_is_404_while_the_owning_plugin_is_switched_off(served, auth):
    from console.plugins import manager as plugins

    app, rows = served
    client = app.test_client()
    type(auth)(client).login()
    url = rows["allowed"]["url"]
    assert client.get(url).status_code == 200
    with app.test_request_context():
        plugins.set_enabled("shelf", False, actor="测试")
    assert client.get(url).status_code == 404


def test_download_needs_a_signed_in_user(served):
    app, rows = served
    response = app.test_client().get(rows["allowed"]["url"])
    assert response.status_code in (302, 401, 403)


def test_thumbnail_is_a_small_jpeg(served, auth):
    app, rows = served
    client = app.test_client()
    type(auth)(client).login()
    response = client.get(rows["allowed"]["url"] + "/thumbnail")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert max(Image.open(io.BytesIO(response.data)).size) <= 320
    assert client.get(rows["pdf"]["url"] + "/thumbnail").status_code == 404


def test_unattached_file_is_visible_to_its_uploader_only(served, auth):
    from console.foundation.extensions import db
    from console.security.users import ConsoleUser

    app, _ = served
    with app.app_context():
        admin = db.session.query(ConsoleUser).filter_by(username="admin").one()
        mine = save(db.session, photo(), owner_id=None, user_id=admin.id)
        theirs = save(db.session, photo(), owner_id=None, user_id=admin.id + 1000)
        db.session.commit()
        mine, theirs = mine.key, theirs.key
    client = app.test_client()
    type(auth)(client).login()
    assert client.get(f"/console/attachments/{mine}").status_code == 200
    assert client.get(f"/console/attachments/{theirs}").status_code == 404

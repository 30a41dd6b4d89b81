"""Hostile uploads: not an image, a script with an image's name, huge dimensions, a decompression
bomb, path-traversal names, empty files, truncated JPEGs.

Each is tried against the core's attachment service and through every form that takes a file
(a nameplates inspection's photos, a visit's photos, a talent education line's proof): the
answer is the form again with a Chinese reason, and nothing is written, neither the record nor
a file.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import uuid
import zlib

import pytest
from PIL import Image

from console.files import attachments
from console.foundation.extensions import db
from console.files.models import Attachment

from tests.support import jpeg

from .conftest import CHINESE, ZHAOYANG, login
from console import clock


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 100_000) -> bytes:
    """A PNG that claims side x side pixels and carries a few hundred bytes of zeros: decoding
    it would take tens of gigabytes."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 100_000, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def huge_png() -> bytes:
    """A real, small file of 10,000 x 10,000 pixels (one bit each): over the pixel limit."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


#: (case, file name, content, words the refusal must contain)
HOSTILE = [
    ("not-an-image", "photo.jpg", b"this is plain text, not a picture\n" * 20, "不是图片"),
    ("script-named-jpg", "photo.jpg", b"<script>alert(1)</script>", "不是图片"),
    ("pdf-named-png", "scan.png", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "不是图片"),
    ("empty", "empty.jpg", b"", "空"),
    ("truncated-jpeg", "cut.jpg", jpeg(400, 300)[:300], "图片"),
    ("huge-dimensions", "big.png", huge_png(), "像素"),
    ("decompression-bomb", "bomb.png", bomb_png(), "像素"),
    ("traversal-not-an-image", "../../../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "不是图片"),
    ("traversal-windows", "..\\..\\windows\\system32\\evil.jpg", b"MZ\x90\x00" + b"\x00" * 200, "不是图片"),
]
IDS = [case for case, *_ in HOSTILE]


def _counts():
    from jiceng.plugins.nameplates.models import Inspection
    from jiceng.plugins.talent.models import EducationEntry
    from jiceng.plugins.visits.models import Visit

    return {m.__name__: db.session.query(m).count() for m in (Attachment, Inspection, Visit, EducationEntry)}


def _files_under(path) -> set:
    return {p for p in path.rglob("*") if p.is_file()}


def _page_message(response) -> str:
    return response.get_data(as_text=True)


# -- the service ----------------------------------------------------------------------------


# A PDF is a document, whatever its name: refused as an image only.
SERVICE_CASES = [pytest.param(kind, *case, id=f"{kind}-{case[0]}") for kind in ("image", "document")
                 for case in HOSTILE if not (kind == "document" and case[0] == "pdf-named-png")]


@pytest.mark.parametrize(("kind", "case", "name", "content", "words"), SERVICE_CASES)
def test_the_attachment_service_refuses_in_chinese_and_adds_nothing(app, kind, case, name, content, words):
    if kind == "document" and case in ("not-an-image", "traversal-not-an-image"):
        words = "不支持"
    with app.app_context():
        before = _counts()
        with pytest.raises(attachments.AttachmentError) as refused:
            attachments.save(db.session, content, owner="nameplates.inspection", owner_id=None,
                             filename=name, kind=kind)
        db.session.rollback()
        assert CHINESE.search(refused.value.message)
        if kind == "image" or case in ("empty", "huge-dimensions", "decompression-bomb"):
            assert words in refused.value.message, refused.value.message
        assert _counts() == before


@pytest.mark.parametrize("name", ["../../../../etc/cron.d/evil.jpg", "..\\..\\boot.ini.jpg", "/etc/passwd.jpg",
                                  "a\x00b.jpg", "CON.jpg", "x" * 600 + ".jpg"])
def test_a_path_in_a_file_name_is_never_a_path(app, tmp_path, name):
    with app.app_context():
        saved = attachments.save(db.session, jpeg(), owner="nameplates.inspection", owner_id=None,
                                 filename=name)
        assert "/" not in saved.filename and "\\" not in saved.filename and "\x00" not in saved.filename
        assert not saved.filename.startswith(".") and len(saved.filename) <= 255
        db.session.rollback()


# -- through the forms ----------------------------------------------------------------------


@pytest.fixture
def instance_files(app):
    """What is on disk under the instance folder: an upload must not leave a file there."""
    from pathlib import Path

    root = Path(app.instance_path)
    return lambda: _files_under(root) if root.exists() else set()


def _nameplates_form(village_id: int) -> dict:
    return {"client_id": str(uuid.uuid4()), "village_id": str(village_id), "level": "乡镇全面复核",
            "inspected_on": clock.today().isoformat(), "found": ["村党组织|outside"],
            "wall_boards": "0", "wall_boards_ok": "1"}


def _village(code: str):
    from console.regions.models import Region

    county = db.session.query(Region).filter_by(code=code).one()
    return (db.session.query(Region).filter(Region.level == "village", Region.path.startswith(county.path))
            .order_by(Region.path).first())


@pytest.mark.parametrize(("case", "name", "content", "words"), HOSTILE, ids=IDS)
def test_a_hostile_photo_on_the_inspection_form_is_refused_and_nothing_is_written(
        app, instance_files, case, name, content, words):
    with app.app_context():
        village_id = _village(ZHAOYANG).id
        before = _counts()
    files_before = instance_files()
    client = app.test_client()
    login(client, "zhaoyang")
    data = {**_nameplates_form(village_id), "photos": [(io.BytesIO(jpeg()), "ok.jpg"), (io.BytesIO(content), name)]}
    response = client.post("/nameplates/inspections/new", data=data, content_type="multipart/form-data")
    assert 400 <= response.status_code < 500, (response.status_code, _page_message(response)[:500])
    page = _page_message(response)
    assert words in page and 'name="client_id"' in page
    with app.app_context():
        assert _counts() == before
    assert instance_files() == files_before


@pytest.mark.parametrize(("case", "name", "content", "words"), HOSTILE, ids=IDS)
def test_a_hostile_photo_on_the_visit_form_is_refused_and_nothing_is_written(
        app, instance_files, case, name, content, words):
    from tests.visits.conftest import World

    with app.app_context():
        world = World(app)
        enterprise = world.enterprise(7)
        team = world.team(members=("zhaoyang",))
        enterprise_id, team_id = enterprise.id, team.id
        before = _counts()
    files_before = instance_files()
    client = app.test_client()
    login(client, "admin")
    data = {"visit_date": clock.today().isoformat(), "send_items": ["送政策"], "enter_target": "进企业",
            "team_id": str(team_id), "notes": "走访", "photos": [(io.BytesIO(content), name)]}
    response = client.post(f"/visits/visits/add?enterprise={enterprise_id}", data=data,
                           content_type="multipart/form-data")
    page = _page_message(response)
    assert response.status_code < 500 and response.status_code != 302, (response.status_code, page[:500])
    assert words in page, page[:3000]
    with app.app_context():
        assert _counts() == before
    assert instance_files() == files_before


@pytest.mark.parametrize(("case", "name", "content", "words"),
                         [c for c in HOSTILE if c[0] != "pdf-named-png"],
                         ids=[i for i in IDS if i != "pdf-named-png"])
def test_a_hostile_proof_on_the_education_form_is_refused_and_nothing_is_written(
        app, instance_files, case, name, content, words):
    from tests.talent.conftest import add_worker

    with app.app_context():
        person, _ = add_worker("王五", ZHAOYANG, 77)
        db.session.commit()
        person_id = person.id
        before = _counts()
    files_before = instance_files()
    client = app.test_client()
    login(client, "admin")
    data = {"person": str(person_id), "source": "集中培训", "title": "督导", "hours": "6",
            "taken_on": clock.today().isoformat(), "proof": (io.BytesIO(content), name)}
    response = client.post("/talent/education/add", data=data, content_type="multipart/form-data",
                           follow_redirects=True)
    page = _page_message(response)
    assert response.status_code < 500, page[:500]
    assert words in page or "不支持" in page, page[:3000]
    with app.app_context():
        assert _counts() == before, page[:3000]
    assert instance_files() == files_before

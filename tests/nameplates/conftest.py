"""Fixtures of the nameplates tests: users, villages and inspections made through the
module's own services."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from console import clock

ZHAOYANG = "530602"
ZHENXIONG = "530627"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def session(ctx):
    from console.foundation.extensions import db

    return db.session


def user(username):
    from console.foundation.extensions import db
    from console.security.users import ConsoleUser

    return db.session.query(ConsoleUser).filter_by(username=username).one()


def village_in(county_code: str, index: int = 0):
    from console.foundation.extensions import db
    from console.regions.models import Region

    county = db.session.query(Region).filter_by(code=county_code).one()
    return (
        db.session.query(Region)
        .filter(Region.level == "village", Region.path.startswith(county.path))
        .order_by(Region.path)
        .offset(index)
        .first()
    )


def form(village, *, plaques=(), certificates=(), client_id=None, day=None, level="乡镇全面复核", **extra):
    from jiceng.plugins.nameplates.services.inspections import InspectionInput, PlaqueInput

    return InspectionInput(
        client_id=client_id or str(uuid.uuid4()),
        village_id=village.id,
        level=level,
        inspected_on=day or clock.today(),
        plaques=[PlaqueInput(*p) if isinstance(p, tuple) else PlaqueInput(p) for p in plaques],
        certificates=list(certificates),
        **extra,
    )


CLEAN = [("村党组织", "outside"), ("村民委员会", "outside"), ("综治中心", "inside")]


def submit(village, inspector="zhaoyang", files=(), **kw):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.services import inspections

    inspection, _ = inspections.submit(db.session, form(village, **kw), user(inspector), files)
    return inspection


def accept(inspection, reviewer="nameplates_owner"):
    from console.foundation.extensions import db
    from jiceng.plugins.nameplates.services import inspections

    return inspections.review(db.session, inspection.id, user(reviewer), True)


def jpeg(width=64, height=48, exif=None) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    img = Image.new("RGB", (width, height), (200, 30, 30))
    if exif is not None:
        img.save(out, "JPEG", exif=exif)
    else:
        img.save(out, "JPEG")
    return out.getvalue()


def upload(data: bytes, filename: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=filename, content_type="image/jpeg")


def xlsx_rows(data: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


# -- a real server for the browser test -----------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(database_url, tmp_path):
    """gunicorn serving the console on this test's database, on a free port."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    port = _free_port()
    instance = tmp_path / "live-instance"
    instance.mkdir()
    env = {**os.environ, "JICENG_DATABASE_URL": database_url, "JICENG_INSTANCE_PATH": str(instance),
           "JICENG_SECRET_KEY": "live-" + uuid.uuid4().hex}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen([str(gunicorn), "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "60",
                             "console.wsgi:app"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/login/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError((tmp_path / "gunicorn.log").read_text()) from None
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer: " + (tmp_path / "gunicorn.log").read_text())
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

"""Fixtures of the nameplates tests: users, villages and inspections made through the
module's own services."""

from __future__ import annotations

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



def upload(data: bytes, filename: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=filename, content_type="image/jpeg")

"""Records of every module in 昭阳区 and in 镇雄县, built through the modules' own services, for
the authorization matrix and the backup round trip; and a snapshot of every table to compare
the database before and after."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import sqlalchemy as sa
from console import clock
from tests.support import jpeg

ZHAOYANG = "530602"
ZHENXIONG = "530627"
COUNTIES = {"zhaoyang": ZHAOYANG, "zhenxiong": ZHENXIONG}
#: Each county's inspector, who submits that county's inspections.
INSPECTORS = {ZHAOYANG: "zhaoyang", ZHENXIONG: "zhenxiong"}
TODAY = clock.today()


def snapshot(url: str) -> dict[str, list[dict]]:
    """Every row of every table, in primary-key order, values as Python compares them."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            out[name] = [{key: bytes(v) if isinstance(v, memoryview) else v for key, v in row._mapping.items()}
                         for row in rows]
    engine.dispose()
    return out


def _session():
    from console.foundation.extensions import db

    return db.session


def region(code: str):
    from console.regions.models import Region

    return _session().query(Region).filter_by(code=code).one()


def village_in(county_code: str, index: int = 0):
    from console.regions.models import Region

    county = region(county_code)
    return (_session().query(Region)
            .filter(Region.level == "village", Region.path.startswith(county.path))
            .order_by(Region.code).offset(index).first())


def township_in(county_code: str):
    from console.regions.models import Region

    return (_session().query(Region).filter_by(parent_id=region(county_code).id)
            .order_by(Region.code).first())


def user(username: str):
    from console.security.users import ConsoleUser

    return _session().query(ConsoleUser).filter_by(username=username).one()


def build(county_code: str, n: int = 1) -> dict[str, int]:
    """One record of each kind inside the county; returns {kind: id}."""
    ids: dict[str, int] = {}
    ids.update(_visits(county_code, n))
    ids.update(_nameplates(county_code))
    ids.update(_talent(county_code, n))
    ids.update(_example(county_code))
    ids.update(_core(county_code))
    _session().commit()
    ids["files"] = files(ids)
    return ids


def _visits(county_code: str, n: int) -> dict[str, int]:
    from jiceng.plugins.visits.services import creditcode
    from jiceng.plugins.visits.models import Department, ServiceTeam
    from jiceng.plugins.visits.services import enterprises, problems, visits

    session = _session()
    enterprise = enterprises.save_enterprise(session, {
        "name": f"{region(county_code).name}安全测试企业{n}有限公司",
        "credit_code": creditcode.make("91", county_code, f"MA{n:06d}"),
        "region_id": township_in(county_code).id, "industry": "制造业", "size": "小型",
        "contact_person": "张三", "contact_phone": "13800000000"})
    session.commit()
    team = ServiceTeam(name=f"{region(county_code).name}服务团", region_id=region(county_code).id)
    team.members.append(user(INSPECTORS[county_code]))
    department = Department(name=f"{region(county_code).name}工信局", region_id=region(county_code).id)
    session.add_all([team, department])
    session.commit()
    visit = visits.save_visit(session, {"visit_date": TODAY.isoformat(), "send_items": ["送政策"],
                                        "enter_target": "进企业"}, enterprise=enterprise)
    session.commit()
    visits.add_photos(session, visit, [_upload("走访现场.jpg")], user(INSPECTORS[county_code]))
    session.commit()
    problem = problems.raise_problem(session, enterprise, {
        "category": "融资信贷", "description": "流动资金不足", "department_id": department.id},
        user("admin"))
    session.commit()
    return {"enterprise": enterprise.id, "team": team.id, "department": department.id,
            "visit": visit.id, "problem": problem.id}


def _nameplates(county_code: str) -> dict[str, int]:
    from werkzeug.datastructures import FileStorage

    from jiceng.plugins.nameplates.services import inspections, rectification
    from jiceng.plugins.nameplates.services.inspections import InspectionInput, PlaqueInput
    from jiceng.plugins.nameplates.models import RectificationOrder

    session = _session()
    inspector = user(INSPECTORS[county_code])

    def submit(village, plaques):
        data = InspectionInput(client_id=str(uuid.uuid4()), village_id=village.id, level="乡镇全面复核",
                               inspected_on=TODAY, plaques=[PlaqueInput(*p) for p in plaques])
        photo = FileStorage(io.BytesIO(jpeg()), filename="门牌.jpg", content_type="image/jpeg")
        inspection, _ = inspections.submit(session, data, inspector, [photo])
        session.commit()
        return inspection

    # A plaque that is not on the whitelist: accepting the inspection opens a rectification order.
    found = submit(village_in(county_code, 0), [("村党组织", "outside"), ("村民委员会", "outside"),
                                                 ("综治中心", "inside"), ("招商引资办公室", "outside")])
    inspections.review(session, found.id, user("nameplates_owner"), True)
    session.commit()
    pending = submit(village_in(county_code, 1), [("村党组织", "outside")])
    order = session.query(RectificationOrder).filter_by(inspection_id=found.id).first()
    reinspection = rectification.schedule_reinspection(session, found, "安全测试复查")
    session.commit()
    from console.files.models import Attachment

    photo = session.query(Attachment).filter_by(owner="nameplates.inspection", owner_id=pending.id).one()
    ids = {"inspection": found.id, "pending_inspection": pending.id, "attachment": photo.key,
           "village": found.region_id}
    if order is not None:
        ids["order"] = order.id
        # Photos of the order before and after the work (it stays open: nothing reported done).
        rectification.update(session, order.id, inspector, before_files=[jpeg()], after_files=[jpeg()])
        session.commit()
    ids["reinspection"] = reinspection.id
    return ids


def _talent(county_code: str, n: int) -> dict[str, int]:
    from jiceng.plugins.talent.services import (
        certificates, common, education, idnumber, people, registrations, supervision)

    first17 = f"{county_code}19850312{100 + n:03d}"
    on = TODAY
    person = people.create_person(name=f"安全测试{n}", id_number=first17 + idnumber.check_char(first17),
                                  region_id=village_in(county_code).id, employer="社会工作服务站",
                                    contact="13800001111", community_worker=True, on=on)
    second17 = f"{county_code}19900101{200 + n:03d}"
    supervisee = people.create_person(name=f"督导对象{n}", id_number=second17 + idnumber.check_char(second17),
                                        region_id=village_in(county_code).id, on=on)
    cert = certificates.add_certificate(person, level="社会工作师", management_number=f"S{county_code}{n}",
                                    year_obtained=2018, route="考试", on=on)
    reg = registrations.apply_registration(cert, "首次登记", on=on)
    for to in ("待审核", "初审通过", "终审通过", "已出证"):
        registrations.transition(reg, to, on=on)
    entry = education.add_education(person, source=common.education_sources()[0], hours=8,
                                    taken_on=on - dt.timedelta(days=30), title="继续教育", on=on,
                                    proof=jpeg())
    relation = supervision.add_supervision(person, supervisee, on - dt.timedelta(days=90))
    session_row = supervision.log_session(relation, held_on=on - dt.timedelta(days=10), hours=2,
                                          topic="个案督导", on=on)
    _session().commit()
    return {"person": person.id, "certificate": cert.id, "token": cert.token, "registration": reg.id,
            "education": entry.id, "supervision": relation.id, "supervision_session": session_row.id}


def _upload(name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(jpeg()), filename=name, content_type="image/jpeg")


#: Every kind of file, with the address of the page that reads the record it belongs to.
FILE_PAGES = {
    "visits.visit": "/visits/visits/show/{visit}",
    "nameplates.inspection": "/nameplates/inspections/{pending_inspection}",
    "nameplates.order_before": "/nameplates/orders/{order}",
    "nameplates.order_after": "/nameplates/orders/{order}",
    "talent.education": "/talent/education/show/{education}",
}
#: The record each kind's files belong to.
FILE_RECORDS = {"visits.visit": "visit", "nameplates.inspection": "pending_inspection",
                "nameplates.order_before": "order", "nameplates.order_after": "order",
                "talent.education": "education"}


def files(ids: dict) -> dict[str, str]:
    """{kind: key} of one file of each kind among the records ``build`` made."""
    from console.files.models import Attachment

    out = {}
    for kind, record in FILE_RECORDS.items():
        row = (_session().query(Attachment).filter_by(owner=kind, owner_id=ids[record])
               .order_by(Attachment.id).first())
        if row is not None:
            out[kind] = row.key
    return out


def _example(county_code: str) -> dict[str, int]:
    from jiceng_example.models import ExampleNote

    note = ExampleNote(title=f"{region(county_code).name}示例记录", region_id=township_in(county_code).id)
    _session().add(note)
    _session().commit()
    return {"example_note": note.id}


def _core(county_code: str) -> dict[str, int]:
    from console.imports import pipeline as imports
    from console.notifications import service as notifications
    from console.briefings import periods, runs, schedules

    session = _session()
    inspector = user(INSPECTORS[county_code])
    note = notifications.notify(session, inspector, "安全测试通知", body="请查看", source="console")[0]
    session.commit()
    job = imports.create_job("visits", "enterprises", "企业.xlsx", user_id=inspector.id)
    run = runs.create(region(county_code), periods.last_complete("month", TODAY), user=user("admin"))
    schedule = schedules.save(session, {
        "name": f"{region(county_code).name}月报", "recurrence": "monthly", "day_of_month": 1,
        "time_of_day": "08:00", "period_kind": "month", "region_id": region(county_code).id,
        "recipient_users": [user("lingdao").id], "sections": list(schedules.briefing_plugins())},
        actor=user("admin"))
    session.commit()
    return {"notification": note.id, "import_job": job, "briefing_run": run.id,
            "briefing_schedule": schedule.id}

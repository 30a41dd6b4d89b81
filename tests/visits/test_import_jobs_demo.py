"""Importing the registry, the reminder job, the cards, exports and demo data."""

import io

from openpyxl import Workbook, load_workbook

from console.imports import pipeline as imports
from plugins.visits.data_import import enterprise_importer
from plugins.visits.models import Enterprise, Problem
from plugins.visits.services import problems as P
from tests.visits.conftest import code_for

HEADER = "企业名称,统一社会信用代码,县(市、区),乡镇(街道),行业\n"


def _run(world, tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return imports.run(enterprise_importer(), str(path), filename=name)


def test_gbk_csv_imports(world, tmp_path):
    body = HEADER + f"昭通甲公司,{code_for(1)},昭阳区,,制造业\n镇雄乙公司,{code_for(2, '530627')},530627,,\n"
    result = _run(world, tmp_path, "企业.csv", body.encode("gbk"))
    assert result.state == "succeeded", result.problems
    names = {e.name: e.county.name for e in world.session.query(Enterprise)}
    assert names == {"昭通甲公司": "昭阳区", "镇雄乙公司": "镇雄县"}


def test_xlsx_imports_with_township(world, tmp_path):
    wb = Workbook()
    wb.active.append(["企业名称", "统一社会信用代码", "县(市、区)", "乡镇(街道)"])
    township = world.township("530602")
    wb.active.append(["昭通丙公司", code_for(3), "昭阳区", township.name])
    buf = io.BytesIO()
    wb.save(buf)
    result = _run(world, tmp_path, "企业.xlsx", buf.getvalue())
    assert result.state == "succeeded", result.problems
    assert world.session.query(Enterprise).one().region_id == township.id


def test_bad_rows_are_reported_with_row_and_column_and_nothing_is_written(world, tmp_path):
    world.enterprise(7)
    body = HEADER + "\n".join([
        f"甲,{code_for(1)},昭阳区,,",        # row 2: fine
        f"乙,{code_for(1)},昭阳区,,",        # row 3: duplicate of row 2
        f"丙,{code_for(7)},昭阳区,,",        # row 4: already in the registry
        f"丁,{code_for(4)},火星县,,",        # row 5: unknown county
        "戊,91350100M000100Y44,昭阳区,,",    # row 6: bad check character
    ]) + "\n"
    result = _run(world, tmp_path, "企业.csv", body.encode("utf-8"))
    assert result.state == "rejected"
    found = {(p.row, p.column): p.reason for p in result.problems}
    assert "第 2 行" in found[(3, "统一社会信用代码")]
    assert "已在企业名录中" in found[(4, "统一社会信用代码")]
    assert "未知的县(市、区)" in found[(5, "县(市、区)")]
    assert "校验位" in found[(6, "统一社会信用代码")]
    assert world.session.query(Enterprise).count() == 1


def test_reminders_notify_department_members_once_a_day(world, days):
    from console.notifications.models import Notification
    from plugins.visits.services.reminders import send_reminders

    department = world.department(members=["zhaoyang"])
    e = world.enterprise(1)
    soon = world.problem(e, department, due=days(2))
    late = world.problem(e, department, due=days(-1), raised_on=days(-9).isoformat())
    world.problem(e, department, due=days(20))
    for p in (soon, late):
        P.transition(p, P.ASSIGNED, world.user("admin"))
    world.session.commit()
    assert send_reminders(world.session) == 2
    world.session.commit()
    assert send_reminders(world.session) == 0
    world.session.commit()
    titles = [n.title for n in world.session.query(Notification).filter_by(user_id=world.user("zhaoyang").id)]
    assert len(titles) == 2 and any("已逾期" in t for t in titles) and any("2 天后到期" in t for t in titles)


def test_cards_count_inside_the_region(world, days):
    from plugins.visits.dashboard import cards

    e1, e2 = world.enterprise(1), world.enterprise(2, county="530627")
    world.visit(e1)
    p = world.problem(e1, world.department())
    for step in (P.ASSIGNED, P.IN_PROGRESS):
        P.transition(p, step, world.user("admin"))
    p.result = "解决了"
    P.transition(p, P.CONFIRMING, world.user("admin"))
    P.record_satisfaction(p, P.SATISFIED, world.user("admin"))
    P.close_off(p, world.user("admin"))
    world.problem(e2, due=days(-1), raised_on=days(-3).isoformat())
    world.session.commit()
    zhaoyang = {c.title[4:] if c.title[:4].isdigit() else c.title: c.value
                for c in cards(None, world.region("530602"))}
    assert zhaoyang == {"企业名录": 1, "年走访": 1, "年收集诉求": 1, "年解决诉求": 1, "逾期诉求": 0,
                        "年满意率": "100.0%"}
    city = {c.title: c.value for c in cards(None, None)}
    assert city["企业名录"] == 2 and city["逾期诉求"] == 1


def test_export_neutralizes_formulas(client, auth, world):
    world.enterprise(1, name="=HYPERLINK(\"http://x\",\"点我\")")
    auth.login("admin")
    sheet = load_workbook(io.BytesIO(client.get("/visits/enterprises/export/").data)).active
    assert sheet.cell(2, 1).value.startswith("'=")


def test_demo_data_is_calibrated_and_idempotent(world):
    from plugins.visits.demo import load
    from plugins.visits import stats

    load(world.session, "demo")
    world.session.commit()
    counts = (world.session.query(Enterprise).count(), world.session.query(Problem).count())
    load(world.session, "demo")
    world.session.commit()
    assert (world.session.query(Enterprise).count(), world.session.query(Problem).count()) == counts
    assert counts[0] == 3000
    import datetime as dt

    solved = stats.problems_solved(world.session, None, dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    assert 255 <= solved <= 270
    rows = stats.by_county(world.session, None, dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    assert len(rows) == 11 and all(r.problems_solved > 0 for r in rows)

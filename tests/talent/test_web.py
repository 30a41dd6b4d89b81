"""Pages, API and export as the module's users see them: masking by permission and scope."""

import io

import pytest
from openpyxl import load_workbook

from console.foundation.extensions import db
from console.audit.models import AuditLog
from jiceng.plugins.talent.models import Person, Registration

from .conftest import make_id, village_in


def _xlsx_text(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return " ".join(str(c) for row in wb.active.iter_rows(values_only=True) for c in row if c is not None)


def test_inspector_sees_masked_numbers(client, auth, workers):
    auth.login("zhaoyang")
    page = client.get(f"/talent/people/show/{workers['zhang']}").get_data(as_text=True)
    number = workers["zhang_id_number"]
    assert "张小三" in page
    assert number not in page
    assert number[:4] + "**********" + number[-4:] in page
    assert "查看完整身份证号" not in page
    assert client.get(f"/talent/people/reveal/{workers['zhang']}").status_code in (302, 403)


@pytest.mark.parametrize("user", ["admin", "talent_owner"])
def test_users_with_the_permission_see_the_whole_number_on_request(client, auth, workers, user):
    auth.login(user)
    page = client.get(f"/talent/people/show/{workers['zhang']}").get_data(as_text=True)
    assert workers["zhang_id_number"] not in page and "查看完整身份证号" in page
    shown = client.get(f"/talent/people/reveal/{workers['zhang']}", follow_redirects=True)
    assert workers["zhang_id_number"] in shown.get_data(as_text=True)


def test_revealing_a_number_is_audited_without_the_number(app, client, auth, workers):
    auth.login("talent_owner")
    resp = client.get(f"/talent/people/reveal/{workers['zhang']}", follow_redirects=True)
    assert workers["zhang_id_number"] in resp.get_data(as_text=True)
    with app.app_context():
        row = db.session.query(AuditLog).filter_by(action="view_id_number").one()
        assert row.username == "talent_owner"
        assert workers["zhang_id_number"] not in f"{row.summary} {row.changes}"


def test_export_masks_unless_the_user_may_see(client, auth, workers):
    auth.login("zhaoyang")
    resp = client.get("/talent/people/export/")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    text = _xlsx_text(resp.data)
    assert "张小三" in text and workers["zhang_id_number"] not in text
    assert workers["zhang_id_number"][-4:] in text
    auth.logout()
    auth.login("admin")
    assert workers["zhang_id_number"] in _xlsx_text(client.get("/talent/people/export/").data)


def test_export_follows_the_list_filters(client, auth, workers):
    auth.login("admin")
    text = _xlsx_text(client.get("/talent/people/export/?_flt_0_name=李四").data)
    assert "李四" in text and "张小三" not in text


def test_zhaoyang_cannot_reach_zhenxiong_people(client, auth, workers):
    auth.login("zhaoyang")
    li, lcert, lreg = workers["li"], workers["lcert"], workers["lreg"]
    assert "李四" not in client.get("/talent/people/list/").get_data(as_text=True)
    assert "张小三" in client.get("/talent/people/list/").get_data(as_text=True)
    for url in (f"/talent/people/show/{li}", f"/talent/people/edit/{li}",
                f"/talent/certificates/show/{lcert}", f"/talent/certificates/qr/{lcert}.png",
                f"/talent/certificates/card/{lcert}", f"/talent/registrations/show/{lreg}",
                f"/api/v1/talent_people/{li}", f"/api/v1/talent_certificates/{lcert}",
                f"/api/v1/talent_registrations/{lreg}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/talent/registrations/delete/{lreg}").status_code == 404
    assert client.post(f"/talent/registrations/transition/{lreg}", data={"to": "待审核"}).status_code == 404
    api = client.get("/api/v1/talent_people/").get_json()
    assert [r["name"] for r in api["result"]] == ["张小三"]
    assert "id_number_enc" not in str(api) and workers["zhang_id_number"] not in str(api)
    assert "李四" not in _xlsx_text(client.get("/talent/people/export/").data)


def test_zhaoyang_cannot_put_a_person_into_zhenxiong(app, client, auth, workers):
    with app.app_context():
        target = village_in("530627").id
    auth.login("zhaoyang")
    client.post("/talent/people/add", data={
        "name": "越界者", "id_number": make_id(seq=900), "region": target, "employer": "x"})
    with app.app_context():
        assert db.session.query(Person).filter_by(name="越界者").count() == 0


def test_person_form_adds_with_encryption_and_refuses_a_bad_number(app, client, auth):
    with app.app_context():
        region = village_in("530602").id
    auth.login("zhaoyang")
    bad = client.post("/talent/people/add", data={
        "name": "错号", "id_number": make_id(seq=901)[:-1] + "9", "region": region})
    assert "校验位不正确" in bad.get_data(as_text=True)
    good = client.post("/talent/people/add", data={
        "name": "新人", "id_number": make_id(seq=901), "region": region, "employer": "社工站"},
        follow_redirects=True)
    assert good.status_code == 200
    with app.app_context():
        person = db.session.query(Person).filter_by(name="新人").one()
        assert person.id_number_masked == make_id(seq=901)[:4] + "*" * 10 + make_id(seq=901)[-4:]
        assert make_id(seq=901) not in person.id_number_enc


def test_registration_transition_through_the_page(app, client, auth, workers):
    with app.app_context():
        from jiceng.plugins.talent.services import certificates, registrations

        person = db.session.get(Person, workers["zhang"])
        cert = certificates.add_certificate(person, level="助理社会工作师", management_number="NEW-1",
                                        year_obtained=2024, route="考试")
        reg = registrations.apply_registration(cert, "首次登记")
        db.session.commit()
        reg_id = reg.id
    auth.login("zhaoyang")
    page = client.get(f"/talent/registrations/show/{reg_id}").get_data(as_text=True)
    assert "提交审核" in page
    client.post(f"/talent/registrations/transition/{reg_id}", data={"to": "待审核"})
    refused = client.post(f"/talent/registrations/transition/{reg_id}", data={"to": "已出证"},
                          follow_redirects=True).get_data(as_text=True)
    assert "不能从“待审核”变为“已出证”" in refused
    client.post(f"/talent/registrations/transition/{reg_id}", data={"to": "初审通过"})
    edit = client.post(f"/talent/registrations/edit/{reg_id}", data={"note": "改"},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能再修改" in edit
    with app.app_context():
        reg = db.session.get(Registration, reg_id)
        assert reg.status == "初审通过" and reg.note != "改"


@pytest.mark.parametrize("url", ["/talent/people/list/", "/talent/certificates/list/",
                                 "/talent/registrations/list/", "/talent/education/list/",
                                 "/talent/supervision/list/", "/talent/supervision_sessions/list/",
                                 "/talent/expiring/",
                                 "/talent/people/add", "/talent/certificates/add",
                                 "/talent/registrations/add", "/talent/education/add",
                                 "/talent/supervision/add", "/talent/supervision_sessions/add"])
def test_pages_render_in_chinese(client, auth, workers, url):
    auth.login("talent_owner")
    resp = client.get(url)
    assert resp.status_code == 200, url
    text = resp.get_data(as_text=True)
    assert "社会工作人才" in text


def test_leader_reads_but_does_not_edit(client, auth, workers):
    auth.login("lingdao")
    assert client.get("/talent/people/list/").status_code == 200
    assert client.get(f"/talent/people/edit/{workers['zhang']}").status_code in (302, 403)
    assert workers["zhang_id_number"] not in client.get(
        f"/talent/people/show/{workers['zhang']}").get_data(as_text=True)


def test_dashboard_cards_count_the_users_region(client, auth, workers):
    auth.login("zhaoyang")
    page = client.get("/").get_data(as_text=True)
    assert "持证社工" in page and "90 天内登记到期" in page and "继续教育达标率" in page


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def test_education_with_proof_through_the_form(app, client, auth, workers):
    from console.files import attachments
    from jiceng.plugins.talent.models import EducationEntry

    auth.login("zhaoyang")
    resp = client.post("/talent/education/add", data={
        "person": workers["zhang"], "source": "集中培训", "hours": "8", "taken_on": "2026-03-01",
        "title": "个案管理", "proof": (io.BytesIO(_png()), "结业证明.png")},
        content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200
    with app.app_context():
        entry = db.session.query(EducationEntry).one()
        files = attachments.for_owner(db.session, "talent.education", entry.id)
        assert entry.hours == 8 and len(files) == 1
        file_id = files[0].id
    page = client.get(f"/talent/education/show/{entry.id}").get_data(as_text=True)
    assert "结业证明" in page
    assert client.get(attachments_url(app, file_id)).status_code == 200
    auth.logout()
    auth.login("zhenxiong")
    assert client.get(attachments_url(app, file_id)).status_code == 404


def attachments_url(app, file_id):
    from console.files import attachments

    with app.test_request_context():
        return attachments.url(file_id, download=True)


@pytest.mark.parametrize("hours,message", [("-5", "大于 0"), ("999", "不能超过 200"), ("abc", "须为数字")])
def test_education_form_refuses_absurd_hours(app, client, auth, workers, hours, message):
    from jiceng.plugins.talent.models import EducationEntry

    auth.login("zhaoyang")
    page = client.post("/talent/education/add", data={
        "person": workers["zhang"], "source": "集中培训", "hours": hours, "taken_on": "2026-03-01"},
        follow_redirects=True).get_data(as_text=True)
    assert message in page
    with app.app_context():
        assert db.session.query(EducationEntry).count() == 0


def test_apis_are_in_the_openapi_spec(client, auth):
    auth.login("admin")
    spec = client.get("/api/v1/_openapi").get_json()
    paths = " ".join(spec["paths"])
    for name in ("talent_people", "talent_certificates", "talent_registrations"):
        assert f"/{name}/" in paths


def test_find_by_id_number_stays_inside_the_scope(client, auth, workers):
    auth.login("zhaoyang")
    found = client.get(f"/talent/people/find/?id_number={workers['zhang_id_number']}")
    assert found.headers["Location"].endswith(f"/talent/people/show/{workers['zhang']}")
    other = client.get(f"/talent/people/find/?id_number={workers['li_id_number']}", follow_redirects=True)
    assert "管辖范围内没有此身份证号的人员" in other.get_data(as_text=True)


def test_a_person_with_history_is_not_deleted(app, client, auth, workers):
    auth.login("talent_owner")
    page = client.post(f"/talent/people/delete/{workers['zhang']}", follow_redirects=True)
    assert "名下还有证书" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, workers["zhang"]) is not None


def test_certificate_page_states_the_hours_still_missing(client, auth, workers):
    auth.login("zhaoyang")
    page = client.get(f"/talent/certificates/show/{workers['zcert']}").get_data(as_text=True)
    assert "须 90 学时，已完成 0 学时" in page and "还差 90 学时" in page

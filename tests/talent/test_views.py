"""The module's pages: masked numbers and their audited reveal, exports, the regional scope,
forms, the public verification page and its QR code, search forms and the old addresses."""

import io
import json
import re

from PIL import Image
import pytest

from console.audit.models import AuditLog
from console.foundation.extensions import db
from console.plugins import manager as plugins
from console.regions.models import Region
from jiceng.plugins.talent.models import Certificate, Person, Registration
from jiceng.plugins.talent.services import certificates
from tests.support import export, jpeg, read_xlsx

from .conftest import make_id, village_in


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
    text = str(read_xlsx(resp.data))
    assert "张小三" in text and workers["zhang_id_number"] not in text
    assert workers["zhang_id_number"][-4:] in text
    auth.logout()
    auth.login("admin")
    assert workers["zhang_id_number"] in str(read_xlsx(export(client, "/talent/people/export/").data))


def test_export_follows_the_list_filters(client, auth, workers):
    auth.login("admin")
    text = str(read_xlsx(export(client, "/talent/people/export/?_flt_0_name=李四").data))
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
    assert "李四" not in str(read_xlsx(client.get("/talent/people/export/").data))


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


def test_education_with_proof_through_the_form(app, client, auth, workers):
    from console.files import attachments
    from jiceng.plugins.talent.models import EducationEntry

    auth.login("zhaoyang")
    resp = client.post("/talent/education/add", data={
        "person": workers["zhang"], "source": "集中培训", "hours": "8", "taken_on": "2026-03-01",
        "title": "个案管理", "proof": (io.BytesIO(jpeg()), "结业证明.jpg")},
        content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200
    with app.app_context():
        entry = db.session.query(EducationEntry).one()
        files = attachments.for_owner(db.session, "talent.education", entry.id)
        assert entry.hours == 8 and len(files) == 1
        file_id = files[0].id
        address = attachments_url(app, files[0])
    page = client.get(f"/talent/education/show/{entry.id}").get_data(as_text=True)
    assert "结业证明" in page
    assert address in page
    assert client.get(address).status_code == 200
    assert client.get(f"/console/attachments/{file_id}?download=1").status_code == 404  # not by id
    auth.logout()
    auth.login("zhenxiong")
    assert client.get(address).status_code == 404


def attachments_url(app, attachment):
    from console.files import attachments

    with app.test_request_context():
        return attachments.url(attachment, download=True)


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


def test_verification_shows_only_the_allowed_fields_logged_out(client, workers):
    page = client.get(f"/talent/verify/{workers['ztoken']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "张*三" in text and "社会工作师" in text and "已出证" in text and "2028年04月26日" in text
    for secret in ("张小三", workers["zhang_id_number"], workers["zhang_id_number"][:6] + "19",
                   "13912345678", "昭阳区阳光社工站", "昭阳区", "M530602101"):
        assert secret not in text
    assert page.headers["Cache-Control"] == "no-store"


def test_unknown_token_is_a_chinese_404(client, workers):
    page = client.get("/talent/verify/" + "A" * 32)
    assert page.status_code == 404
    assert "未找到证书" in page.get_data(as_text=True)


def test_revoked_certificate_is_a_chinese_410(app, client, workers):
    with app.app_context():
        certificates.revoke_certificate(db.session.get(Certificate, workers["zcert"]), "信息不实")
        db.session.commit()
    page = client.get(f"/talent/verify/{workers['ztoken']}")
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "证书已撤销" in text and "张" not in text


@pytest.mark.parametrize("garbage", [
    "x" * 5000, "证书核验", "' OR '1'='1", "1;DROP TABLE talent_person--", "%00", "..%2F..%2Fetc%2Fpasswd",
    "<script>alert(1)</script>", "a/b/c", "%F0%9F%98%80" * 50, "M530602101",
])
def test_garbage_in_the_url_is_404_never_500(client, workers, garbage):
    page = client.get("/talent/verify/" + garbage)
    assert page.status_code == 404
    assert "<script>alert" not in page.get_data(as_text=True)


def test_management_number_does_not_find_the_certificate(client, workers):
    assert client.get("/talent/verify/M530602101").status_code == 404


def test_verification_is_404_when_the_module_is_switched_off(app, client, workers):
    with app.app_context():
        plugins.set_enabled("talent", False)
    assert client.get(f"/talent/verify/{workers['ztoken']}").status_code == 404
    with app.app_context():
        plugins.set_enabled("talent", True)
    assert client.get(f"/talent/verify/{workers['ztoken']}").status_code == 200


def test_qr_png_is_an_image_pointing_at_the_verify_url(client, auth, workers):
    auth.login("admin")
    resp = client.get(f"/talent/certificates/qr/{workers['zcert']}.png")
    assert resp.status_code == 200 and resp.content_type == "image/png"
    img = Image.open(io.BytesIO(resp.data))
    assert img.format == "PNG" and img.size[0] == img.size[1] > 100
    svg = client.get(f"/talent/certificates/qr/{workers['zcert']}.svg")
    assert svg.content_type.startswith("image/svg+xml") and b"<svg" in svg.data


def test_qr_encodes_the_absolute_verify_url(app, workers):
    from jiceng.plugins.talent.services import public

    with app.test_request_context("/", base_url="https://jiceng.example.cn"):
        cert = db.session.get(Certificate, workers["zcert"])
        assert public.verify_url(cert) == f"https://jiceng.example.cn/talent/verify/{workers['ztoken']}"


def test_card_page_shows_the_qr(client, auth, workers):
    auth.login("admin")
    page = client.get(f"/talent/certificates/card/{workers['zcert']}").get_data(as_text=True)
    assert f"/talent/certificates/qr/{workers['zcert']}.svg" in page
    assert f"/talent/verify/{workers['ztoken']}" in page and "打印" in page


def test_qr_needs_login(client, workers):
    resp = client.get(f"/talent/certificates/qr/{workers['zcert']}.png")
    assert resp.status_code in (302, 401, 403)


def test_qr_uses_the_configured_base_url(app, workers):
    from jiceng.plugins.talent.services import public

    app.config["BASE_URL"] = "https://rencai.zt.example.cn/"
    try:
        with app.test_request_context("/", base_url="http://10.0.0.5:8080"):
            cert = db.session.get(Certificate, workers["zcert"])
            assert public.verify_url(cert) == f"https://rencai.zt.example.cn/talent/verify/{workers['ztoken']}"
    finally:
        app.config.pop("BASE_URL")


def _region_options(html: str) -> set[str]:
    """Names offered by the search form's region select (Flask-AppBuilder puts the form's
    fields into the page as JSON, for its script to show)."""
    for line in html.splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{") and '"region"' in line:
            fields = json.loads(line)
            if str(fields.get("region", "")).startswith("<select"):
                return set(re.findall(r'<option value="\d+">([^<]+)</option>', fields["region"]))
    raise AssertionError("the search form has no region select")


def _names(app, *conditions):
    with app.app_context():
        return {r.name for r in db.session.query(Region).filter(*conditions)}


@pytest.mark.parametrize("url", ["/talent/people/list/", "/talent/certificates/list/",
                                 "/talent/education/list/"])
def test_city_users_pick_among_counties_and_townships(app, client, auth, url):
    auth.login()
    options = _region_options(client.get(url).get_data(as_text=True))
    assert options == _names(app, Region.level.in_(("county", "township")))
    assert not options & _names(app, Region.level == "village")


def test_a_county_user_picks_only_inside_the_county(app, client, auth):
    with app.app_context():
        zhaoyang = db.session.query(Region).filter_by(code="530602").one()
        inside = _names(app, Region.level.in_(("county", "township")), Region.path.startswith(zhaoyang.path))
    auth.login("zhaoyang")
    options = _region_options(client.get("/talent/people/list/").get_data(as_text=True))
    assert options == inside and "昭阳区" in options and "镇雄县" not in options


def test_a_link_to_a_villages_rows_still_filters_by_it(app, client, auth, workers):
    with app.app_context():
        village = village_in("530602").id
        other = village_in("530627").id
    auth.login()
    page = client.get(f"/talent/people/list/?_flt_0_region={village}").get_data(as_text=True)
    assert "张小三" in page and "李四" not in page
    page = client.get(f"/talent/people/list/?_flt_0_region={other}").get_data(as_text=True)
    assert "李四" in page and "张小三" not in page


# -- the addresses from before the pages moved under /talent/ -----------------------------------

MOVED_FAMILIES = [
    ("/talentpersonview", "/talent/people"),
    ("/talentcertificateview", "/talent/certificates"),
    ("/talentregistrationview", "/talent/registrations"),
    ("/talenteducationview", "/talent/education"),
    ("/talentsupervisionview", "/talent/supervision"),
    ("/talentsupervisionsessionview", "/talent/supervision_sessions"),
]


@pytest.mark.parametrize("old,new", MOVED_FAMILIES)
@pytest.mark.parametrize("page", ["list/?_flt_0_region=7&page=2", "show/{pk}?tab=1", "edit/{pk}?next=%2F",
                                  "add?_flt_0_name=%E5%BC%A0"])
def test_old_addresses_answer_301_to_the_new_ones_with_the_query_string(app, client, workers, old, new, page):
    path = page.format(pk=workers["zhang"])
    moved = client.get(f"{old}/{path}")
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"{new}/{path}"
    # The new address is a page of the module's (match raises NotFound otherwise).
    endpoint, _ = app.url_map.bind("localhost").match(f"{new}/{path}".split("?")[0], method="GET")
    assert endpoint.startswith("Talent")


def test_an_old_form_post_keeps_its_method(client, auth, workers):
    moved = client.post(f"/talentregistrationview/transition/{workers['zreg']}?x=1", data={"to": "待审核"})
    assert moved.status_code == 308
    assert moved.headers["Location"] == f"/talent/registrations/transition/{workers['zreg']}?x=1"


def test_a_printed_qr_code_still_leads_to_the_verification_page(client, workers):
    moved = client.get(f"/verify/{workers['ztoken']}?utm=card")
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"/talent/verify/{workers['ztoken']}?utm=card"
    page = client.get(moved.headers["Location"])
    assert page.status_code == 200 and "有效" in page.get_data(as_text=True)


def test_links_the_module_hands_out_are_the_new_ones(client, auth, workers):
    auth.login("admin")
    home = client.get("/").get_data(as_text=True) + client.get("/talent/people/list/").get_data(as_text=True)
    assert "/talent/people/list/" in home
    assert not re.search(r"/talent[a-z]+view/", home)


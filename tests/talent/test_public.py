"""The public verification page and the QR codes that lead to it."""

import io

import pytest
from PIL import Image

from console.plugins import manager as plugins
from console.foundation.extensions import db
from jiceng.plugins.talent.services import certificates
from jiceng.plugins.talent.models import Certificate


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

"""The module's plugin_info hook and what its migration seeds: settings with their defaults, the registers."""

from __future__ import annotations


def test_plugin_info_declares_the_settings_with_their_defaults(ctx):
    from console.plugins import settings as plugin_settings

    values = plugin_settings.values("nameplates")
    assert values["levels"] == ["村自查", "乡镇全面复核", "县级二次复核", "县级随机抽查"]
    assert (values["deadline_plaque"], values["deadline_certificate"], values["deadline_wallboard"]) == (15, 7, 30)


def test_the_registers_are_seeded(session):
    from jiceng.plugins.nameplates.models import CancelledCertificate, DutyItem, WhitelistVersion

    version = session.query(WhitelistVersion).one()
    assert [(i.name, i.position) for i in version.items if i.position == "outside"] == [
        ("村党组织", "outside"), ("村民委员会", "outside"), ("民兵连", "outside"), ("村党群服务中心", "outside")]
    assert {i.name for i in version.items if i.position == "inside"} == {
        "新时代文明实践站", "综治中心", "集体经济组织", "退役军人服务站"}
    counts = {k: session.query(DutyItem).filter_by(list_kind=k).count() for k in ("party", "autonomy", "assist")}
    assert counts == {"party": 29, "autonomy": 23, "assist": 53}
    assert session.query(CancelledCertificate).count() == 34
    assert session.query(CancelledCertificate).filter_by(example=False).count() == 0  # wording unverified

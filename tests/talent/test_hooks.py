"""The module's hooks: settings, cards, demo data."""

import time

from console.plugins import settings as plugin_settings, manager as plugins
from console.foundation.extensions import db
from console.regions.models import Region
from jiceng.plugins.talent import dashboard, demo
from jiceng.plugins.talent.services import common, idnumber
from jiceng.plugins.talent.models import Certificate, Person, Registration


def test_plugin_info_declares_the_settings(app):
    with app.app_context():
        info = plugins.registry().infos["talent"]
        assert info.title == "社会工作人才"
        values = plugin_settings.values("talent")
        assert values["registration_years"] == 3 and values["renewal_window_months"] == 3
        assert common.level_hours() == {"助理社会工作师": 72, "社会工作师": 90, "高级社会工作师": 90}
        assert common.reminder_days() == [7, 30, 60, 90]


def test_level_hours_are_configurable(app):
    with app.app_context():
        errors = plugin_settings.save("talent", {**plugin_settings.values("talent"),
                                                 "levels": "助理社会工作师=80\n高级社会工作师"})
        assert "格式不对" in errors["levels"]
        assert common.level_hours()["助理社会工作师"] == 72  # nothing half saved
        assert plugin_settings.save("talent", {**plugin_settings.values("talent"),
                                               "levels": "助理社会工作师=80\n社会工作师=100\n高级社会工作师=96"}) == {}
        assert common.level_hours() == {"助理社会工作师": 80, "社会工作师": 100, "高级社会工作师": 96}


def test_cards_count_inside_the_region(app, workers):
    with app.app_context():
        zhaoyang = db.session.query(Region).filter_by(code="530602").one()
        cards = {c.title: c for c in dashboard.cards(zhaoyang)}
        assert cards["持证社工"].value == 1
        city = {c.title: c for c in dashboard.cards(None)}
        assert city["持证社工"].value == 2
        assert set(cards) == {"持证社工", "90 天内登记到期", "继续教育达标率"}


def test_demo_data_is_valid_fast_and_idempotent(app):
    with app.app_context():
        started = time.monotonic()
        added = demo.load(db.session, "demo")
        db.session.commit()
        assert time.monotonic() - started < 60
        assert 2000 <= added <= 5000
        assert demo.load(db.session, "demo") == 0
        sample = db.session.query(Person).filter(Person.demo.is_(True)).limit(200).all()
        for person in sample:
            number = idnumber.decrypt(person.id_number_enc)
            assert idnumber.validate(number) == number
        counties = {p.region.path.split(".")[1] for p in
                    db.session.query(Person).filter(Person.demo.is_(True))}
        assert len(counties) == 11
        assert db.session.query(Certificate).count() == added
        assert db.session.query(Registration).filter_by(status="已出证").count() > added / 2

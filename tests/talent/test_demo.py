"""Demo data of the module."""

import time

from console.foundation.extensions import db
from jiceng.plugins.talent import demo
from jiceng.plugins.talent.models import Certificate, Person, Registration
from jiceng.plugins.talent.services import idnumber


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

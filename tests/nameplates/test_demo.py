"""The demo rows: every village covered with a realistic mix, and safe to load again."""

from __future__ import annotations

from console import clock


def test_demo_data_covers_every_village_with_a_realistic_mix_and_runs_once(session):
    from jiceng.plugins.nameplates import demo
    from jiceng.plugins.nameplates.models import Inspection, VillageLedger

    added = demo.load(session)
    session.commit()
    counts = demo.counts(session)
    assert sum(counts.values()) + 0 == session.query(VillageLedger).count()
    inspected = session.query(VillageLedger).count()
    assert 1350 <= inspected <= 1424
    assert counts["clean"] > 1000 and counts["rectified"] > 100 and 10 <= counts["rebound"] <= 80
    assert counts["rectifying"] > 10
    assert demo.load(session) == 0
    assert session.query(Inspection).count() == added
    # deterministic: the same village always gets the same story
    first = {(i.region_id, i.inspected_on - clock.today()) for i in session.query(Inspection)}
    session.query(VillageLedger).delete()
    for model in ("Reinspection", "RectificationOrder", "PlaqueFinding", "CertificateFinding", "Inspection"):
        from jiceng.plugins.nameplates import models

        session.query(getattr(models, model)).delete()
    session.commit()
    demo.load(session)
    again = {(i.region_id, i.inspected_on - clock.today()) for i in session.query(Inspection)}
    assert again == first

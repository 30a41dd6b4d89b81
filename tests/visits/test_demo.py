"""Demo data: calibrated and idempotent."""

from jiceng.plugins.visits.models import Enterprise, Problem


def test_demo_data_is_calibrated_and_idempotent(world):
    from jiceng.plugins.visits.demo import load
    from jiceng.plugins.visits import stats

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

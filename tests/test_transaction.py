"""One unit of work: a service owns its transaction, nested services join it, a refusal leaves
nothing written."""

from __future__ import annotations

import pytest

from console import ConsoleError, Region, db, transaction, unit_of_work


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _names(session) -> set[str]:
    return {name for (name,) in session.query(Region.name).filter(Region.code.like("UOW%"))}


@unit_of_work
def _add(code: str, name: str) -> None:
    city = db.session.query(Region).filter_by(level="city").one()
    db.session.add(Region(code=code, name=name, level="county", parent_id=city.id, path=f"{city.path}{code}."))
    db.session.flush()


@unit_of_work
def _add_two_then_refuse() -> None:
    _add("UOW1", "甲")
    _add("UOW2", "乙")
    raise ConsoleError("第二条不合格")


@unit_of_work
def _add_two() -> None:
    _add("UOW3", "丙")
    assert db.session.info["console.unit_of_work_depth"] == 1  # the inner unit has returned
    _add("UOW4", "丁")


def test_a_unit_commits_when_it_returns(ctx):
    _add("UOW0", "零")
    db.session.remove()  # a fresh session sees only what was committed
    assert _names(db.session) == {"零"}


def test_a_refusal_rolls_back_the_whole_unit_with_its_inner_units(ctx):
    with pytest.raises(ConsoleError):
        _add_two_then_refuse()
    db.session.remove()
    assert _names(db.session) == set()


def test_inner_units_join_the_outer_one_and_only_it_commits(ctx):
    commits = []
    from sqlalchemy import event

    event.listen(db.session(), "after_commit", lambda session: commits.append(1))
    _add_two()
    assert len(commits) == 1
    db.session.remove()
    assert _names(db.session) == {"丙", "丁"}


def test_transaction_as_a_context_manager(ctx):
    with pytest.raises(RuntimeError):
        with transaction() as session:
            _add("UOW5", "戊")
            raise RuntimeError("断电")
    assert session.info["console.unit_of_work_depth"] == 0
    db.session.remove()
    assert _names(db.session) == set()

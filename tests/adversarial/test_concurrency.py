"""Concurrent writers against gunicorn with 4 workers, through the pages as people use them.

- 50 inspections, each submitted twice at once with the same client id (a phone that retried):
  exactly one inspection per client id, no 500, no "database is locked" shown to anyone.
- Many people moving the same problem from the same version at once: exactly one move is
  saved, every other one is refused with a message, and the handling record has one step.
"""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from console.foundation.extensions import db

from .conftest import ZHAOYANG, Browser
from console import clock

# The heavy part of the campaign: `make stress` (CI runs it after `make test`).
pytestmark = pytest.mark.stress

SUBMISSIONS = 50
SESSIONS = 10
MOVERS = 16
LOCKED = ("database is locked", "locked", "OperationalError", "Traceback")


def _village_id(app) -> int:
    from console.regions.models import Region

    with app.app_context():
        county = db.session.query(Region).filter_by(code=ZHAOYANG).one()
        return (db.session.query(Region).filter(Region.level == "village", Region.path.startswith(county.path))
                .order_by(Region.path).first().id)


def _inspection_form(client_id: str, village_id: int, token: str, n: int) -> dict:
    return {"csrf_token": token, "client_id": client_id, "village_id": str(village_id), "level": "乡镇全面复核",
            "inspected_on": clock.today().isoformat(), "found": ["村党组织|outside", "村民委员会|outside"],
            "extra_name": [f"临时挂牌{n}"], "extra_position": ["outside"], "extra_action": ["remove"],
            "wall_boards": "2", "wall_boards_ok": "1", "note": f"并发提交 {n}"}


def test_fifty_inspections_submitted_twice_at_once_make_fifty_inspections(app, server4):
    from jiceng.plugins.nameplates.models import Inspection, PlaqueFinding

    village_id = _village_id(app)
    browsers = [Browser(server4.url).login("zhaoyang") for _ in range(SESSIONS)]
    tokens = [b.csrf("/nameplates/inspections/new") for b in browsers]
    client_ids = [str(uuid.uuid4()) for _ in range(SUBMISSIONS)]
    # Each client id twice, the two copies on different sessions, in an order that interleaves.
    jobs = [(n, i % SESSIONS) for n in range(SUBMISSIONS) for i in (n, n + SESSIONS // 2)]

    def submit(job):
        n, which = job
        browser = browsers[which]
        return n, *browser.request("/nameplates/inspections/new",
                                   _inspection_form(client_ids[n], village_id, tokens[which], n))

    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(submit, jobs))

    problems = [(n, status, body[:300]) for n, status, _, body in answers
                if status != 302 or any(word in body for word in LOCKED)]
    assert not problems, problems
    assert all("/nameplates/inspections/" in headers.get("Location", "") for _, _, headers, _ in answers)
    with app.app_context():
        db.session.remove()
        stored = db.session.query(Inspection.client_id, Inspection.id).filter(
            Inspection.client_id.in_(client_ids)).all()
        assert sorted(c for c, _ in stored) == sorted(client_ids)
        # The findings of each inspection were written once, with it.
        extra = db.session.query(PlaqueFinding).filter(PlaqueFinding.name.like("临时挂牌%")).count()
        assert extra == SUBMISSIONS
    assert "Traceback" not in server4.log()


def _problem(app) -> tuple[int, int, int]:
    from tests.visits.conftest import World

    with app.app_context():
        world = World(app)
        enterprise = world.enterprise(31)
        department = world.department()
        problem = world.problem(enterprise, department=department)
        return problem.id, problem.version, department.id


def test_simultaneous_status_changes_from_one_version_save_exactly_one(app, server4):
    from jiceng.plugins.visits.models import Problem, ProblemStep

    problem_id, version, department_id = _problem(app)
    browsers = [Browser(server4.url).login("admin") for _ in range(MOVERS)]
    tokens = [b.csrf(f"/visits/problems/show/{problem_id}") for b in browsers]

    def move(i):
        browser = browsers[i]
        status, headers, body = browser.request(f"/visits/problems/act/{problem_id}", {
            "csrf_token": tokens[i], "to": "已交办", "version": str(version),
            "department_id": str(department_id), "note": f"交办人 {i}"})
        # The outcome is told on the page the move leads back to.
        shown = browser.get(f"/visits/problems/show/{problem_id}")[2] if status == 302 else body
        return i, status, shown

    with ThreadPoolExecutor(max_workers=MOVERS) as pool:
        answers = list(pool.map(move, range(MOVERS)))

    # A move either leads back to the problem's page (saved, or refused before saving), or is
    # refused at the save itself when another one committed first (409).
    assert all(status in (302, 409) for _, status, _ in answers), [(i, s, b[:300]) for i, s, b in answers
                                                                   if s not in (302, 409)]
    assert not [i for i, _, shown in answers if any(word in shown for word in LOCKED)]
    saved = [i for i, _, shown in answers if "当前状态：已交办" in shown]
    refused = [i for i, _, shown in answers if "已被他人修改" in shown]
    assert len(saved) == 1 and sorted(saved + refused) == list(range(MOVERS)), (saved, refused)
    with app.app_context():
        db.session.remove()
        problem = db.session.get(Problem, problem_id)
        assert (problem.status, problem.version) == ("已交办", version + 1)
        steps = db.session.query(ProblemStep).filter_by(problem_id=problem_id, to_status="已交办").all()
        assert [s.note for s in steps] == [f"交办人 {saved[0]}"]
    assert "Traceback" not in server4.log()


def test_a_stale_edit_is_refused_with_a_message_and_loses_nothing(app, server4):
    from jiceng.plugins.visits.models import Problem

    problem_id, version, _ = _problem(app)
    first, second = Browser(server4.url).login("admin"), Browser(server4.url).login("admin")
    token1, token2 = first.csrf(f"/visits/problems/edit/{problem_id}"), second.csrf(f"/visits/problems/edit/{problem_id}")
    form = {"category": "融资信贷", "due_date": (clock.today() + dt.timedelta(days=10)).isoformat(),
            "version": str(version)}
    status, _, _ = first.request(f"/visits/problems/edit/{problem_id}",
                                 {**form, "csrf_token": token1, "description": "第一位的修改"})
    assert status == 302
    status, _, body = second.request(f"/visits/problems/edit/{problem_id}",
                                     {**form, "csrf_token": token2, "description": "第二位基于旧版本的修改"})
    assert status in (200, 409) and "已被他人修改" in body
    with app.app_context():
        db.session.remove()
        problem = db.session.get(Problem, problem_id)
        assert problem.description == "第一位的修改" and problem.version == version + 1

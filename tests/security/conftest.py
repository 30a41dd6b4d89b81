"""Fixtures of the security tests."""

from __future__ import annotations

import pytest

from tests.security import records


@pytest.fixture
def world(app):
    """Records of every module in both counties; {"zhaoyang": ids, "zhenxiong": ids}."""
    from console.foundation.extensions import db

    with app.app_context():
        built = {"zhaoyang": records.build(records.ZHAOYANG, 1), "zhenxiong": records.build(records.ZHENXIONG, 2)}
        for name, code in records.COUNTIES.items():
            built[name]["county"] = records.region(code).id
            built[name]["user"] = records.user(name).id
        db.session.remove()
    # The scheduler's heartbeat, so /health answers as on a running console.
    from console.operations import scheduler

    scheduler.beat(app)
    # For the matrix: an action each model view really has (its first), run on row 1.
    views = {view.endpoint: view for view in app.appbuilder.baseviews}
    built["zhaoyang"]["action_names"] = {
        rule.rule: next(iter(views[rule.endpoint.partition(".")[0]].actions or {"muldelete": None}))
        for rule in app.url_map.iter_rules() if rule.rule.endswith("/action_post")}
    built["zhaoyang"]["action_row"] = 1
    return built

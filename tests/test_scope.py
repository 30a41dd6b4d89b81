"""Regional scope: a record outside the user's region is not found, whatever is tried."""

import pytest

from console.regions import scope
from console.foundation.errors import OutOfScope
from console.foundation.extensions import db
from console.regions.models import Region


@pytest.fixture
def notes(app):
    from jiceng_example.models import ExampleNote

    with app.app_context():
        ids = {}
        for code, title in [("530602", "昭阳区记录"), ("530627", "镇雄县记录"),
                            ("530602001", "昭阳区乡镇记录")]:
            region = db.session.query(Region).filter_by(code=code).one()
            note = ExampleNote(title=title, region=region)
            db.session.add(note)
            db.session.flush()
            ids[title] = note.id
        db.session.commit()
        return ids


def test_list_shows_only_the_users_region_and_below(client, auth, notes):
    auth.login("zhaoyang")
    page = client.get("/example/notes/list/").get_data(as_text=True)
    assert "昭阳区记录" in page and "昭阳区乡镇记录" in page
    assert "镇雄县记录" not in page


def test_city_user_sees_everything(client, auth, notes):
    auth.login("admin")
    page = client.get("/example/notes/list/").get_data(as_text=True)
    assert all(title in page for title in notes)


@pytest.mark.parametrize("path", ["/example/notes/show/{id}", "/example/notes/edit/{id}"])
def test_out_of_scope_record_is_not_found_by_id(app, client, auth, notes, path):
    auth.login("admin")  # the admin may; the inspector of 昭阳区 may not
    grant_inspector_everything(app)
    auth.logout()
    auth.login("zhaoyang")
    response = client.get(path.format(id=notes["镇雄县记录"]))
    assert response.status_code == 404
    inside = client.get(path.format(id=notes["昭阳区记录"]))
    assert inside.status_code in (200, 302)


def grant_inspector_everything(app):
    """Give the 昭阳区 inspector a custom role with every permission on the example view, so
    that only the scope can refuse."""
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.add_role("示例全权")
        role.permissions = [sm.add_permission_view_menu(perm, "example_notes")
                            for perm in ("can_list", "can_show", "can_edit", "can_delete", "can_add")]
        user = sm.find_user(username="zhaoyang")
        user.roles.append(role)
        db.session.commit()


def test_out_of_scope_delete_leaves_the_record(app, client, auth, notes):
    from jiceng_example.models import ExampleNote

    grant_inspector_everything(app)
    auth.login("zhaoyang")
    response = client.post(f"/example/notes/delete/{notes['镇雄县记录']}")
    assert response.status_code == 404
    client.get(f"/example/notes/delete/{notes['镇雄县记录']}")  # GET never deletes
    with app.app_context():
        assert db.session.get(ExampleNote, notes["镇雄县记录"]) is not None
    assert client.post(f"/example/notes/delete/{notes['昭阳区记录']}").status_code == 302
    with app.app_context():
        assert db.session.get(ExampleNote, notes["昭阳区记录"]) is None


def test_adding_a_record_outside_scope_is_refused(app, client, auth):
    from jiceng_example.models import ExampleNote

    grant_inspector_everything(app)
    auth.login("zhaoyang")
    with app.app_context():
        zhenxiong = db.session.query(Region).filter_by(code="530627").one().id
    response = client.post("/example/notes/add", data={"title": "越界", "region": str(zhenxiong)},
                           follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.query(ExampleNote).filter_by(title="越界").count() == 0


def test_region_picker_offers_only_regions_in_scope(app, client, auth):
    grant_inspector_everything(app)
    auth.login("zhaoyang")
    page = client.get("/example/notes/add").get_data(as_text=True)
    assert "昭阳区" in page
    assert "镇雄县" not in page


def test_restrict_and_require_outside_requests(app):
    from jiceng_example.models import ExampleNote

    with app.app_context():
        zhaoyang = db.session.query(Region).filter_by(code="530602").one()
        zhenxiong = db.session.query(Region).filter_by(code="530627").one()
        db.session.add_all([ExampleNote(title="a", region=zhaoyang), ExampleNote(title="b", region=zhenxiong)])
        db.session.flush()
        titles = {n.title for n in scope.restrict(db.session.query(ExampleNote), ExampleNote, zhaoyang)}
        assert titles == {"a"}
        assert scope.contains(zhaoyang.id, zhaoyang)
        with pytest.raises(OutOfScope):
            scope.require(zhenxiong.id, zhaoyang)
        db.session.rollback()


def test_region_list_is_scoped_too(client, auth):
    auth.login("zhaoyang")
    page = client.get("/regionview/list/?psize_RegionView=100").get_data(as_text=True)
    assert "昭阳区" in page and "镇雄县" not in page

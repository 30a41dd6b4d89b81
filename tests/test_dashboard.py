"""The home page: a module's cards only for readers of that module, the tasks of the day and the
field forms' shortcuts only for those who may open them."""

import re

from tests.support import login


def _plugins_of(page: str, kind: str) -> set[str]:
    return set(re.findall(rf'class="[^"]*console-{kind}\b[^"]*"[^>]*data-plugin="([a-z_]+)"', page))


def test_a_module_owner_sees_only_their_modules_cards(app, client):
    login(client, "visits_owner")
    page = client.get("/").get_data(as_text=True)
    assert _plugins_of(page, "card") == {"visits"}
    assert "企业名录" in page and "挂牌合规率" not in page and "持证社工" not in page
    client = app.test_client()
    login(client, "talent_owner")
    page = client.get("/").get_data(as_text=True)
    assert _plugins_of(page, "card") == {"talent"}
    # Every figure left leads to a page the owner may open.
    for link in re.findall(r'<a href="(/[^"]+)"><span class="console-card-value">', page):
        assert client.get(link).status_code == 200, link


def test_the_leader_and_the_admin_see_every_modules_cards(app, client):
    login(client, "lingdao")
    page = client.get("/").get_data(as_text=True)
    assert {"visits", "nameplates", "talent"} <= _plugins_of(page, "card")
    client = app.test_client()
    login(client)
    assert {"visits", "nameplates", "talent", "example"} <= _plugins_of(client.get("/").get_data(as_text=True), "card")


def test_an_inspector_has_tasks_and_both_field_shortcuts(client):
    login(client, "zhaoyang")
    page = client.get("/").get_data(as_text=True)
    assert {"visits", "nameplates", "talent"} <= _plugins_of(page, "task")
    assert "今日待办" in page
    assert _plugins_of(page, "shortcut") == {"nameplates", "visits"}
    assert 'href="/nameplates/inspections/new"' in page and 'href="/visits/visits/add"' in page
    for link in re.findall(r'class="list-group-item console-task[^"]*"[^>]*href="([^"]+)"', page):
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_the_leader_reads_but_has_no_field_shortcuts(client):
    login(client, "lingdao")
    page = client.get("/").get_data(as_text=True)
    assert _plugins_of(page, "shortcut") == set()
    assert "录入检查" not in page and "登记走访" not in page


def test_a_module_owner_has_their_own_shortcut_and_tasks_only(client):
    login(client, "nameplates_owner")
    page = client.get("/").get_data(as_text=True)
    assert _plugins_of(page, "shortcut") == {"nameplates"}
    assert _plugins_of(page, "task") == {"nameplates"}


def test_a_role_given_read_access_later_brings_that_modules_cards(app, client):
    from console.foundation.extensions import db

    login(client, "talent_owner")
    assert _plugins_of(client.get("/").get_data(as_text=True), "card") == {"talent"}
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.add_role("走访只读")
        role.permissions = [sm.add_permission_view_menu("can_list", "visits_enterprises")]
        owner = sm.find_user(username="talent_owner")
        owner.roles.append(role)
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert _plugins_of(page, "card") == {"talent", "visits"}
    # Only the figures whose list the new role opens: 企业名录, not the visits' or problems' lists.
    assert "企业名录" in page and "逾期诉求" not in page

"""Every choice the console offers is inside the asking user's scope: the related fields of every
REST API's ``_info`` (paged through to the end) and the select options of every page a role may
open (add and edit forms, list pages' search forms, the modules' own forms), under every demo
role.  No user account is offered to anyone who does not manage users.

The routes come from the live URL map and the authorization table, not from a list kept here;
where an offered row lies is worked out here from the row itself, not by the console's rule."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import prison
import pytest

from tests.security import records
from tests.security.test_authorization_matrix import (
    _login,
    _token,
    _views,
    fill,
    is_unsafe,
    read_table,
)

# Roles scoped to a county, and the county; the others see the whole city.
COUNTY_OF = {"zhaoyang": records.ZHAOYANG, "zhenxiong": records.ZHENXIONG}
ROLES = ("zhaoyang", "zhenxiong", "lingdao", "visits_owner", "nameplates_owner", "talent_owner",
         "example_owner", "admin")
MANAGES_USERS = {"admin"}
# Select fields of the modules' own forms (not Flask-AppBuilder's) whose options are rows.
ROW_SELECTS = {
    "region_id": ("console.regions.models", "Region"),
    "village_id": ("console.regions.models", "Region"),
    "county": ("console.regions.models", "Region"),
    "township": ("console.regions.models", "Region"),
    "team_id": ("jiceng.plugins.visits.models", "ServiceTeam"),
    "department_id": ("jiceng.plugins.visits.models", "Department"),
    "recipient_users": ("console.security.users", "ConsoleUser"),
}
# Selects with numbers for options that are not rows.
NUMBERED_CONSTANTS = {"weekday", "page_size", "psize"}
# Dictionaries of the whole city: inside every scope.
CITY_WIDE = {"nameplates_whitelist_version", "nameplates_whitelist_item", "nameplates_duty_item",
             "nameplates_cancelled_certificate"}
# Tables without region_id whose rows belong to a record that has one: (foreign key, table).
BELONGS_TO = {"nameplates_plaque": ("inspection_id", "nameplates_inspection"),
              "nameplates_certificate": ("inspection_id", "nameplates_inspection")}
PAGE_SIZE = 100


class _Selects(HTMLParser):
    """{select name: [option values]} of a page (Flask-AppBuilder's search templates included)."""

    def __init__(self):
        super().__init__()
        self.found: dict[str, list[str]] = {}
        self._name = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._name = attrs.get("name") or attrs.get("id") or "?"
            self.found.setdefault(self._name, [])
        elif tag == "option" and self._name is not None:
            value = attrs.get("value")
            if value:
                self.found[self._name].append(value)

    def handle_endtag(self, tag):
        if tag == "select":
            self._name = None


def _selects(html: str) -> dict[str, list[str]]:
    parser = _Selects()
    parser.feed(html)
    return parser.found


def _model(dotted: tuple[str, str]):
    import importlib

    return getattr(importlib.import_module(dotted[0]), dotted[1])


class Places:
    """Where an offered row lies, read from the database: a region's path, CITY, or USER."""

    CITY = "city"
    USER = "user"

    def __init__(self):
        import sqlalchemy as sa

        from console.foundation.extensions import db

        self.db = db
        self.sa = sa
        self.meta = sa.MetaData()
        self.meta.reflect(bind=db.engine)
        self.paths = dict(db.session.execute(sa.text("SELECT id, path FROM region")).all())

    def of(self, table: str, ident) -> str | None:
        """The place of one row, or None for a table this test cannot place."""
        sa = self.sa
        if table == "ab_user":
            return self.USER
        if table in CITY_WIDE:
            return self.CITY
        if table == "region":
            return self.paths.get(int(ident), "<no such region>")
        columns = self.meta.tables[table].columns
        if "region_id" in columns:
            t = self.meta.tables[table]
            region_id = self.db.session.execute(sa.select(t.c.region_id).where(t.c.id == int(ident))).scalar()
            return self.paths.get(region_id, "<no such region>")
        if table in BELONGS_TO:
            column, parent = BELONGS_TO[table]
            t = self.meta.tables[table]
            parent_id = self.db.session.execute(sa.select(t.c[column]).where(t.c.id == int(ident))).scalar()
            return self.of(parent, parent_id)
        return None


def _scope_path(role: str) -> str | None:
    code = COUNTY_OF.get(role)
    return records.region(code).path if code else None


def _problems(role: str, where: str, table: str, ids, places: Places, scope_path: str | None) -> list[str]:
    out = []
    for ident in ids:
        place = places.of(table, ident)
        if place == Places.USER:
            if role not in MANAGES_USERS:
                out.append(f"{role} {where}: offers the user account {ident}")
        elif place is None:
            if scope_path is not None:
                out.append(f"{role} {where}: offers row {ident} of {table}, which belongs to no region")
        elif place != Places.CITY and scope_path is not None and not place.startswith(scope_path):
            out.append(f"{role} {where}: offers {table} {ident} outside the scope ({place})")
    return out


def _info_choices(client, headers, rule: str, api) -> tuple[list[tuple[str, str, list]], int]:
    """(field, table, offered ids) of each related field of ``_info``, every page read."""
    first = client.get(rule, headers=headers)
    if first.status_code != 200:
        return [], first.status_code
    out = []
    for key in ("add_columns", "edit_columns"):
        for field in first.get_json().get(key, []):
            if "values" not in field:
                continue
            table = api.datamodel.get_related_model(field["name"]).__tablename__
            ids, page = [], 0
            while True:
                q = prison.dumps({key: {field["name"]: {"page": page, "page_size": PAGE_SIZE}}})
                response = client.get(rule, query_string={"q": q}, headers=headers)
                assert response.status_code == 200, (rule, q, response.status_code)
                info = next(f for f in response.get_json()[key] if f["name"] == field["name"])
                ids += [v["id"] for v in info["values"]]
                if not info["values"] or len(ids) >= info["count"]:
                    break
                page += 1
            out.append((f"{key}.{field['name']}", table, ids))
    return out, 200


def _row_table(view, name: str) -> str | None:
    datamodel = getattr(view, "datamodel", None)
    if datamodel is not None and datamodel.is_relation(name):
        return datamodel.get_related_model(name).__tablename__
    if name in ROW_SELECTS:
        return _model(ROW_SELECTS[name]).__tablename__
    return None


@pytest.mark.parametrize("role", ROLES)
def test_every_offered_choice_is_inside_the_users_scope(app, world, role):
    own = world["zhenxiong" if role == "zhenxiong" else "zhaoyang"]
    table = read_table()
    client = app.test_client()
    _login(client, role)
    headers = {"Authorization": "Bearer " + _token(app.test_client(), role)}
    rules = {r.rule: r for r in app.url_map.iter_rules()}
    info_rules = sorted(rule for rule, r in rules.items() if r.endpoint.endswith(".info")
                        and rule.startswith("/api/") and rule.endswith("/_info"))
    assert len(info_rules) >= 7, info_rules  # every module's API is in the URL map
    pages = sorted(rule for (method, rule), cells in table.items()
                   if method == "GET" and cells[role] == "ok" and not rule.startswith(("/api/", "/static"))
                   and rule in rules and not is_unsafe(method, rule))
    problems: list[str] = []
    offered: dict[str, set] = {}
    with app.app_context():
        places = Places()
        scope_path = _scope_path(role)
        views = _views(app)
        for rule in info_rules:
            api = views[rules[rule].endpoint.partition(".")[0]]
            fields, status = _info_choices(client, headers, rule, api)
            for where, tablename, ids in fields:
                offered.setdefault(tablename, set()).update(ids)
                problems += _problems(role, f"{rule} {where}", tablename, ids, places, scope_path)
        for rule in pages:
            url = fill(app, rules[rule], own)
            response = client.get(url)
            html = response.get_data(as_text=True) if response.status_code == 200 \
                and "text/html" in response.content_type else ""
            response.close()  # exports stream from a file
            if not html:
                continue
            view = views.get(rules[rule].endpoint.partition(".")[0])
            for name, values in _selects(html).items():
                name = re.sub(r"^_flt_\d+_", "", name)
                numbered = [v for v in values if v.isdigit()]
                if not numbered or name in NUMBERED_CONSTANTS:
                    continue  # fixed choices (levels, categories), not rows
                tablename = _row_table(view, name)
                if tablename is None:
                    problems.append(f"{role} {url}: select {name!r} offers numbered choices this test "
                                    "cannot place; name its table in ROW_SELECTS")
                    continue
                offered.setdefault(tablename, set()).update(numbered)
                problems += _problems(role, f"{url} {name}", tablename, numbered, places, scope_path)
    assert not problems, f"{len(problems)} choices outside the scope:\n" + "\n".join(sorted(set(problems))[:60])
    # The sweep saw real choices (so an empty result above is not a blind test): the county's
    # own villages, people and teams for an inspector, user accounts for the admin.  (The
    # inspection API's _info describes its submit schema, whose plaques are typed in, not picked.)
    if role == "zhaoyang":
        assert offered.get("region") and offered.get("talent_person") and offered.get("visits_team"), sorted(offered)
    if role in MANAGES_USERS:
        assert offered.get("ab_user"), sorted(offered)


def test_a_form_leaves_out_a_field_whose_choices_the_user_is_not_offered(app, world):
    """The visits owner edits a service team without being offered accounts: the members field
    is not on the form, and saving the team keeps its members (an empty field would clear them)."""
    from jiceng.plugins.visits.models import ServiceTeam

    from console.foundation.extensions import db

    team = world["zhaoyang"]["team"]
    client = app.test_client()
    _login(client, "visits_owner")
    page = client.get(f"/visits/teams/edit/{team}").get_data(as_text=True)
    assert "members" not in _selects(page)
    with app.app_context():
        region_id = db.session.get(ServiceTeam, team).region_id
    saved = client.post(f"/visits/teams/edit/{team}", data={"name": "昭阳区第一服务团", "region": region_id})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    with app.app_context():
        row = db.session.get(ServiceTeam, team)
        assert row.name == "昭阳区第一服务团"
        assert [u.username for u in row.members] == ["zhaoyang"]
    # The admin, who manages users, is offered them there.
    admin = app.test_client()
    _login(admin, "admin")
    assert _selects(admin.get(f"/visits/teams/edit/{team}").get_data(as_text=True)).get("members")

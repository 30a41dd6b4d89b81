"""Every form with invalid values: the form comes back with a Chinese reason, never a 500.

The forms are found in the URL map (every view's add and edit routes and the modules' own
forms), filled from the page itself (the field names the form shows), on a console loaded
with the demo data.  Each is sent empty, with over-long text, with values of the wrong type,
negative numbers, dates far in the future and ids of records that do not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from console.foundation.extensions import db

from .conftest import login
from console import clock

# The last part of an endpoint that answers a form.
FORM_ENDPOINTS = {"add", "edit", "new", "update", "settings", "this_form_post", "act", "transition",
                  "review", "reinspect"}
# Pages a console user never fills: Flask-AppBuilder's permission internals (no menu entry)
# and the audit log (read-only by design: its add/edit answer no).
SECURITY_INTERNALS = ("PermissionModelView.", "ViewMenuModelView.", "PermissionViewModelView.")
# English that Flask-AppBuilder and WTForms say when a message is left untranslated.
ENGLISH = re.compile(r"This field is required|Not a valid|Invalid (?:value|choice|date)|Field must be"
                     r"|is not a valid|Could not|already exists|Integrity error", re.I)

def _is_text(field) -> bool:
    return field["kind"] in ("text", "textarea", "email", "search", "tel", "url", "password") and not field["date"]


def _valid(field) -> str:
    """What a person would leave in the field: the page's value or the first real choice."""
    if field["kind"] == "select":
        return next((o for o in field["options"] if o), "")
    if field["date"]:
        return clock.today().isoformat()
    return field["value"] or ("测试" if _is_text(field) else "1")


def _hostile(field) -> str:
    """A date far ahead, an id that does not exist, a negative number: whichever the field takes."""
    if field["date"]:
        return "2999-12-31"
    if field["kind"] == "select":
        return "987654321"
    return "-5"


# Each case spoils one kind of field and leaves the others as a person would fill them, so a
# refusal of one field does not hide what the others would do.
INVALID = {
    "empty": lambda field: "",
    "too-long": lambda field: "长" * 4000 if _is_text(field) else _valid(field),
    "wrong-type": lambda field: _valid(field) if _is_text(field) or field["kind"] == "select" else "不是数字也不是日期",
    "future-negative-unknown": lambda field: _valid(field) if _is_text(field) else _hostile(field),
    "negative-text": lambda field: "-5" if _is_text(field) else _valid(field),
}


class _Form(HTMLParser):
    """The named fields of the page's forms: inputs, selects (with their options), textareas."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, dict] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag in ("input", "textarea", "select") and name and name != "csrf_token":
            kind = a.get("type", tag)
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            field = self.fields.setdefault(name, {"kind": kind, "options": [], "value": a.get("value", "")})
            field["date"] = "date" in (a.get("class", "") + a.get("type", "") + name + str(a.get("data-format", "")))
            if tag == "select":
                self._select = field
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _fields(html: str) -> dict[str, dict]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def _record_ids(app) -> dict[str, str]:
    """One record per kind, for the edit forms and the forms on a record's page."""
    from console.regions.models import Region
    from console.security.users import ConsoleUser
    from jiceng.plugins.nameplates.models import Inspection, RectificationOrder
    from jiceng.plugins.visits.models import Enterprise, Problem

    with app.app_context():
        def first(model, **filters):
            row = db.session.query(model).filter_by(**filters).order_by(model.id).first()
            return str(row.id) if row is not None else None

        return {
            "inspection": first(Inspection), "order": first(RectificationOrder),
            "problem": first(Problem), "enterprise": first(Enterprise),
            "user": first(ConsoleUser, username="lingdao"), "region": first(Region, level="village"),
        }


def _path_for(app, rule, ids: dict[str, str]) -> str | None:
    """The rule's URL with a real record's id, or None when no record fits."""
    endpoint = rule.endpoint
    view_name = endpoint.split(".")[0]
    args = {}
    for arg in rule.arguments:
        if arg == "name":
            args[arg] = "visits"
        elif view_name.startswith("NameplatesInspections"):
            args[arg] = ids["inspection"]
        elif view_name.startswith("NameplatesOrder"):
            args[arg] = ids["order"]
        elif view_name in ("ProblemView", "ProblemsView") or "Problem" in view_name:
            args[arg] = ids["problem"]
        elif view_name == "ConsoleUserView":
            args[arg] = ids["user"]
        else:
            args[arg] = _first_pk(app, view_name)
        if args[arg] is None:
            return None
    path = rule.rule
    for arg, value in args.items():
        path = re.sub(rf"<(?:[a-z]+:)?{arg}>", value, path)
    if view_name == "VisitView" or rule.rule == "/visits/visits/add":
        path += f"?enterprise={ids['enterprise']}"
    return path


def _first_pk(app, view_name: str) -> str | None:
    for view in app.appbuilder.baseviews:
        if type(view).__name__ == view_name and getattr(view, "datamodel", None) is not None:
            with app.app_context():
                model = view.datamodel.obj
                row = db.session.query(model).order_by(model.id.desc()).first()
                return str(row.id) if row is not None else None
    return None


def _forms(app) -> list:
    rules = [r for r in app.url_map.iter_rules()
             if "POST" in r.methods and r.endpoint.rsplit(".", 1)[-1] in FORM_ENDPOINTS
             and not r.rule.startswith("/api/") and not r.endpoint.startswith(SECURITY_INTERNALS)]
    return sorted(rules, key=lambda r: (r.endpoint.startswith(("ConsoleUserView", "ConsoleRoleView")), r.rule))


@pytest.fixture
def demo_app(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


def test_every_form_refuses_invalid_values_in_chinese_and_never_answers_500(demo_app):
    app = demo_app
    ids = _record_ids(app)
    client = app.test_client()
    login(client, "admin")
    forms = _forms(app)
    assert len(forms) >= 30, [r.endpoint for r in forms]
    failures, tried = [], 0
    for rule in forms:
        path = _path_for(app, rule, ids)
        if path is None:
            continue
        page = client.get(path)
        fields = _fields(page.get_data(as_text=True)) if page.status_code == 200 else {}
        for case, value_of in INVALID.items():
            data = {name: value_of(field) for name, field in fields.items()}
            data.setdefault("comment", "")
            response = client.post(path, data=data)
            tried += 1
            text = response.get_data(as_text=True)
            if response.status_code >= 500:
                failures.append(f"{rule.endpoint} {case}: {response.status_code}")
            elif ENGLISH.search(text):
                failures.append(f"{rule.endpoint} {case}: English message {ENGLISH.search(text).group(0)!r}")
    assert not failures, "\n".join(failures)
    assert tried >= len(INVALID) * 30


@pytest.mark.parametrize(("day", "words"), [("2999-01-01", "不能晚于今天"), ("1999-01-01", "检查日期不正确"),
                                         ("01/02/2025", "格式不正确")])
def test_the_inspection_form_refuses_a_bad_date_in_chinese_and_writes_nothing(app, day, words):
    from console.regions.models import Region
    from jiceng.plugins.nameplates.models import Inspection

    from .conftest import ZHAOYANG

    with app.app_context():
        county = db.session.query(Region).filter_by(code=ZHAOYANG).one()
        village = db.session.query(Region).filter(Region.level == "village",
                                                  Region.path.startswith(county.path)).first().id
        before = db.session.query(Inspection).count()
    client = app.test_client()
    login(client, "zhaoyang")
    response = client.post("/nameplates/inspections/new", data={
        "client_id": "abcdef12-3456-7890", "level": "乡镇全面复核", "wall_boards": "0", "wall_boards_ok": "1",
        "village_id": str(village), "inspected_on": day})
    assert 400 <= response.status_code < 500
    assert words in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Inspection).count() == before

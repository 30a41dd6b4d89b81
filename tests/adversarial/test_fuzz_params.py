"""Malformed query parameters on every GET route of the URL map, signed in as each role.

Whatever the parameters (an id of twenty digits, a page of 10^18, a page size of a million,
unbalanced rison in ``q``, text where a number belongs, a NUL byte), the console answers with
a page or a refusal, never a server error.  Hypothesis picks the parameters from the names the
console and Flask-AppBuilder read and from values known to break parsers; the run is
derandomized, so it is the same every time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_appbuilder import ModelView
from flask_appbuilder.api import ModelRestApi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import jwt_headers, login

ROOT = Path(__file__).resolve().parents[2]

# A scoped inspector, a module owner and the admin see the most different pages between them.
USERS = ("admin", "zhaoyang", "visits_owner", "lingdao")
EXAMPLES = 6
# Never followed: they end the session or only serve files that take no parameters.
SKIPPED = re.compile(r"^/(logout/|static/|appbuilder/|swagger/|api/v1/security/|api/v1/_openapi)")

HOSTILE = [
    "", "-1", "0", "1", "99999999999999999999", "-99999999999999999999", "1e309", "1.5", "nan",
    "a", "((((", "(", "!(", "(page:1000000000000000000)", "(page_size:1000000)", "10^18", "１２",
    "\x00", "%00", "../../etc/passwd", "<script>", "'", '"', "()", "(filters:!((col:x,opr:eq,value:1)))",
    "2025-13-45", "9999-99-99", "true", "[]", "{}",
]
# What the console's pages and Flask-AppBuilder's lists and APIs read from the query string.
NAMES = [
    "page", "psize", "page_size", "region", "region_id", "county", "village", "q", "id", "ids",
    "period", "day", "date", "month", "year", "kind", "state", "status", "next", "format", "unread",
    "version", "level", "plugin", "job", "run", "schedule", "keyword", "search", "name", "sort",
    "order", "limit", "offset", "_flt_0_name", "_flt_1_region", "_flt_0_region_id", "_oc", "_od",
]


def _read_names() -> list[str]:
    """Every query parameter the console's and the plugins' own code reads by name."""
    read = re.compile(r"request\.args\.get(?:list)?\(\s*[\"']([\w-]+)[\"']")
    names = set()
    for folder in ("console", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            names.update(read.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def _view_names(app) -> list[str]:
    """Flask-AppBuilder's list arguments carry the view's name: page_<view>, psize_<view>..."""
    names = []
    for view in app.appbuilder.baseviews:
        if isinstance(view, ModelView):
            key = view.__class__.__name__
            names += [f"page_{key}", f"psize_{key}", f"_oc_{key}", f"_od_{key}"]
            names += [f"_flt_0_{col}" for col in list(getattr(view, "search_columns", []))[:3]]
        if isinstance(view, ModelRestApi):
            names.append("q")
    return names


def _routes(app) -> list[str]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or SKIPPED.match(rule.rule):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", "1", path)
        routes.append(path)
    return sorted(set(routes))


@pytest.mark.parametrize("username", USERS)
def test_no_query_parameter_on_any_get_route_gives_a_server_error(app, username):
    client = app.test_client()
    login(client, username)
    names = sorted(set(NAMES + _read_names() + _view_names(app)))
    api = jwt_headers(app.test_client(), username)
    routes = _routes(app)
    assert len(routes) > 50
    failures: dict[str, str] = {}
    calls = []
    # A route that is a server error without parameters (/health when a part is down) is
    # judged by whether the parameters change that.
    bare = {}
    for path in routes:
        with client.get(path, headers=api if path.startswith("/api/") else None) as response:
            bare[path] = response.status_code

    @settings(max_examples=EXAMPLES * len(routes), derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(path=st.sampled_from(routes),
           query=st.dictionaries(st.sampled_from(names), st.one_of(
               st.sampled_from(HOSTILE), st.integers(-(2 ** 70), 2 ** 70).map(str), st.text(max_size=12)),
               min_size=1, max_size=3))
    def run(path, query):
        calls.append(path)
        try:
            response = client.get(path, query_string=query, headers=api if path.startswith("/api/") else None)
            status = response.status_code
            response.close()  # a streamed export holds its file until closed
        except Exception as exc:  # TESTING propagates what would be a 500
            failures.setdefault(path, f"{query!r}: {type(exc).__name__}: {exc}"[:300])
            return
        if status >= 500 and status != bare[path]:
            failures.setdefault(path, f"{query!r}: {status}")

    run()
    assert len(set(calls)) > len(routes) // 2, "most routes were tried"
    assert not failures, "\n".join(f"{path} {why}" for path, why in sorted(failures.items()))


# Every parameter at once, set to one value that breaks naive parsing: the classes of inputs
# found by hand (a twenty-digit id, text where a number belongs, an empty value, a NUL byte).
SWEEP = ["99999999999999999999", "abc", "", "\x00", "-1", "((((", "1" * 400]
# The REST lists' rison argument: unbalanced, deeply nested, pages far past any end.
RISON = ["((((", "(" * 2000, "(page:1000000000000000000,page_size:10)", "(page:-1)", "(page_size:1000000)",
         "(filters:!((col:name,opr:ct,value:(((((((()))", "(order_column:x,order_direction:sideways)",
         "(keys:!(nope))", "!(" * 500]


@pytest.mark.parametrize("username", ("admin", "zhaoyang"))
def test_every_parameter_at_once_with_a_breaking_value_gives_no_server_error(app, username):
    client = app.test_client()
    login(client, username)
    api = jwt_headers(app.test_client(), username)
    names = sorted(set(NAMES + _read_names() + _view_names(app)))
    failures = []
    for path in _routes(app):
        headers = api if path.startswith("/api/") else None
        with client.get(path, headers=headers) as response:
            bare = response.status_code
        values = RISON if path.startswith("/api/") else SWEEP
        for value in values:
            query = {"q": value} if path.startswith("/api/") else {name: value for name in names}
            try:
                with client.get(path, query_string=query, headers=headers) as response:
                    status = response.status_code
            except Exception as exc:  # TESTING propagates what would be a 500
                failures.append(f"{path} {value[:20]!r}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            if status >= 500 and status != bare:
                failures.append(f"{path} {value[:20]!r}: {status}")
    assert not failures, "\n".join(failures)

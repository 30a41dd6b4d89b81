"""The region select of the module's search forms: counties and townships inside the user's
scope, not the 1,586-region tree; filters by any region keep working."""

import json
import re

import pytest

from console.foundation.extensions import db
from console.regions.models import Region

from .conftest import village_in


def _region_options(html: str) -> set[str]:
    """Names offered by the search form's region select (Flask-AppBuilder puts the form's
    fields into the page as JSON, for its script to show)."""
    for line in html.splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{") and '"region"' in line:
            fields = json.loads(line)
            if str(fields.get("region", "")).startswith("<select"):
                return set(re.findall(r'<option value="\d+">([^<]+)</option>', fields["region"]))
    raise AssertionError("the search form has no region select")


def _names(app, *conditions):
    with app.app_context():
        return {r.name for r in db.session.query(Region).filter(*conditions)}


@pytest.mark.parametrize("url", ["/talent/people/list/", "/talent/certificates/list/",
                                 "/talent/education/list/"])
def test_city_users_pick_among_counties_and_townships(app, client, auth, url):
    auth.login()
    options = _region_options(client.get(url).get_data(as_text=True))
    assert options == _names(app, Region.level.in_(("county", "township")))
    assert not options & _names(app, Region.level == "village")


def test_a_county_user_picks_only_inside_the_county(app, client, auth):
    with app.app_context():
        zhaoyang = db.session.query(Region).filter_by(code="530602").one()
        inside = _names(app, Region.level.in_(("county", "township")), Region.path.startswith(zhaoyang.path))
    auth.login("zhaoyang")
    options = _region_options(client.get("/talent/people/list/").get_data(as_text=True))
    assert options == inside and "昭阳区" in options and "镇雄县" not in options


def test_a_link_to_a_villages_rows_still_filters_by_it(app, client, auth, workers):
    with app.app_context():
        village = village_in("530602").id
        other = village_in("530627").id
    auth.login()
    page = client.get(f"/talent/people/list/?_flt_0_region={village}").get_data(as_text=True)
    assert "张小三" in page and "李四" not in page
    page = client.get(f"/talent/people/list/?_flt_0_region={other}").get_data(as_text=True)
    assert "李四" in page and "张小三" not in page

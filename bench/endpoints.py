"""The requests both apps get: the console's path and the bare app's for the same answer
(None where the bare app has no such page)."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

SEARCH = "昭通"  # a name prefix: about one enterprise in 31 starts with it
DEEP_PAGE = 10_000
REST_PAGE = "(page:0,page_size:25)"


@dataclass(frozen=True)
class Endpoint:
    key: str
    title: str
    console: str
    bare: str | None
    api: bool = False  # JWT instead of the browser session


def build(county_id: int, show_id: int) -> list[Endpoint]:
    q = urllib.parse.quote(SEARCH)
    rest = urllib.parse.quote(REST_PAGE)
    return [
        Endpoint("list", "list page 1", "/visits/enterprises/list/", "/enterpriseview/list/"),
        # FAB numbers pages from 0: its page 9,999 is the console's page 10,000 (same rows).
        Endpoint("deep", f"list page {DEEP_PAGE:,}", f"/visits/enterprises/list/?page={DEEP_PAGE}",
                 f"/enterpriseview/list/?page_EnterpriseView={DEEP_PAGE - 1}"),
        Endpoint("county", "list by county", f"/visits/enterprises/list/?county={county_id}",
                 f"/enterpriseview/list/?_flt_0_county={county_id}"),
        Endpoint("search", "search by name", f"/visits/enterprises/list/?q={q}",
                 f"/enterpriseview/list/?_flt_0_name={q}"),
        Endpoint("show", "show page", f"/visits/enterprises/show/{show_id}",
                 f"/enterpriseview/show/{show_id}"),
        Endpoint("rest_list", "REST list", f"/api/v1/visits_enterprises/?q={rest}",
                 f"/api/v1/enterprise/?q={rest}", api=True),
        Endpoint("rest_item", "REST item", f"/api/v1/visits_enterprises/{show_id}",
                 f"/api/v1/enterprise/{show_id}", api=True),
        Endpoint("dashboard", "home dashboard", "/", None),
        Endpoint("ledger", "nameplate ledger", "/nameplates/ledger/", None),
        Endpoint("talent", "talent list", "/talent/people/list/", None),
    ]


def shared(endpoints: list[Endpoint]) -> list[Endpoint]:
    return [e for e in endpoints if e.bare is not None]

"""The module's pages and APIs, registered in one place."""

from __future__ import annotations

CATEGORY = "visits"
LABEL = "三送三进"


def register(appbuilder) -> None:
    from .admin import DepartmentView, TeamView
    from .api import EnterpriseApi, ProblemApi, VisitApi
    from .enterprises import EnterpriseView
    from .problems import ProblemView
    from .visits import VisitView

    common = {"category": CATEGORY, "category_label": LABEL, "category_icon": "fa-handshake-o"}
    appbuilder.add_view(EnterpriseView, "visits_enterprises", label="企业名录", icon="fa-building",
                        href="/visits/enterprises/list/", **common)
    appbuilder.add_view(VisitView, "visits_visits", label="走访记录", icon="fa-map-marker",
                        href="/visits/visits/list/", **common)
    appbuilder.add_view(ProblemView, "visits_board", label="诉求看板", icon="fa-columns",
                        href="/visits/problems/board/", **common)
    appbuilder.add_link("visits_problems", label="诉求清单", icon="fa-list",
                        href="/visits/problems/list/", category=CATEGORY)
    appbuilder.add_link("visits_mine", label="本单位诉求", icon="fa-inbox",
                        href="/visits/problems/mine/", category=CATEGORY)
    appbuilder.add_view(TeamView, "visits_teams", label="服务团", icon="fa-users", **common)
    appbuilder.add_view(DepartmentView, "visits_departments", label="责任单位", icon="fa-sitemap",
                        **common)
    for api in (EnterpriseApi, VisitApi, ProblemApi):
        appbuilder.add_api(api)


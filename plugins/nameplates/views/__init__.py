"""The module's pages and API, registered explicitly from the ``register_views`` hook."""

from __future__ import annotations

from .api import NameplatesInspectionApi
from .inspections import NameplatesInspectionListView, NameplatesInspectionsView
from .ledger import NameplatesLedgerView
from .rectification import NameplatesOrderListView, NameplatesOrderView, NameplatesReinspectionView
from .registers import (
    NameplatesCertificateView,
    NameplatesDutyView,
    NameplatesWhitelistItemView,
    NameplatesWhitelistView,
)

CATEGORY = "nameplates"


def register(appbuilder, title: str) -> None:
    add = appbuilder.add_view
    add(NameplatesInspectionsView, "nameplates_inspection_new", label="录入检查", icon="fa-camera",
        category=CATEGORY, category_label=title, category_icon="fa-tags")
    add(NameplatesInspectionListView, "nameplates_inspections", label="检查记录", icon="fa-list",
        category=CATEGORY)
    appbuilder.add_link("nameplates_review", label="待审核检查", icon="fa-check-square-o", category=CATEGORY,
                        href="/nameplates/inspection_list/list/?_flt_0_status=submitted")
    add(NameplatesOrderListView, "nameplates_rectifications", label="整改台账", icon="fa-wrench",
        category=CATEGORY)
    add(NameplatesReinspectionView, "nameplates_reinspections", label="倒查复查", icon="fa-refresh",
        category=CATEGORY)
    add(NameplatesLedgerView, "nameplates_ledger", label="村级挂牌台账", icon="fa-book", category=CATEGORY)
    add(NameplatesWhitelistView, "nameplates_whitelist", label="挂牌白名单", icon="fa-check",
        category=CATEGORY)
    add(NameplatesDutyView, "nameplates_duties", label="村级职责清单", icon="fa-list-ol", category=CATEGORY)
    add(NameplatesCertificateView, "nameplates_certificates", label="取消证明事项", icon="fa-ban",
        category=CATEGORY)
    appbuilder.add_view_no_menu(NameplatesWhitelistItemView)
    appbuilder.add_view_no_menu(NameplatesOrderView)
    appbuilder.add_api(NameplatesInspectionApi)


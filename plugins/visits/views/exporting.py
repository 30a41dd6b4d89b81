"""The columns of each exported list; the rows come from the same scoped query as the page."""

from __future__ import annotations

from console import query_rows, stream_xlsx

from ..services.common import today
from ..services.problems import is_overdue

ENTERPRISE_COLUMNS = [
    ("企业名称", lambda e: e.name), ("统一社会信用代码", lambda e: e.credit_code),
    ("县(市、区)", lambda e: e.county.name), ("所在区域", lambda e: e.region.name),
    ("行业", lambda e: e.industry), ("规模", lambda e: e.size), ("地址", lambda e: e.address),
    ("联系人", lambda e: e.contact_person), ("联系电话", lambda e: e.contact_phone),
]
VISIT_COLUMNS = [
    ("走访日期", lambda v: v.visit_date), ("企业", lambda v: v.enterprise.name),
    ("统一社会信用代码", lambda v: v.enterprise.credit_code), ("县(市、区)", lambda v: v.county.name),
    ("服务团", lambda v: v.team.name if v.team else ""), ("送", lambda v: v.send_items),
    ("进", lambda v: v.enter_target), ("走访情况", lambda v: v.notes), ("地点", lambda v: v.location),
]
PROBLEM_COLUMNS = [
    ("编号", lambda p: p.id), ("企业", lambda p: p.enterprise.name),
    ("县(市、区)", lambda p: p.county.name), ("类别", lambda p: p.category),
    ("诉求内容", lambda p: p.description), ("责任单位", lambda p: p.department.name if p.department else ""),
    ("提出日期", lambda p: p.raised_on), ("办理时限", lambda p: p.due_date),
    ("状态", lambda p: p.status), ("是否逾期", lambda p: is_overdue(p)),
    ("对策措施", lambda p: p.measures), ("办理成效", lambda p: p.result),
    ("满意度", lambda p: p.satisfaction), ("销号时间", lambda p: p.closed_at),
    ("销号人", lambda p: p.closed_by_name),
]


def export(query, columns, title: str, personal=None):
    return stream_xlsx(query_rows(query), columns, f"{title}_{today().isoformat()}.xlsx",
                       sheet_title=title, personal=personal)

"""Exports of the register: the list as filtered on screen, scope applied, identity numbers
masked unless the user may see them."""

from __future__ import annotations

from flask_appbuilder.urltools import get_filter_args

from console import db, exports

from ..services import idnumber, people
from ..models import Person


def people_columns(full_id_numbers: bool) -> exports.Columns:
    def id_number(p: Person) -> str:
        return idnumber.decrypt(p.id_number_enc) if full_id_numbers else p.id_number_masked

    return [
        ("姓名", lambda p: p.name),
        ("身份证号", id_number),
        ("所在区域", lambda p: p.region.name),
        ("区划代码", lambda p: p.region.code),
        ("工作单位", lambda p: p.employer),
        ("持证社区工作者", lambda p: p.community_worker),
        ("证书", lambda p: [f"{c.level}（{c.management_number}）{'，已撤销' if c.revoked else ''}"
                          for c in p.certificates]),
    ]


def filtered_query(view, model):
    """The view's datamodel query with the list's filters from the URL; the scoped datamodel
    restricts it to the user's region exactly as the list page does."""
    filters = view.datamodel.get_filters(view.search_columns)
    get_filter_args(filters)
    return view.datamodel.apply_filters(db.session.query(model), filters).order_by(model.id)


def export_people(view):
    full = people.may_view_id_number()
    # Full numbers only for a stated reason, watermarked and audited; masked ones need none.
    personal = exports.personal_export("人才名单（含完整身份证号）") if full else None
    query = filtered_query(view, Person)
    return exports.stream_xlsx(exports.query_rows(query, batch=500), people_columns(full),
                               "社会工作人才名单.xlsx", sheet_title="人才库", personal=personal)

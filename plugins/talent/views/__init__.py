"""The module's pages, registered in one place: thin Flask-AppBuilder views over the services'
rules.  Every page is under /talent/...; the addresses Flask-AppBuilder gave them before answer
301 to the new ones (views/moved.py)."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterIn
from flask_appbuilder.security.decorators import permission_name

from console import ScopedInterface, ScopedModelView, attachments, db, refused, scope

from .. import stats
from ..errors import TalentError
from ..models import (
    KINDS,
    Certificate,
    EducationEntry,
    Person,
    Registration,
    Supervision,
    SupervisionSession,
)
from ..services import certificates, education, people, registrations, supervision
from ..services.common import checked, education_sources, get, levels, routes, today
from . import forms
from .common import TEMPLATES

CATEGORY = "talent"
CATEGORY_LABEL = "社会工作人才"


class InScope(BaseFilter):
    """For pickers of people, certificates and relations: only rows inside the user's scope."""

    name = "在管辖范围内"
    arg_name = "talent_scope"

    def apply(self, query, value):
        return scope.restrict(query, self.model)


class ValidCertificates(InScope):
    def apply(self, query, value):
        return super().apply(query, value).filter(Certificate.revoked.is_(False))


PERSON_PICKER = [["id", InScope, None]]
# Search forms offer the counties and townships inside the scope (about 160 for the city), not
# the whole tree: rendering its 1,586 options took most of a list page's time.  A link to a
# village's rows (``?_flt_0_region=<id>``) still filters by it.
SEARCH_REGION_PICKER = [*scope.REGION_PICKER["region"], ["level", FilterIn, ["county", "township"]]]


class TalentModelView(ScopedModelView):
    """Templates of the module; service refusals shown as Chinese messages."""

    template_folder = TEMPLATES
    page_size = 25

    def _check(self, rule, item):
        checked(rule)(item)


# -- people ---------------------------------------------------------------------------------


class TalentPersonView(TalentModelView):
    datamodel = ScopedInterface(Person)
    # Identity numbers (revealed on request) and phone numbers: pages carry the reader's watermark.
    personal_data = True
    route_base = "/talent/people"
    class_permission_name = "talent_person"
    list_title = "人才库"
    show_title = "人员详情"
    add_title = "新增人员"
    edit_title = "编辑人员"
    # Masked on screen for everyone; users holding can_view_id_number reveal one number at a
    # time (audited) and get whole numbers in exports.
    list_columns = ["name", "id_number_masked", "region", "employer", "community_worker"]
    show_columns = ["name", "id_number_masked", "region", "employer", "community_worker", "contact",
                    "demo"]
    add_columns = ["name", "id_number", "region", "employer", "community_worker", "contact"]
    edit_columns = add_columns
    search_columns = ["name", "region", "employer", "community_worker", "demo"]
    order_columns = ["name", "employer", "community_worker"]
    base_order = ("id", "desc")
    label_columns = {
        "name": "姓名", "id_number": "身份证号", "id_number_masked": "身份证号",
        "region": "所在社区/单位所属区域", "employer": "工作单位", "community_worker": "持证社区工作者",
        "contact": "联系方式", "demo": "演示数据",
    }
    description_columns = {"community_worker": "在村(社区)工作且持有社会工作者职业水平证书"}
    add_form_extra_fields = {"id_number": forms.id_number_field(required=True),
                             "community_worker": forms.flag_field("持证社区工作者")}
    edit_form_extra_fields = {"id_number": forms.id_number_field(required=False),
                              "community_worker": forms.flag_field("持证社区工作者")}
    add_form_query_rel_fields = edit_form_query_rel_fields = {"region": scope.REGION_PICKER["region"]}
    search_form_query_rel_fields = {"region": SEARCH_REGION_PICKER}
    show_template = "talent/person_show.html"
    list_template = "talent/person_list.html"

    def pre_add(self, item):
        raw = item.__dict__.pop("id_number", None)
        self._check(lambda p: (people.check_person(p), people.set_id_number(p, raw)), item)

    def pre_update(self, item):
        raw = item.__dict__.pop("id_number", None)

        def rules(p):
            people.check_person(p)
            if raw:
                people.set_id_number(p, raw)
            people.move_dependants(p)

        self._check(rules, item)

    def pre_delete(self, item):
        people.check_person_deletable(item)

    def prefill_form(self, form, pk):
        form.id_number.data = ""

    @expose("/reveal/<int:pk>")
    @has_access
    @permission_name("view_id_number")
    def reveal(self, pk):
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        number = people.reveal_id_number(item)
        # A page, not a flash message: flashes travel in the session cookie.
        resp = self.render_template("talent/person_reveal.html", person=item, number=number)
        return resp, 200, {"Cache-Control": "no-store"}

    @expose("/find/")
    @has_access
    @permission_name("list")
    def find(self):
        """Look a person up by identity number (matched through its keyed hash)."""
        person = people.find_person(request.args.get("id_number", ""))
        if person is None:
            flash("管辖范围内没有此身份证号的人员（请核对号码）", "warning")
            return redirect(url_for(f"{type(self).__name__}.list"))
        return redirect(url_for(f"{type(self).__name__}.show", pk=person.id))

    @expose("/export/", methods=["GET", "POST"])
    @has_access
    @permission_name("export")
    def export(self):
        from .exporting import export_people

        return export_people(self)


# -- certificates ---------------------------------------------------------------------------


class TalentCertificateView(TalentModelView):
    datamodel = ScopedInterface(Certificate)
    route_base = "/talent/certificates"
    class_permission_name = "talent_certificate"
    list_title = "证书"
    show_title = "证书详情"
    add_title = "新增证书"
    edit_title = "编辑证书"
    list_columns = ["person", "level", "management_number", "year_obtained", "route", "region",
                    "revoked"]
    show_columns = ["person", "level", "management_number", "year_obtained", "route", "region",
                    "revoked", "revoked_reason", "revoked_on"]
    add_columns = ["person", "level", "management_number", "year_obtained", "route"]
    edit_columns = ["level", "management_number", "year_obtained", "route"]
    search_columns = ["person", "level", "management_number", "year_obtained", "route", "region",
                      "revoked"]
    order_columns = ["level", "management_number", "year_obtained"]
    base_order = ("id", "desc")
    label_columns = {
        "person": "持证人", "level": "职业水平等级", "management_number": "管理号",
        "year_obtained": "取得年份", "route": "取得方式", "region": "所属区域", "revoked": "已撤销",
        "revoked_reason": "撤销原因", "revoked_on": "撤销日期",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "level": forms.choice_field("职业水平等级", levels),
        "route": forms.choice_field("取得方式", routes),
    }
    add_form_query_rel_fields = {"person": PERSON_PICKER}
    search_form_query_rel_fields = {"region": SEARCH_REGION_PICKER, "person": PERSON_PICKER}
    show_template = "talent/certificate_show.html"
    extra_args = {
        "talent_certificate": lambda pk: get(Certificate, pk),
        "talent_registration_of": registrations.current_registration,
        "talent_education": registrations.education_status,
        "talent_window": registrations.window_opens,
    }

    def pre_add(self, item):
        self._check(certificates.check_certificate, item)

    def pre_update(self, item):
        self._check(certificates.check_certificate, item)

    def pre_delete(self, item):
        certificates.check_certificate_deletable(item)

    def _get(self, pk):
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        return item

    @expose("/revoke/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("revoke")
    def revoke(self, pk):
        item = self._get(pk)
        try:
            certificates.revoke_certificate(item, request.form.get("reason"))
            flash("证书已撤销；其公开核验页将显示“已撤销”", "success")
        except TalentError as exc:
            refused(exc)
        return redirect(url_for("TalentCertificateView.show", pk=pk))

    @expose("/qr/<int:pk>.png")
    @has_access
    @permission_name("show")
    def qr_png(self, pk):
        from ..services.public import qr_png, verify_url

        return _image(qr_png(verify_url(self._get(pk))), "image/png")

    @expose("/qr/<int:pk>.svg")
    @has_access
    @permission_name("show")
    def qr_svg(self, pk):
        from ..services.public import qr_svg, verify_url

        return _image(qr_svg(verify_url(self._get(pk))), "image/svg+xml")

    @expose("/card/<int:pk>")
    @has_access
    @permission_name("show")
    def card(self, pk):
        from ..services.public import public_facts, verify_url

        item = self._get(pk)
        return self.render_template("talent/certificate_card.html", cert=item,
                                    facts=public_facts(item), verify_url=verify_url(item))


def _image(data: bytes, mimetype: str):
    from flask import Response

    resp = Response(data, mimetype=mimetype)
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp


# -- registrations --------------------------------------------------------------------------


class TalentRegistrationView(TalentModelView):
    datamodel = ScopedInterface(Registration)
    route_base = "/talent/registrations"
    class_permission_name = "talent_registration"
    list_title = "登记"
    show_title = "登记详情"
    add_title = "申请登记"
    edit_title = "修改登记申请"
    list_columns = ["certificate.person", "certificate", "kind", "status", "applied_on",
                    "issued_on", "expires_on"]
    show_columns = ["certificate.person", "certificate", "kind", "status", "applied_on",
                    "issued_on", "expires_on", "note", "review_note", "region"]
    add_columns = ["certificate", "kind", "applied_on", "note"]
    edit_columns = ["applied_on", "note"]
    search_columns = ["certificate", "kind", "status", "applied_on", "expires_on", "region"]
    order_columns = ["kind", "status", "applied_on", "issued_on", "expires_on"]
    base_order = ("id", "desc")
    label_columns = {
        "certificate.person": "持证人", "certificate": "证书", "kind": "登记类型", "status": "状态",
        "applied_on": "申请日期", "issued_on": "出证日期", "expires_on": "有效期至", "note": "备注",
        "review_note": "审核意见", "region": "所属区域",
    }
    add_form_extra_fields = {"kind": forms.choice_field("登记类型", lambda: KINDS)}
    add_form_query_rel_fields = {"certificate": [["id", ValidCertificates, None]]}
    search_form_query_rel_fields = {"region": SEARCH_REGION_PICKER,
                                    "certificate": [["id", InScope, None]]}
    show_template = "talent/registration_show.html"
    extra_args = {
        "talent_registration": lambda pk: get(Registration, pk),
        "talent_next": registrations.allowed_next,
        "talent_action": registrations.ACTION_TITLES.get,
    }

    def pre_add(self, item):
        self._check(registrations.check_new_registration, item)

    def pre_update(self, item):
        self._check(lambda r: registrations.update_registration(r, applied_on=r.applied_on, note=r.note), item)

    def pre_delete(self, item):
        registrations.check_deletable(item)

    @expose("/transition/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("transition")
    def transition(self, pk):
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        try:
            registrations.transition(item, request.form.get("to", ""), note=request.form.get("note"))
            flash(f"登记状态已变为“{item.status}”", "success")
        except TalentError as exc:
            refused(exc)
        return redirect(url_for("TalentRegistrationView.show", pk=pk))


# -- continuing education -------------------------------------------------------------------


class EducationInterface(ScopedInterface):
    """Stores the proof file in the same unit of work as its ledger line."""

    def add(self, item, commit=True):
        scope.require(self._region_id(item))
        education.store_entry(item, item.__dict__.pop("_proof", None))


class TalentEducationView(TalentModelView):
    datamodel = EducationInterface(EducationEntry)
    route_base = "/talent/education"
    class_permission_name = "talent_education"
    list_title = "继续教育台账"
    show_title = "继续教育记录"
    add_title = "登记继续教育学时"
    edit_title = "修改继续教育记录"
    list_columns = ["person", "source", "title", "hours", "taken_on", "region"]
    show_columns = ["person", "source", "title", "hours", "taken_on", "region"]
    add_columns = ["person", "source", "title", "hours", "taken_on", "proof"]
    edit_columns = ["source", "title", "hours", "taken_on"]
    search_columns = ["person", "source", "taken_on", "region"]
    order_columns = ["source", "hours", "taken_on"]
    base_order = ("taken_on", "desc")
    label_columns = {"person": "人员", "source": "来源", "title": "内容", "hours": "学时",
                     "taken_on": "学习日期", "region": "所属区域", "proof": "证明材料"}
    add_form_extra_fields = {"source": forms.choice_field("来源", education_sources),
                             "hours": forms.hours_field(), "proof": forms.proof_field()}
    edit_form_extra_fields = {"source": forms.choice_field("来源", education_sources),
                              "hours": forms.hours_field()}
    add_form_query_rel_fields = {"person": PERSON_PICKER}
    search_form_query_rel_fields = {"region": SEARCH_REGION_PICKER, "person": PERSON_PICKER}
    show_template = "talent/education_show.html"
    extra_args = {
        "talent_proofs": lambda pk: attachments.for_owner(db.session, education.PROOF_OWNER, int(pk)),
        "talent_attachment_url": lambda f: attachments.url(f, download=True),
    }

    def pre_add(self, item):
        upload = item.__dict__.pop("proof", None)
        self._check(education.check_education, item)
        item._proof = education.save_upload(upload)

    def pre_update(self, item):
        self._check(education.check_education, item)

    def pre_delete(self, item):
        attachments.delete_for(db.session, education.PROOF_OWNER, item.id)


# -- supervision ----------------------------------------------------------------------------


class TalentSupervisionView(TalentModelView):
    datamodel = ScopedInterface(Supervision)
    route_base = "/talent/supervision"
    class_permission_name = "talent_supervision"
    list_title = "督导关系"
    show_title = "督导关系"
    add_title = "新增督导关系"
    edit_title = "编辑督导关系"
    list_columns = ["supervisor", "supervisee", "started_on", "ended_on", "region"]
    show_columns = list_columns
    add_columns = ["supervisor", "supervisee", "started_on", "ended_on"]
    edit_columns = ["started_on", "ended_on"]
    search_columns = ["supervisor", "supervisee", "started_on", "region"]
    base_order = ("id", "desc")
    label_columns = {"supervisor": "督导者", "supervisee": "被督导者", "started_on": "开始日期",
                     "ended_on": "结束日期", "region": "所属区域"}
    add_form_query_rel_fields = {"supervisor": PERSON_PICKER, "supervisee": PERSON_PICKER}
    search_form_query_rel_fields = {"supervisor": PERSON_PICKER, "supervisee": PERSON_PICKER,
                                    "region": SEARCH_REGION_PICKER}

    def pre_add(self, item):
        self._check(supervision.check_supervision, item)

    def pre_update(self, item):
        self._check(supervision.check_supervision, item)

    def pre_delete(self, item):
        if item.sessions:
            raise TalentError("该督导关系下已有督导记录，不能删除；可填写结束日期")


class TalentSupervisionSessionView(TalentModelView):
    datamodel = ScopedInterface(SupervisionSession)
    route_base = "/talent/supervision_sessions"
    class_permission_name = "talent_supervision_session"
    list_title = "督导记录"
    show_title = "督导记录"
    add_title = "登记督导"
    edit_title = "修改督导记录"
    list_columns = ["supervision", "held_on", "hours", "topic", "region"]
    show_columns = list_columns
    add_columns = ["supervision", "held_on", "hours", "topic"]
    edit_columns = ["held_on", "hours", "topic"]
    search_columns = ["supervision", "held_on", "region"]
    base_order = ("held_on", "desc")
    label_columns = {"supervision": "督导关系", "held_on": "督导日期", "hours": "时长（小时）",
                     "topic": "督导主题", "region": "所属区域"}
    add_form_extra_fields = {"hours": forms.hours_field("时长（小时）")}
    edit_form_extra_fields = add_form_extra_fields
    add_form_query_rel_fields = {"supervision": [["id", InScope, None]]}
    search_form_query_rel_fields = {"supervision": [["id", InScope, None]],
                                    "region": SEARCH_REGION_PICKER}

    def pre_add(self, item):
        self._check(supervision.check_session, item)

    def pre_update(self, item):
        self._check(supervision.check_session, item)


# -- expiry -----------------------------------------------------------------------------------


class TalentExpiringView(BaseView):
    route_base = "/talent/expiring"
    class_permission_name = "talent_expiring"
    template_folder = TEMPLATES
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        try:
            days = min(max(int(request.args.get("days", 90)), 1), 3650)
        except ValueError:
            days = 90
        region, on = _expiring_filters()
        return self.render_template(
            "talent/expiring.html", days=days, on=on, region=region,
            expiring=stats.expiring_registrations(on, days, region),
            expired=stats.expired_registrations(on, region))


def _expiring_filters():
    """The region (``county``: one inside the user's scope) and the day (``on``, default today)
    the expiry page counts from: a briefing links here with the numbers of its period."""
    from console import Region

    region = scope.current_region()
    county = db.session.get(Region, request.args.get("county", type=int) or 0)
    if county is not None and scope.contains(county.id):
        region = county
    on = today()
    if request.args.get("on"):
        try:
            on = dt.date.fromisoformat(request.args["on"])
        except ValueError:
            flash(f"日期“{request.args['on']}”无效（例如 2026-01-01），已按今天计算", "warning")
    return region, on


def register(appbuilder) -> None:
    from .api import register as register_api
    from .moved import register as register_moved
    from .public import TalentVerifyView

    menu = dict(category=CATEGORY, category_label=CATEGORY_LABEL, category_icon="fa-id-card")
    appbuilder.add_view(TalentPersonView, "talent_people", label="人才库", icon="fa-users", **menu)
    appbuilder.add_view(TalentCertificateView, "talent_certificates", label="证书",
                        icon="fa-certificate", **menu)
    appbuilder.add_view(TalentRegistrationView, "talent_registrations", label="登记",
                        icon="fa-stamp", **menu)
    appbuilder.add_view(TalentExpiringView, "talent_expiring", label="登记到期",
                        icon="fa-hourglass-half", **menu)
    appbuilder.add_view(TalentEducationView, "talent_education", label="继续教育台账",
                        icon="fa-graduation-cap", **menu)
    appbuilder.add_view(TalentSupervisionView, "talent_supervision", label="督导关系",
                        icon="fa-handshake-o", **menu)
    appbuilder.add_view(TalentSupervisionSessionView, "talent_supervision_sessions",
                        label="督导记录", icon="fa-comments", **menu)
    appbuilder.add_view_no_menu(TalentVerifyView)
    register_api(appbuilder)
    register_moved(current_app)


"""Users with a scope region, and the security manager that audits logins."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, g, has_request_context, redirect, session
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.security.views import (
    PermissionModelView,
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    ViewMenuModelView,
)
from sqlalchemy import ForeignKey, and_, func
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship
from wtforms import BooleanField
from wtforms.validators import ValidationError

from console.audit import log as audit
from console.audit.models import AuditLog
from console.foundation.clock import localtime, utcnow
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db
from console.regions import rules
from console.regions.models import OfferedTo, Region
from console.security import accounts
from console.security import login as login_views
from console.security import passwords
from console.security import provisioning
from console.security import permissions
from console.security.permissions import permission_label
from console.security import secondfactor
from console.security.models import AccountState, LoginActivity, PasswordHistory, SessionEpoch

log = logging.getLogger(__name__)


class ConsoleUser(User):
    """Flask-AppBuilder's user plus the region whose data the user may see."""

    __tablename__ = "ab_user"
    # An account is nobody's region's data: it is offered as a choice only to those who manage
    # users, whatever their region.
    __scope__ = OfferedTo("can_edit", "ConsoleUserView")
    scope_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), nullable=True)
    # active_history: the audit log records the region a change replaced even when the user was
    # loaded without it.
    scope_region: Mapped[Region | None] = relationship(lazy="joined", active_history=True)
    # The login policy's state (console.security.accounts); the user loader reads it with the user.
    account_state: Mapped[AccountState | None] = relationship(
        uselist=False, cascade="all, delete-orphan", passive_deletes=True)
    password_history: Mapped[list[PasswordHistory]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    # Set by the user loader from the same statement (not columns): see hardening's epochs and
    # console.security.activity's idle timeout.
    session_epoch = None
    last_seen_at = None

    def lock_status(self) -> str:
        state = self.account_state
        if accounts.is_locked(self):
            return f"已锁定，至 {localtime(state.locked_until)}"
        return "未锁定"

    @property
    def whole_city(self) -> bool:
        """Read by the edit form: a user who already sees the whole city shows it confirmed."""
        return provisioning.is_whole_city(self.scope_region)

    @whole_city.setter
    def whole_city(self, confirmed) -> None:
        # The form's confirmation, checked by the view's pre_add / pre_update; not a column.
        self.__dict__["_whole_city_confirmed"] = bool(confirmed)

    def get_full_name(self) -> str:
        # Chinese order: family name first, no space.
        return f"{self.last_name or ''}{self.first_name or ''}".strip() or self.username


def _roles_required(form, field):
    # Flask-AppBuilder's own check reads a "groups" field that these forms do not show, and
    # fails with a KeyError (a 500) when no role is chosen.
    if not field.data:
        raise ValidationError("请至少选择一个角色")


def _whole_city_rule(form, field):
    try:
        provisioning.require_explicit_scope(form.scope_region.data, bool(field.data))
    except provisioning.ScopeRefused as exc:
        raise ValidationError(exc.message) from None


class RegionPickerWidget(Select2Widget):
    """The scope picker: each region by its full path (names repeat across townships), and its
    search box takes the focus when it opens (console/static/region_picker.js)."""

    def __init__(self):
        super().__init__(extra_classes="region-picker")


def _region_label(region) -> str:
    return rules.full_name(db.session, region)


class ConsoleUserView(UserDBModelView):
    validators_columns = {"roles": [_roles_required]}
    list_columns = ["last_name", "first_name", "username", "scope_region", "active", "roles"]
    add_columns = [
        "last_name", "first_name", "username", "active", "email", "scope_region", "whole_city", "roles",
        "password", "conf_password",
    ]
    edit_columns = ["last_name", "first_name", "username", "active", "email", "scope_region", "whole_city",
                    "roles"]
    add_form_extra_fields = {
        **UserDBModelView.add_form_extra_fields,
        "whole_city": BooleanField(
            provisioning.WHOLE_CITY_TITLE, validators=[_whole_city_rule],
            description=f"{provisioning.WHOLE_CITY_CONFIRMATION}（未选择管辖区域时必须勾选）"),
    }
    edit_form_extra_fields = {"whole_city": add_form_extra_fields["whole_city"]}
    search_columns = ["username", "first_name", "last_name", "email", "scope_region", "roles", "active"]
    show_fieldsets = [
        ("用户信息", {"fields": ["username", "active", "lock_status", "roles", "scope_region", "login_count"]}),
        ("个人信息", {"fields": ["last_name", "first_name", "email"], "expanded": True}),
        (
            "审计信息",
            {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"], "expanded": False},
        ),
    ]
    user_show_fieldsets = [
        ("用户信息", {"fields": ["username", "roles", "scope_region"]}),
        ("个人信息", {"fields": ["last_name", "first_name", "email"], "expanded": True}),
    ]
    label_columns = {
        **UserDBModelView.label_columns,
        "scope_region": "管辖区域",
        "lock_status": "锁定状态",
        "first_name": "名",
        "last_name": "姓",
    }
    description_columns = {
        **UserDBModelView.description_columns,
        "scope_region": "用户只能看到并处理该区域（含下级）内的数据；不选则须勾选下面的“全市”",
    }

    def _init_forms(self):
        super()._init_forms()
        # Only the picker's labels and widget change here; which regions it offers stays the
        # generated field's.
        for form in (self.add_form, self.edit_form):
            field = getattr(form, "scope_region", None)
            if field is not None:
                field.kwargs["get_label"] = _region_label
                field.kwargs["widget"] = RegionPickerWidget()

    def pre_add(self, item):
        # The form's validator has said so already; the service's rule stands behind it.
        provisioning.require_explicit_scope(item.scope_region, item.__dict__.get("_whole_city_confirmed", False))
        super().pre_add(item)

    def pre_update(self, item):
        provisioning.require_explicit_scope(item.scope_region, item.__dict__.get("_whole_city_confirmed", False))
        super().pre_update(item)


    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        # Flask-AppBuilder's user page offers only its password reset; a locked account also
        # gets its unlock button.
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        actions = {"resetpasswords": self.actions.get("resetpasswords")}
        if accounts.is_locked(item):
            actions["unlock"] = self.actions.get("unlock")
        widgets = self._get_show_widget(pk, item, actions=actions)
        self.update_redirect()
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    appbuilder=self.appbuilder, related_views=self._related_views)

    @action("unlock", "解除锁定", "确定解除所选账号的登录锁定？", "fa-unlock", multiple=True, single=True)
    def unlock(self, items):
        users = items if isinstance(items, list) else [items]
        done = [user.username for user in users if accounts.unlock(user)]
        if done:
            flash("已解除锁定：" + "、".join(done), "info")
        else:
            flash("所选账号未被锁定", "info")
        self.update_redirect()
        return redirect(self.get_redirect())


class BuiltinRoleError(ConsoleError):
    pass


def _permission_field():
    from flask_appbuilder.fields import QuerySelectMultipleField
    from flask_appbuilder.fieldwidgets import Select2ManyWidget
    from flask_appbuilder.security.sqla.models import PermissionView


    return QuerySelectMultipleField(
        "权限",
        query_func=lambda: db.session.query(PermissionView).all(),
        get_pk_func=lambda pv: pv.id,
        get_label=permission_label,
        widget=Select2ManyWidget(),
    )


class ConsoleRoleView(RoleModelView):
    """The console's own roles are defined by the core and the plugins (and checked in memory
    by every worker); admins make variations as new roles instead of editing those."""

    add_form_extra_fields = edit_form_extra_fields = {"permissions": _permission_field()}
    # The filter's choices too, which FAB would label "can edit on ConsoleUserView".
    search_form_extra_fields = {"permissions": _permission_field()}
    list_title = "角色"

    def _refuse_builtin(self, item):
        from flask_appbuilder.security.sqla.models import Role
        from sqlalchemy import select


        builtin = list(current_app.config.get("FAB_ROLES", {}))
        # Read the committed names on a connection of its own: the form has already been
        # autoflushed into this session, so a renamed role no longer carries its old name here.
        with db.engine.connect() as conn:
            committed = dict(conn.execute(select(Role.id, Role.name).where(Role.name.in_(builtin))).all())
        if item.id in committed:
            raise BuiltinRoleError(
                f"“{committed[item.id]}”是系统内置角色，由系统和插件定义，不能修改或删除；"
                "如需不同的权限，请新建角色（可用“复制角色”）"
            )

    def pre_update(self, item):
        self._refuse_builtin(item)

    def pre_delete(self, item):
        self._refuse_builtin(item)


class ConsolePermissionView(PermissionModelView):
    list_title = show_title = "权限名称"
    label_columns = {"name": "权限"}
    formatters_columns = {"name": permissions.permission_title}


class ConsoleViewMenuView(ViewMenuModelView):
    list_title = show_title = "页面名称"
    label_columns = {"name": "页面"}
    formatters_columns = {"name": permissions.view_title}


class ConsolePermissionViewView(PermissionViewModelView):
    list_title = show_title = "页面权限"
    label_columns = {"permission": "权限", "view_menu": "页面"}
    formatters_columns = {"permission": lambda p: permissions.permission_title(p.name),
                          "view_menu": lambda v: permissions.view_title(v.name)}
    search_columns = []


class ConsoleSecurityManager(SecurityManager):
    user_model = ConsoleUser
    permissionmodelview = ConsolePermissionView
    viewmenumodelview = ConsoleViewMenuView
    permissionviewmodelview = ConsolePermissionViewView
    userdbmodelview = ConsoleUserView
    rolemodelview = ConsoleRoleView
    authdbview = login_views.AuthDBView
    resetmypasswordview = login_views.ResetMyPasswordView

    def __init__(self, appbuilder):
        self._builtin_answers: dict[tuple[str, str, str], bool] = {}
        super().__init__(appbuilder)

    def _has_access_builtin_roles(self, role, permission_name: str, view_name: str) -> bool:
        # The built-in roles are fixed when the app starts (FAB_ROLES), and every page asks
        # about forty menu entries, each answered by a scan of the role's regular expressions
        # (a third of a list page's time, measured): each answer is kept by the worker.
        key = (role.name, permission_name, view_name)
        answer = self._builtin_answers.get(key)
        if answer is None:
            answer = self._builtin_answers[key] = super()._has_access_builtin_roles(role, permission_name, view_name)
        return answer

    def register_views(self):
        super().register_views()
        # One counter for every way to try a password: the login form and the REST login count
        # against the same limit per client address.
        login_limit = self.limiter.shared_limit(lambda: current_app.config["LOGIN_RATE_LIMIT"],
                                                scope="login", methods=["POST"])
        login_limit(self.auth_view.blueprint)
        endpoint = f"{self.security_api.__name__}.login"
        current_app.view_functions[endpoint] = login_limit(
            login_views.api_login(current_app.view_functions[endpoint]))

    def load_user(self, pk, activity_key: str | None = None):
        """The signed-in user of a request with everything each request reads about them (roles,
        groups and their roles, scope region, session epoch, the last activity of the session
        or token) in one statement instead of six."""
        from flask_appbuilder.security.sqla.models import Group

        # The last activity (console.security.activity) of the API token ``activity_key`` (its
        # jti) or else of the browser session, when it has one.
        if activity_key is None:
            activity_key = session.get("_sid") if has_request_context() else None
        found = (self.session.query(ConsoleUser, func.coalesce(SessionEpoch.epoch, 0), LoginActivity.last_seen_at)
                 .outerjoin(SessionEpoch, SessionEpoch.user_id == ConsoleUser.id)
                 .outerjoin(LoginActivity, and_(LoginActivity.key == (activity_key or ""),
                                                LoginActivity.user_id == ConsoleUser.id))
                 .options(joinedload(ConsoleUser.roles), joinedload(ConsoleUser.groups).joinedload(Group.roles),
                          joinedload(ConsoleUser.account_state))
                 .filter(ConsoleUser.id == int(pk)).first())
        if found is None or not found[0].is_active:
            return None
        user, epoch, last_seen = found
        user.session_epoch = epoch
        user.last_seen_at = last_seen
        return user

    def auth_user_db(self, username, password):
        """Flask-AppBuilder's password check inside the console's policy: a locked account is
        refused before its password is looked at, a second factor (if configured) follows the
        password, and only then is the login a success (console.security.accounts)."""
        known = (self.find_user(username=username) or self.find_user(email=username)) if username else None
        if known is not None and known.is_active:
            refusal = accounts.refusal_before_password(known)
            if refusal:
                login_views.refuse(refusal)
                return None
        user = super().auth_user_db(username, password)
        if user is None:
            if username and known is None:
                # Unknown user names never reach on_user_login_failed: record them here too.
                self._audit_login(False, username, None)
            return None
        refusal = secondfactor.refusal(user)
        if refusal:
            login_views.refuse(accounts.record_failure(user, "第二重身份验证未通过") or refusal)
            return None
        # A hash made before JICENG_CRYPTO changed is replaced while the password is at hand; it is
        # written with the success below.
        passwords.rehash(user, password)
        g.previous_login = accounts.record_success(user)
        return user

    def on_user_login(self, user) -> None:
        # The success is recorded by auth_user_db once the second factor has also passed.
        pass

    def on_user_login_failed(self, user) -> None:
        locked = accounts.record_failure(user)
        if locked:
            login_views.refuse(locked)

    def _audit_login(self, success: bool, username: str, user_id: int | None) -> None:
        from flask import request


        try:
            db.session.add(
                AuditLog(
                    at=utcnow(),
                    user_id=user_id,
                    username=username[:128],
                    action="login" if success else "login_failed",
                    entity="ab_user",
                    entity_id=str(user_id) if user_id else None,
                    summary=("登录成功" if success else "登录失败"),
                    ip=request.remote_addr,
                )
            )
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not audit a login")

    def reset_password(self, userid, password):
        super().reset_password(userid, password)
        audit.record("password_reset", entity="ab_user", entity_id=userid, summary="重置密码")
        current_app.appbuilder.session.commit()

"""Regional scope: one mechanism that every view, API, export, dashboard and job reuses.

Every domain row hangs off a region (``region_id``); every user has a scope region (none means
the whole city).  A row is inside the scope when its region's path starts with the scope
region's path.  Anything outside is answered exactly like a row that does not exist.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import False_

from console.database.paging import count_rows, page_rows
from console.foundation.errors import ConsoleError, OutOfScope
from console.foundation.extensions import db
from console.regions.models import BelongsTo, CityWide, OfferedTo, Region


def current_region() -> Region | None:
    """The signed-in user's scope region; None means the whole city (or no request)."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "scope_region", None)


def region_ids_within(region: Region):
    """A subquery of the ids of ``region`` and everything below it."""
    return select(Region.id).where(Region.path.startswith(region.path))


def restrict(query, model, region: Region | None = None, column: str = "region_id"):
    """Limit a query over ``model`` to rows inside ``region`` (default: the current user's)."""
    region = region if region is not None else current_region()
    clause = within(model, region, column)
    return query if clause is None else query.filter(clause)


def within(model, region: Region | None, column: str = "region_id"):
    """The one rule of the scope, for any table: the condition on ``model``'s rows inside
    ``region`` (None: the whole city), or None when every row is.

    A row with ``column`` (``region_id``) is inside when its region is; a table without one
    says how through ``__scope__`` (console.regions.models: ``BelongsTo``, ``CityWide``,
    ``OfferedTo``); a table that says nothing is offered only to users of the whole city.  The
    condition is subqueries, not joins: a choice list stays one query."""
    rule = getattr(model, "__scope__", None)
    if isinstance(rule, OfferedTo):
        return None if _holds(rule) else false()
    if isinstance(rule, CityWide):
        return None
    if isinstance(rule, BelongsTo):
        relation = getattr(model, rule.relation).property
        ((local, remote),) = relation.local_remote_pairs
        inner = within(relation.mapper.class_, region)
        return None if inner is None else local.in_(select(remote).where(inner))
    if region is None:
        return None
    if model is Region:
        return Region.path.startswith(region.path)
    if hasattr(model, column):
        return getattr(model, column).in_(region_ids_within(region))
    return false()


def _holds(rule: OfferedTo) -> bool:
    # Outside a request (a job, a command) nobody is being offered anything: no limit, as with
    # current_region().
    if not has_request_context():
        return True
    return bool(current_app.appbuilder.sm.has_access(rule.permission, rule.view))


def contains(region_id: int | None, region: Region | None = None) -> bool:
    region = region if region is not None else current_region()
    if region is None:
        return True
    if region_id is None:
        return False
    target = db.session.get(Region, region_id)
    return target is not None and target.path.startswith(region.path)


def require(region_id: int | None, region: Region | None = None) -> None:
    """Refuse a write that would put a row outside the user's scope."""
    if not contains(region_id, region):
        raise OutOfScope("所选区域不在您的管辖范围内")


class StillReferenced(ConsoleError):
    def __init__(self):
        super().__init__("该记录仍被其他记录引用，不能删除；请先修改或删除引用它的记录")


class ScopedInterface(SQLAInterface):
    """A datamodel that applies the scope to every query Flask-AppBuilder makes through it:
    lists, counts, lookups by id (show, edit, delete, actions) alike."""

    scope_column = "region_id"

    def __init__(self, obj, session=None, scope_column: str | None = None,
                 deferred_paging: bool = False):
        super().__init__(obj, session=session)
        if scope_column:
            self.scope_column = scope_column
        # Lists by page_rows and count_rows instead of Flask-AppBuilder's OFFSET over its
        # per-request aliased joins: for large tables whose related columns load eagerly.
        self.deferred_paging = deferred_paging

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        roots = {c.split(".")[0] for c in select_columns or () if "." in c}
        filtered = [f.column_name for f in filters.filters] if filters else []
        if not self.deferred_paging or not order_column or "." in order_column \
                or any("." in c for c in filtered) \
                or not all(self.is_relation_many_to_one(r) for r in roots):
            return super().query(filters, order_column, order_direction, page, page_size,
                                 select_columns, outer_default_load)
        query = self.apply_filters(self.session.query(self.obj), filters)
        count = count_rows(query)
        query = self.apply_order_by(query, order_column, order_direction, add_pk=True)
        query = query.options(*(joinedload(getattr(self.obj, r)) for r in sorted(roots)))
        if not page_size:
            return count, query.all()
        return count, page_rows(query, page_size, (page or 0) * page_size)

    def apply_filters(self, query, filters):
        # The view's own rows and every related table's choices (Flask-AppBuilder builds a
        # related field's interface as this class over the related model) by the same rule.
        return restrict(super().apply_filters(query, filters), self.obj, column=self.scope_column)

    def _region_id(self, item):
        value = getattr(item, self.scope_column)
        if value is None and getattr(item, "region", None) is not None:
            value = item.region.id  # set through the form's relationship, not flushed yet
        return value

    def add(self, item, commit=True):
        require(self._region_id(item))
        return super().add(item, commit=commit)

    def edit(self, item, commit=True):
        require(self._region_id(item))
        return super().edit(item, commit=commit)

    def delete(self, item, commit=True):
        try:
            return super().delete(item, commit=commit)
        except DatabaseException as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise StillReferenced() from exc
            raise

    def delete_all(self, items):
        try:
            return super().delete_all(items)
        except DatabaseException as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise StillReferenced() from exc
            raise


class FilterRegionInScope(BaseFilter):
    """For region pickers: offer only regions inside the user's scope."""

    name = "在管辖范围内"
    arg_name = "scope"

    def apply(self, query, value):
        region = current_region()
        if region is None:
            return query
        return query.filter(Region.path.startswith(region.path))


REGION_PICKER = {"region": [["id", FilterRegionInScope, None]]}


class FilterWithinRegion(BaseFilter):
    """A list's region filter for a whole county or township: rows whose region lies inside the
    given one (the relation's own filters match one region exactly)."""

    name = "位于"
    arg_name = "within"

    def apply(self, query, value):
        region = db.session.get(Region, int(value)) if str(value).isdigit() else None
        if region is None:
            return query.filter(false())  # no such region: no rows, not all of them
        return restrict(query, self.model, region=region,
                        column=getattr(self.datamodel, "scope_column", "region_id"))


# The URL argument of that filter: Flask-AppBuilder numbers a column's filters in order, and a
# relation has two of its own (equal, not equal) before it.  ``?_flt_2_region=<county id>``.
WITHIN_ARG = "_flt_2_region"


class ScopedModelView(ModelView):
    """A ModelView over a model with ``region_id``: build it with ``ScopedInterface``."""

    add_form_query_rel_fields = REGION_PICKER
    edit_form_query_rel_fields = REGION_PICKER
    search_form_query_rel_fields = REGION_PICKER

    def _unoffered(self, form) -> list[str]:
        """Related fields whose table this user is offered nothing of (user accounts, to whom
        does not manage users): left out of the form, so that saving it keeps what they hold
        instead of emptying them."""
        return [name for name in form._fields if self.datamodel.is_relation(name)
                and isinstance(within(self.datamodel.get_related_model(name), current_region()), False_)]

    def process_form(self, form, is_created):
        for name in self._unoffered(form):
            del form[name]
        super().process_form(form, is_created)

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        exclude_cols = [*(exclude_cols or []), *self._unoffered(form)]
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        exclude_cols = [*(exclude_cols or []), *self._unoffered(form)]
        return super()._get_edit_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def _init_properties(self):
        super()._init_properties()
        searchable = self._filters.get_search_filters()
        if "region" in searchable:
            within = FilterWithinRegion("region", self.datamodel)
            searchable["region"].append(within)
            self._filters._all_filters["region"].append(within)


# Flask-AppBuilder's spec of ``_info`` declares its column lists objects: they are lists.
_FIELDS_INFO = {"type": "array", "items": {"type": "object"}}
_INFO_SPEC = {"get": {"responses": {
    "200": {"description": "Item from Model", "content": {"application/json": {"schema": {
        "type": "object",
        "properties": {"add_columns": _FIELDS_INFO, "edit_columns": _FIELDS_INFO,
                       "filters": {"type": "object"},
                       "permissions": {"type": "array", "items": {"type": "string"}}},
    }}}},
    **{code: {"$ref": f"#/components/responses/{code}"} for code in ("400", "401", "422", "500")},
}}}


# marshmallow's field messages, in the words a user of the API reads.
_FIELD_MESSAGES = {
    "Missing data for required field.": "必填",
    "Field may not be null.": "不能为空",
    "Unknown field.": "不是可提交的字段",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid string.": "应为文字",
    "Not a valid boolean.": "应为 true 或 false",
    "Not a valid date.": "应为日期（例如 2025-03-01）",
    "Not a valid datetime.": "应为日期时间（例如 2025-03-01T08:00:00）",
    "Invalid input type.": "类型不正确",
}


def _field_errors(messages, labels, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            name = labels.get(key, key) if not prefix else f"{prefix}.{key}"
            out += _field_errors(value, labels, str(name))
        return out
    if isinstance(messages, (list, tuple)):
        return [m for item in messages for m in _field_errors(item, labels, prefix)]
    text = _FIELD_MESSAGES.get(str(messages), str(messages))
    return [f"{prefix}：{text}" if prefix else text]


def _chinese(text) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text or ""))


# The last part of a dotted column (``region.name``) in words, after its relation's label.
_ATTRIBUTE_WORDS = {"name": "名称", "code": "代码", "username": "账号", "id": "编号"}


def _schema_fields(schema) -> list[dict]:
    """``_info``'s description of a submit schema's fields, in Flask-AppBuilder's shape."""
    schema = schema() if isinstance(schema, type) else schema
    fields = []
    for name, field in schema.fields.items():
        meta = field.metadata or {}
        fields.append({"name": name, "label": meta.get("label", name), "description": meta.get("description", ""),
                       "required": bool(field.required), "type": type(field).__name__})
    return fields


def _page_of(model):
    """The module's own page (a ModelView) of ``model``, whose labels the API repeats."""
    for view in current_app.appbuilder.baseviews:
        if isinstance(view, ModelView) and getattr(getattr(view, "datamodel", None), "obj", None) is model:
            return view
    return None


class ScopedModelRestApi(ModelRestApi):
    """A module's REST API, scoped like its pages and labelled like them: a column's label and
    the titles are taken from the page of the same table (one name for one thing), a dotted
    column (``region.name``) is its relation's label and the attribute in words; what no page
    labels, the API's own ``label_columns`` names."""

    add_query_rel_fields = REGION_PICKER
    edit_query_rel_fields = REGION_PICKER
    openapi_spec_methods = {"info": _INFO_SPEC}
    #: The marshmallow schema a hand-written ``post`` loads its body with: ``_info`` then lists
    #: its fields (what the API really takes), labelled by each field's ``metadata["label"]``.
    submit_schema = None

    def _routes(self) -> set[str] | None:
        return set(self.include_route_methods) if self.include_route_methods is not None else None

    def info_headless(self, **kwargs):
        # Flask-AppBuilder binds its column describers to ``info`` when the class is made, so
        # they cannot be overridden: the answer is corrected instead.  An API without ``post``
        # or ``put`` describes no columns for them (a read-only API listed its model's
        # encrypted columns as addable); a hand-written ``post`` describes its schema.
        answer = super().info_headless(**kwargs)
        if answer.status_code != 200:
            return answer
        body = answer.get_json()
        routes = self._routes()
        if routes is not None and "post" not in routes:
            body["add_columns"] = []
        elif self.submit_schema is not None:
            body["add_columns"] = _schema_fields(self.submit_schema)
        if routes is not None and "put" not in routes:
            body["edit_columns"] = []
        return self.response(200, **body)

    def _init_titles(self):
        page = _page_of(self.datamodel.obj)
        for attr in ("list_title", "add_title", "edit_title", "show_title"):
            if not getattr(self, attr) and page is not None and _chinese(getattr(page, attr, "")):
                setattr(self, attr, getattr(page, attr))
        if self.list_title:
            self.add_title = self.add_title or f"新增：{self.list_title}"
            self.edit_title = self.edit_title or f"修改：{self.list_title}"
            self.show_title = self.show_title or f"查看：{self.list_title}"
        super()._init_titles()

    def _init_properties(self):
        page = _page_of(self.datamodel.obj)
        inherited = {k: v for k, v in ((page.label_columns or {}) if page else {}).items() if _chinese(v)}
        labels = {**inherited, **(self.label_columns or {})}
        columns = {*(self.list_columns or ()), *(self.show_columns or ()), *(self.add_columns or ()),
                   *(self.edit_columns or ())}
        for column in columns:
            relation, _, attribute = column.partition(".")
            if column in labels:
                continue
            if attribute and relation in labels:
                labels[column] = f"{labels[relation]}{_ATTRIBUTE_WORDS.get(attribute, '')}"
            elif column.endswith("_id") and column[:-3] in labels:  # region_id: the region's label
                labels[column] = labels[column[:-3]]
        self.label_columns = labels
        super()._init_properties()

    def response_422(self, message=None):
        # Flask-AppBuilder's add and edit hand marshmallow's {field: [messages]} through, in
        # English, where its spec (and every other refusal) has one message.
        if isinstance(message, (dict, list)):
            labels = {k: str(v) for k, v in (self.label_columns or {}).items()}
            message = "提交的数据不正确：" + "；".join(_field_errors(message, labels))
        return super().response_422(message)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        # Flask-AppBuilder translates a missing description, and gettext("") answers the
        # catalog's header ("Project-Id-Version: ...").
        if not self.description_columns.get(field.name):
            info["description"] = ""
        return info

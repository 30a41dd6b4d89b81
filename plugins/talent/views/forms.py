"""Form fields whose choices come from the module's settings, and field validators that call
the same rules as the services (so a bad value is shown next to its field)."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from wtforms import BooleanField, FileField, SelectField, StringField, ValidationError
from wtforms.validators import InputRequired, Optional

from ..services import education, idnumber
from ..errors import TalentError


def _id_number_check(form, field):
    if not field.data:
        return
    try:
        field.data = idnumber.validate(field.data)
    except TalentError as exc:
        raise ValidationError(exc.message) from None


def _hours_check(form, field):
    try:
        field.data = education.parse_hours(field.data)
    except TalentError as exc:
        raise ValidationError(exc.message) from None


def id_number_field(required: bool) -> StringField:
    description = "18 位居民身份证号，保存时加密" if required else "留空则不修改；填写则替换原号码"
    validators = ([InputRequired("请填写身份证号"), _id_number_check] if required
                  else [Optional(), _id_number_check])
    return StringField("身份证号", validators=validators, description=description,
                       widget=BS3TextFieldWidget(), render_kw={"autocomplete": "off"})


def choice_field(label: str, choices) -> SelectField:
    # A callable: the settings are read on every form, so an owner's change shows at once.
    return SelectField(label, choices=lambda: [(c, c) for c in choices()], widget=Select2Widget())


def hours_field(label: str = "学时") -> StringField:
    return StringField(label, validators=[_hours_check], widget=BS3TextFieldWidget())


def proof_field() -> FileField:
    return FileField("证明材料", validators=[Optional()],
                     description="可选：PDF、Excel 或图片（证书、结业证明、签到表等）")


def flag_field(label: str) -> BooleanField:
    # Flask-AppBuilder marks a NOT NULL boolean as required, which an unticked box never is.
    return BooleanField(label)

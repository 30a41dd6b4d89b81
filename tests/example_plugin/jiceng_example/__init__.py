"""示例插件: a model, a page with a menu entry, a dashboard card and a permission."""

from pathlib import Path

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console import PluginInfo, Setting, hookimpl
from console import Card
from console import db
from console import Audited, Region
from console import ScopedInterface, ScopedModelView, restrict
from flask_appbuilder import Model

NAME = "example"


class ExampleNote(Audited, Model):
    __tablename__ = "example_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    region: Mapped[Region] = relationship()

    def __str__(self):
        return self.title


class ExampleNoteView(ScopedModelView):
    datamodel = ScopedInterface(ExampleNote)
    class_permission_name = "example_notes"
    list_title = "示例记录"
    add_columns = edit_columns = ["title", "region"]
    list_columns = show_columns = ["title", "region"]
    label_columns = {"title": "标题", "region": "所属区域"}


@hookimpl
def plugin_info():
    return PluginInfo(
        name=NAME,
        title="示例插件",
        version="1.2.0",
        description="证明第三方插件的安装方式",
        migrations=str(Path(__file__).parent / "migrations" / "versions"),
        settings=(
            Setting("greeting", "问候语", default="你好"),
            Setting("limit", "上限", type="int", default=10, min=1, max=100),
        ),
    )


@hookimpl
def register_views(appbuilder):
    appbuilder.add_view(ExampleNoteView, "example_notes", label="示例记录", icon="fa-sticky-note",
                        category=NAME, category_label="示例插件")


@hookimpl
def role_permissions():
    return {"检查员": [("can_(list|show)$", "example_notes$"), ("menu_access$", "example(_notes)?$")]}


@hookimpl
def dashboard_cards(user, region):
    count = restrict(db.session.query(ExampleNote), ExampleNote, region).count()
    return [Card(title="示例记录", value=count, unit="条", link="/examplenoteview/list/")]

"""The example's one page: its notes, within the reader's region."""

from console import ScopedInterface, ScopedModelView

from ..models import ExampleNote


class ExampleNoteView(ScopedModelView):
    route_base = "/example/notes"
    datamodel = ScopedInterface(ExampleNote)
    class_permission_name = "example_notes"
    list_title = "示例记录"
    add_columns = edit_columns = ["title", "region"]
    list_columns = show_columns = ["title", "region"]
    label_columns = {"title": "标题", "region": "所属区域"}

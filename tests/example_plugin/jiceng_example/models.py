"""The example's one table."""

from flask_appbuilder import Model
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from console import Audited, Regional


class ExampleNote(Regional, Audited, Model):
    __tablename__ = "example_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))

    def __str__(self):
        return self.title

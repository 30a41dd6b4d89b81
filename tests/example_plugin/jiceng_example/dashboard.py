"""The example's card: how many notes the reader's region holds."""

from console import Card, db, restrict

from .models import ExampleNote


def cards(region) -> list[Card]:
    count = restrict(db.session.query(ExampleNote), ExampleNote, region).count()
    return [Card(title="示例记录", value=count, unit="条", link="/example/notes/list/")]

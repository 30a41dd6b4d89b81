"""Extensions created unbound here and bound to the app in ``console.create_app``.

The AppBuilder is made per app instead: it keeps its views and menu on itself."""

from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate

# A bare SQLA() makes create_all and Alembic autogenerate see no tables: share FAB's metadata.
db = SQLA(metadata=Model.metadata)
migrate = Migrate()

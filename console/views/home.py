from flask import g
from flask_appbuilder import IndexView, expose

from ..dashboard import cards_for
from ..scope import current_region


class HomeView(IndexView):
    index_template = "console/home.html"

    @expose("/")
    def index(self):
        self.update_redirect()
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        cards = cards_for(user, current_region()) if user else []
        return self.render_template(self.index_template, appbuilder=self.appbuilder, cards=cards,
                                    region=current_region())

"""The home page and /health."""

from flask import g, jsonify
from flask_appbuilder import BaseView, IndexView, expose

from console.regions.scope import current_region
from console.web import health
from console.web.dashboard import cards_for


class HomeView(IndexView):
    index_template = "console/home.html"

    @expose("/")
    def index(self):
        self.update_redirect()
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        cards = cards_for(user, current_region()) if user else []
        return self.render_template(self.index_template, appbuilder=self.appbuilder, cards=cards,
                                    region=current_region())


class HealthView(BaseView):
    route_base = ""

    @expose("/health")
    def health(self):
        report = health.check()
        return jsonify(report), 200 if report["ok"] else 503

"""The home page, /health and the field app's manifest and service worker."""

from pathlib import Path

from flask import g, jsonify, send_from_directory
from flask_appbuilder import BaseView, IndexView, expose

from console.regions.scope import current_region
from console.web import health
from console.web.dashboard import cards_for, shortcuts_for, tasks_for


class HomeView(IndexView):
    index_template = "console/home.html"

    @expose("/")
    def index(self):
        self.update_redirect()
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        cards = cards_for(user, current_region()) if user else []
        tasks = tasks_for(user) if user else []
        shortcuts = shortcuts_for(user) if user else []
        return self.render_template(self.index_template, appbuilder=self.appbuilder, cards=cards,
                                    tasks=tasks, shortcuts=shortcuts, region=current_region())


class HealthView(BaseView):
    route_base = ""

    @expose("/health")
    def health(self):
        report = health.check()
        return jsonify(report), 200 if report["ok"] else 503


FIELD_DIR = Path(__file__).resolve().parent.parent / "static" / "field"


class FieldAppView(BaseView):
    """The installable field app.  A service worker controls only the paths under the one its
    script is served from unless the answer carries ``Service-Worker-Allowed``: the script is
    served at /field/sw.js and allowed the whole origin, so any page that opts in to working
    offline (the inspection form, later the visit forms) is kept on the device."""

    route_base = "/field"

    @expose("/manifest.webmanifest")
    def manifest(self):
        return send_from_directory(FIELD_DIR, "manifest.webmanifest", mimetype="application/manifest+json",
                                   max_age=0)

    @expose("/sw.js")
    def service_worker(self):
        response = send_from_directory(FIELD_DIR, "sw.js", mimetype="text/javascript", max_age=0)
        response.headers["Service-Worker-Allowed"] = "/"
        # The browser checks for a new worker on navigations; no HTTP cache may hold an old one.
        response.headers["Cache-Control"] = "no-cache"
        return response

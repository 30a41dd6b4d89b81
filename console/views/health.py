from flask import jsonify
from flask_appbuilder import BaseView, expose

from .. import health


class HealthView(BaseView):
    route_base = ""

    @expose("/health")
    def health(self):
        report = health.check()
        return jsonify(report), 200 if report["ok"] else 503

"""The import page: upload a file, follow its progress, download the rejected rows.

An import runs in a background thread of the worker that received the upload: 432,000 rows
take longer than gunicorn's request timeout.  Progress lives in the job row, so the polling
request may land on any worker.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from console.files import exports
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db
from console.imports import catalog
from console.imports import pipeline as imports
from console.imports import regions as region_io
from console.imports.models import ImportJob
from console.security import roles
from console.security.users import ConsoleUser

log = logging.getLogger(__name__)

MODES = {"all": "全部合格才导入（有一行不合格则不写入任何数据）", "skip": "跳过不合格的行，导入其余的行"}


def may_use(plugin: str, user=None) -> bool:
    """Admins import anything; a module owner their plugin's kinds; the region list is admins'."""
    user = user or g.user
    if roles.is_admin(user):
        return True
    return plugin != imports.CORE and plugin in roles.owner_plugins(user)


def usable_importers() -> list[tuple[str, imports.Importer]]:
    return [(plugin, importer) for (plugin, _), importer in sorted(catalog.available().items())
            if may_use(plugin)]


def _job_or_404(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None or not (roles.is_admin(g.user) or job.created_by_id == g.user.id):
        abort(404)
    return job


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_job(app, job_id: int, path: str, plugin: str, kind: str, filename: str,
             all_or_nothing: bool, user_id: int, remote_addr: str | None) -> None:
    # A request context of its own with the uploading user in g.user: the importer's rules
    # (scope.current_region()) and the audit log see who imports, as in the upload request.
    with app.test_request_context(environ_base={"REMOTE_ADDR": remote_addr or ""}):
        g.user = db.session.get(ConsoleUser, user_id)
        try:
            importer = catalog.find(plugin, kind)
            imports.run(importer, path, plugin=plugin, job=job_id, all_or_nothing=all_or_nothing,
                        user_id=user_id, filename=filename)
        except ConsoleError as exc:
            imports._job_update(job_id, state="failed", error=exc.message, finished_at=imports.utcnow())
        except Exception:
            log.exception("import job %s crashed", job_id)
            imports._job_update(job_id, state="failed", finished_at=imports.utcnow(),
                                error="导入时发生内部错误，未写入任何数据；错误已记录日志")
        finally:
            db.session.remove()
            try:
                os.unlink(path)
            except OSError:
                pass


class ImportsView(BaseView):
    route_base = "/console/imports"
    class_permission_name = "console_imports"
    default_view = "list"

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        app = current_app._get_current_object()
        upload_path = self.route_base + "/upload"

        # City-scale files exceed the general upload limit.  Raised before CSRF reads the form,
        # which an app-level hook registered now (ahead of CSRFProtect's) guarantees.
        @app.before_request
        def _import_upload_limit():
            if request.path == upload_path:
                request.max_content_length = int(app.config.get("IMPORTS_MAX_UPLOAD_MB", 200) * 1024 * 1024)

        return blueprint

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        query = db.session.query(ImportJob).order_by(ImportJob.id.desc())
        if not roles.is_admin(g.user):
            query = query.filter(ImportJob.created_by_id == g.user.id)
        jobs = [imports.job_view(job) for job in query.limit(30)]
        return self.render_template(
            "console/imports.html", importers=usable_importers(), jobs=jobs, modes=MODES,
            plugin_title=catalog.plugin_title, importer_title=catalog.title_of, is_admin=roles.is_admin(g.user),
            max_mb=current_app.config.get("IMPORTS_MAX_UPLOAD_MB", 200),
        )

    @expose("/upload", methods=["POST"])
    @has_access
    @permission_name("upload")
    def upload(self):
        plugin, kind = request.form.get("plugin", ""), request.form.get("kind", "")
        if not may_use(plugin):
            abort(404)
        importer = catalog.find(plugin, kind)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的文件（.xlsx 或 .csv）", "danger")
            return redirect(url_for("ImportsView.list"))
        all_or_nothing = request.form.get("mode", "all") != "skip"
        filename = os.path.basename(upload.filename.replace("\\", "/"))
        fd, path = tempfile.mkstemp(prefix="upload-", suffix=Path(filename).suffix[:10],
                                    dir=_upload_dir())
        with os.fdopen(fd, "wb") as fh:
            upload.save(fh)
        job_id = imports.create_job(plugin, importer.kind, filename, all_or_nothing=all_or_nothing,
                                    user_id=g.user.id)
        args = (current_app._get_current_object(), job_id, path, plugin, importer.kind, filename,
                all_or_nothing, g.user.id, request.remote_addr)
        if current_app.config.get("IMPORTS_RUN_INLINE"):
            _run_job(*args)
        else:
            threading.Thread(target=_run_job, args=args, name=f"import-{job_id}", daemon=True).start()
        return redirect(url_for("ImportsView.job", job_id=job_id))

    @expose("/jobs/<int:job_id>")
    @has_access
    @permission_name("job")
    def job(self, job_id):
        job = _job_or_404(job_id)
        view = imports.job_view(job)
        importer = catalog.available().get((job.plugin, job.kind))
        return self.render_template(
            "console/imports_job.html", job=view, title=importer.title if importer else "已停用的导入类型",
            plugin_title=catalog.plugin_title(job.plugin),
        )

    @expose("/jobs/<int:job_id>/status")
    @has_access
    @permission_name("job")
    def status(self, job_id):
        job = _job_or_404(job_id)
        db.session.refresh(job)
        view = imports.job_view(job)
        view["has_report"] = view["finished"] and (job.rows_rejected or 0) > 0
        return jsonify(view)

    @expose("/jobs/<int:job_id>/report")
    @has_access
    @permission_name("job")
    def report(self, job_id):
        job = _job_or_404(job_id)
        if not job.report:
            abort(404)
        return _xlsx_download(job.report, f"导入不合格行-{job_id}.xlsx")

    @expose("/template/<plugin>/<kind>")
    @has_access
    @permission_name("template")
    def template(self, plugin, kind):
        if not may_use(plugin):
            abort(404)
        importer = catalog.find(plugin, kind)
        return _xlsx_download(imports.template_xlsx(importer), f"{importer.title}-导入模板.xlsx")

    @expose("/regions/export")
    @has_access
    @permission_name("export")
    def export_regions(self):
        if not roles.is_admin(g.user):
            abort(404)
        return region_io.export_regions()


def _xlsx_download(data: bytes, filename: str):
    import io

    return send_file(io.BytesIO(data), mimetype=exports.XLSX_MIMETYPE, as_attachment=True,
                     download_name=filename, max_age=0)


"""Briefing pages: schedules (admins), generate now with progress, run history, preview and
the PDF download for the readers it was delivered to."""

from __future__ import annotations

import io
import json

from flask import (
    Response,
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
from flask_appbuilder.security.sqla.models import Role

from console.briefings import document, periods, runs, schedules
from console.briefings.models import (
    PERIOD_KINDS,
    RECURRENCES,
    RUN_STATES,
    WEEKDAYS,
    BriefingDelivery,
    BriefingRun,
    BriefingSchedule,
)
from console.foundation import clock
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db
from console.regions import scope
from console.regions.models import Region
from console.security.users import ConsoleUser

HISTORY = 50


def run_view(run: BriefingRun) -> dict:
    """A run as the history table and the progress endpoint show it."""
    try:
        period = periods.parse(run.period).title
    except ConsoleError:
        period = run.period
    return {
        "id": run.id, "state": run.state, "state_title": run.state_title, "finished": run.finished,
        "retrying": run.state == "failed" and run.next_retry_at is not None,
        "schedule": run.schedule.name if run.schedule else "即时生成",
        "scope": run.region.name, "period": period, "progress": run.progress or "",
        "attempt": run.attempt, "created": clock.localtime(run.created_at), "started": clock.localtime(run.started_at),
        "duration": run.duration_seconds, "pages": run.pages, "size": run.size, "error": run.error,
        "next_retry": clock.localtime(run.next_retry_at), "snapshot_id": run.snapshot_id,
        "has_pdf": bool(run.size), "pdf_url": f"/briefings/{run.id}.pdf",
        "preview_url": f"/briefings/{run.id}/preview",
    }


def _regions() -> list[Region]:
    query = db.session.query(Region).filter(Region.level.in_(("city", "county")))
    return scope.restrict(query, Region).order_by(Region.code).all()


def _form_data() -> dict:
    form = request.form
    data = form.to_dict()
    for key in ("sections", "recipient_users", "recipient_roles"):
        data[key] = form.getlist(key)
    data["enabled"] = form.get("enabled") == "on"
    return data


class BriefingsView(BaseView):
    route_base = "/console/briefings"
    class_permission_name = "console_briefings"
    default_view = "list"

    def _choices(self) -> dict:
        return {
            "regions": _regions(), "offered": schedules.briefing_plugins(),
            "users": db.session.query(ConsoleUser).filter(ConsoleUser.active.is_(True)).order_by(ConsoleUser.username).all(),
            "roles": db.session.query(Role).order_by(Role.name).all(),
            "recurrences": RECURRENCES, "period_kinds": PERIOD_KINDS, "weekdays": WEEKDAYS,
        }

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        rows = scope.restrict(db.session.query(BriefingSchedule), BriefingSchedule).order_by(BriefingSchedule.id).all()
        items = []
        for s in rows:
            try:
                upcoming = schedules.next_times(s, 1)
            except ValueError:
                upcoming = []
            items.append({"s": s, "next": clock.localtime(upcoming[0], tz=s.timezone) if upcoming else "—"})
        history = (scope.restrict(db.session.query(BriefingRun), BriefingRun)
                   .order_by(BriefingRun.id.desc()).limit(HISTORY).all())
        return self.render_template("briefings/index.html", items=items, runs=[run_view(r) for r in history],
                                    states=RUN_STATES, default_period=periods.last_complete("month", clock.today()).key,
                                    **self._choices())

    def _schedule_form(self, schedule: BriefingSchedule | None):
        data = None
        if request.method == "POST":
            data = _form_data()
            try:
                schedule = schedules.save(db.session, data, schedule, actor=g.user)
                flash(f"已保存简报计划“{schedule.name}”", "success")
                return redirect(url_for("BriefingsView.edit", schedule_id=schedule.id))
            except ConsoleError as exc:
                flash(exc.message, "danger")
        upcoming = []
        if schedule is not None and schedule.id and data is None:
            upcoming = [clock.localtime(t, tz=schedule.timezone) + f"（{clock.zone_title(schedule.timezone)}）"
                        for t in schedules.next_times(schedule, 5)]
        return self.render_template("briefings/schedule_form.html", schedule=schedule, data=data,
                                    upcoming=upcoming, **self._choices())

    @expose("/schedules/new", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def add(self):
        return self._schedule_form(None)

    @expose("/schedules/<int:schedule_id>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, schedule_id):
        return self._schedule_form(schedules.get(db.session, schedule_id))

    @expose("/schedules/<int:schedule_id>/delete", methods=["POST"])
    @has_access
    @permission_name("edit")
    def delete(self, schedule_id):
        schedule = schedules.get(db.session, schedule_id)
        name = schedule.name
        schedules.delete(db.session, schedule)
        flash(f"已删除简报计划“{name}”及其生成记录", "success")
        return redirect(url_for("BriefingsView.list"))

    @expose("/schedules/<int:schedule_id>/generate", methods=["POST"])
    @has_access
    @permission_name("generate")
    def generate_schedule(self, schedule_id):
        schedule = schedules.get(db.session, schedule_id)
        period = periods.last_complete(schedule.period_kind, clock.today())
        made = runs.create_for_schedule(schedule, period, user=g.user)
        readers = [f"{u.get_full_name()}（{run.region.name}）" for run in made for u in runs.readers_of(run)]
        if not runs.reader_scopes(db.session, schedule):
            flash(f"计划“{schedule.name}”目前没有读者，简报只送达您本人", "warning")
        else:
            flash(f"已开始生成计划“{schedule.name}”的简报（{len(made)} 份），完成后送达：" + "、".join(readers), "info")
        return self._start(*made)

    @expose("/generate", methods=["POST"])
    @has_access
    @permission_name("generate")
    def generate(self):
        try:
            region = db.session.get(Region, int(request.form.get("region_id") or 0))
            if region is None:
                raise ConsoleError("请选择简报范围")
            period = periods.parse(request.form.get("period", ""), today=clock.today())
            sections = request.form.getlist("sections") or None
            run = runs.create(region, period, sections=sections, appendix=bool(request.form.get("appendix")),
                              user=g.user)
        except ConsoleError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("BriefingsView.list"))
        return self._start(run)

    def _start(self, *made: BriefingRun):
        start(made)
        return redirect(url_for("BriefingsView.run", run_id=made[0].id))

    def _run_or_404(self, run_id: int) -> BriefingRun:
        run = db.session.get(BriefingRun, run_id)
        if run is None or not scope.contains(run.region_id):
            abort(404)
        return run

    @expose("/runs/<int:run_id>")
    @has_access
    @permission_name("list")
    def run(self, run_id):
        run = self._run_or_404(run_id)

        readers = (db.session.query(ConsoleUser.username, BriefingDelivery.delivered_at)
                   .join(BriefingDelivery, BriefingDelivery.user_id == ConsoleUser.id)
                   .filter(BriefingDelivery.run_id == run.id).order_by(ConsoleUser.username).all())
        return self.render_template("briefings/run.html", run=run_view(run),
                                    readers=[(u, clock.localtime(at)) for u, at in readers])

    @expose("/runs/<int:run_id>/status")
    @has_access
    @permission_name("list")
    def status(self, run_id):
        run = self._run_or_404(run_id)
        db.session.refresh(run)
        return jsonify(run_view(run))

    @expose("/preview")
    @has_access
    @permission_name("generate")
    def preview(self):
        """The HTML of a briefing for a scope and period, without rendering a PDF."""
        try:
            region = db.session.get(Region, int(request.args.get("region_id") or 0))
            if region is None or not scope.contains(region.id):
                raise ConsoleError("请选择简报范围")
            period = periods.parse(request.args.get("period", ""), today=clock.today())
        except (ConsoleError, ValueError) as exc:
            flash(getattr(exc, "message", "参数无效"), "danger")
            return redirect(url_for("BriefingsView.list"))
        sections = request.args.getlist("sections") or None
        snapshot = document.gather(region, period, sections, appendix=bool(request.args.get("appendix")))
        return Response(document.html(snapshot, preview=True), mimetype="text/html")


def start(made) -> None:
    app = current_app._get_current_object()
    if app.config.get("BRIEFING_RUN_INLINE"):
        for run in made:
            runs.execute(run.id)
    else:
        runs.start_in_background(app, *(run.id for run in made))


class BriefingFilesView(BaseView):
    """A briefing's PDF and preview for its readers: admins, whoever asked for it and those it
    was delivered to (leaders hold no permission on the schedules page)."""

    route_base = "/briefings"
    class_permission_name = "console_briefing_files"

    def _readable(self, run_id: int) -> BriefingRun | None:
        user = getattr(g, "user", None)
        if not getattr(user, "is_authenticated", False):
            return None
        run = db.session.get(BriefingRun, run_id)
        if run is None or not runs.may_read(run, user):
            abort(404)
        return run

    def _login(self):
        return redirect(self.appbuilder.get_url_for_login_with(request.full_path))

    @expose("/<int:run_id>.pdf")
    def pdf(self, run_id):
        run = self._readable(run_id)
        if run is None:
            return self._login()
        if not run.pdf:
            abort(404)
        name = f"{runs.run_title(run)}-{run.id}.pdf"
        return send_file(io.BytesIO(run.pdf), mimetype="application/pdf", download_name=name,
                         as_attachment=request.args.get("download") == "1", max_age=0)

    @expose("/<int:run_id>/preview")
    def run_preview(self, run_id):
        run = self._readable(run_id)
        if run is None:
            return self._login()
        if not run.snapshot:
            abort(404)
        return Response(document.html(json.loads(run.snapshot), preview=True), mimetype="text/html")

    @expose("/mine")
    @has_access
    @permission_name("mine")
    def mine(self):
        """我的简报: what was delivered to the signed-in reader and what they asked for."""
        rows = [run_view(r) for r in runs.own_runs(g.user)]
        region = g.user.scope_region
        return self.render_template("briefings/mine.html", runs=rows, period_kinds=PERIOD_KINDS,
                                    scope=region.name if region else current_app.config.get("CITY_NAME", "全市"),
                                    pending=any(not r["finished"] for r in rows))

    @expose("/mine/generate", methods=["POST"])
    @has_access
    @permission_name("mine")
    def generate_mine(self):
        try:
            run = runs.request_own(g.user, request.form.get("period_kind", "month"))
        except ConsoleError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("BriefingFilesView.mine"))
        flash(f"已开始生成{runs.run_title(run)}，完成后会送到您的消息中心，并列在下面", "info")
        start([run])
        return redirect(url_for("BriefingFilesView.mine"))

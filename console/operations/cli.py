"""``jiceng``: the console's command line, a Flask CLI group around the app factory.

``jiceng db ...`` (Flask-Migrate) and ``jiceng fab ...`` (Flask-AppBuilder) come with it.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from console.audit import archive as audit_archive
from console.audit import log as audit
from console.audit import verify as audit_verify
from console.briefings import cli as briefing_cli
from console.briefings.render import start_renderer
from console.database import schema
from console.foundation import crypto
from console.foundation.clock import utcnow
from console.foundation.errors import ConsoleError
from console.foundation.extensions import db
from console.imports import catalog
from console.imports import pipeline as imports
from console.imports.pipeline import refresh_statistics
from console.operations import backup, demo, doctor, rekey, scheduler
from console.plugins import manager as plugins
from console.plugins.manager import registry
from console.plugins.models import PluginState
from console.regions import geography
from console.security import accounts, provisioning, roles


def register(app) -> None:
    """Put the console's commands on ``app.cli`` (``jiceng`` and the test runner see them)."""
    for command in (init_command, demo_command, serve_command, scheduler_command, plugins_group,
                    import_command, briefing_group, backup_command, restore_command, doctor_command,
                    audit_group, crypto_group, users_group):
        app.cli.add_command(command)
    _upgrade_to_all_heads()


def _upgrade_to_all_heads() -> None:
    """Each plugin owns an Alembic branch, so "head" alone is ambiguous: ``jiceng db upgrade``
    applies every head (the core's and all plugins') unless a revision is named."""
    from flask_migrate.cli import db as db_group

    for param in db_group.commands["upgrade"].params:
        if param.name == "revision":
            param.default = "heads"


def _fail(message: str) -> None:
    click.secho(f"错误：{message}", fg="red", err=True)
    sys.exit(1)


def _as_cli_actor():
    return audit.set_actor(f"命令行:{os.environ.get('USER', 'root')}")


# -- init -----------------------------------------------------------------------------------


@click.command("init")
@with_appcontext
def init_command():
    """升级数据库、同步角色与权限、创建管理员（可重复运行）。"""

    _as_cli_actor()
    click.echo("升级数据库结构 ...")
    schema.upgrade()
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    click.echo("同步角色与权限 ...")
    appbuilder.add_permissions(update_perms=True)
    sm.create_db()
    for role_name in current_app.config["FAB_ROLES"]:
        sm.add_role(role_name)

    reg = registry()
    known = {row.name for row in db.session.query(PluginState)}
    for name in reg.infos:
        if name not in known and not schema.plugin_schema_behind(name):
            # A plugin seen for the first time starts switched on; later switches are kept.
            db.session.add(PluginState(name=name, enabled=True, changed_by="jiceng init",
                                       changed_at=utcnow()))
    db.session.commit()

    username = os.environ.get("JICENG_ADMIN_USER", "admin")
    if sm.find_user(username=username) is None:
        password = os.environ.get("JICENG_ADMIN_PASSWORD")
        generated = not password
        if generated:
            password = _generated_password()
        else:
            from console.security.passwords import problems

            found = problems(password)
            if found:
                _fail("JICENG_ADMIN_PASSWORD 太弱：" + "；".join(found))
        user = sm.add_user(username, "管理员", "系统", f"{username}@localhost",
                           sm.find_role(roles.ADMIN), password)
        if not user:
            _fail(f"无法创建管理员 {username}")
        click.echo(f"已创建管理员 {username}")
        if generated:
            # Seen on a terminal by whoever ran the command: changed at the first login.
            click.secho(f"管理员初始密码（只显示这一次）：{password}", fg="yellow")
            click.echo("首次登录后须修改该密码")
        else:
            # Chosen by the deployer who will use the account.
            accounts.password_chosen_by_holder(user)
    else:
        click.echo(f"管理员 {username} 已存在，未修改")
    click.echo("初始化完成")


def _generated_password() -> str:
    # Always satisfies the complexity rules: letters of both cases, digits and a symbol.
    return secrets.token_urlsafe(12) + "aA1!"


# -- users ----------------------------------------------------------------------------------


@click.group("users")
def users_group():
    """用户账号。"""


@users_group.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="姓名（姓在前，如 张三）")
@click.option("--role", "role_names", multiple=True, required=True, help="角色名，可重复，如 --role 检查员")
@click.option("--region", "region_text", default=None, help="管辖区域：名称或区划代码（不唯一时用代码）")
@click.option("--whole-city", is_flag=True, help=f"不给 --region 时必须给出：{provisioning.WHOLE_CITY_CONFIRMATION}")
@click.option("--email", default=None, help="电子邮箱（默认 用户名@localhost）")
@with_appcontext
def users_add(username, full_name, role_names, region_text, whole_city, email):
    """新建用户：管辖区域须给出 --region，或以 --whole-city 明确确认可查看全市数据。"""
    from console.regions.models import Region

    _as_cli_actor()
    sm = current_app.appbuilder.sm
    region = None
    if region_text:
        rows = db.session.query(Region).filter((Region.name == region_text) | (Region.code == region_text)).all()
        if len(rows) != 1:
            _fail(f"没有名称或代码为“{region_text}”的区划" if not rows else f"名称“{region_text}”不唯一，请用区划代码")
        region = rows[0]
    found_roles = []
    for name in role_names:
        role = sm.find_role(name)
        if role is None:
            _fail(f"没有名为“{name}”的角色")
        found_roles.append(role)
    password = _generated_password()
    try:
        user = provisioning.create_user(db.session, username=username, last_name=full_name[:1],
                                        first_name=full_name[1:], email=email or f"{username}@localhost",
                                        roles=found_roles, region=region, whole_city=whole_city,
                                        password=password)
    except ConsoleError as exc:
        _fail(exc.message)
    click.echo(f"已创建用户 {user.username}，管辖区域：{provisioning.WHOLE_CITY_TITLE if region is None else region.name}，"
               f"角色：{'、'.join(role_names)}")
    click.secho(f"初始密码（只显示这一次）：{password}", fg="yellow")
    click.echo("首次登录后须修改该密码")


# -- demo -----------------------------------------------------------------------------------


@click.command("demo")
@click.option("--scale", type=click.Choice(["demo", "city"]), default="demo", show_default=True,
              help="demo：演示规模；city：全市规模（用于性能测试）")
@click.option("--regions-only", is_flag=True, help="只载入行政区划和演示用户，不载入各模块数据")
@with_appcontext
def demo_command(scale, regions_only):
    """载入昭通市演示数据（区划、演示用户、各模块数据；可重复运行）。"""

    _as_cli_actor()

    if not schema.is_current():
        _fail("数据库结构不是最新，请先运行：jiceng init")
    added = geography.load_regions(db.session)
    db.session.commit()
    click.echo(f"行政区划：新增 {added} 个" if added else "行政区划：已存在，未修改")
    created = demo.load_users(db.session, current_app.appbuilder.sm)
    for username, password in created:
        click.echo(f"演示用户 {username}，初始密码：{password}")
    if regions_only:
        return
    for name, _ in plugins.call("demo_data", session=db.session, scale=scale):
        db.session.commit()
        click.echo(f"模块 {plugins.registry().infos[name].title}：演示数据已就绪")
    db.session.commit()

    refresh_statistics()  # a bulk load: the planner's statistics and PostgreSQL's counts


# -- serve and scheduler --------------------------------------------------------------------


@click.command("serve")
@click.option("--port", type=int, default=None, help="端口（默认 JICENG_PORT 或 8080）")
@click.option("--bind", default=None, help="监听地址（默认 JICENG_BIND 或 127.0.0.1）")
@click.option("--workers", type=int, default=None, help="gunicorn 工作进程数（默认 JICENG_WORKERS 或 2）")
@click.option("--no-scheduler", is_flag=True, help="不在本机启动定时任务进程（生产环境由 jiceng scheduler 单独运行）")
@with_appcontext
def serve_command(port, bind, workers, no_scheduler):
    """用 gunicorn 启动控制台（默认同时启动定时任务进程）。"""
    cfg = current_app.config
    port = port or cfg["PORT"]
    bind = bind or cfg["BIND"]
    workers = workers or cfg["WORKERS"]
    children = []
    if not no_scheduler:
        children.append(subprocess.Popen([sys.executable, "-m", "console", "scheduler"]))
    gunicorn = subprocess.Popen([
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"{bind}:{port}",
        "--timeout", "120", "--access-logfile", "-",
        # Several consoles on one host would otherwise share one control socket path.
        "--no-control-socket", "console.wsgi:app",
    ])
    children.append(gunicorn)
    click.echo(f"控制台已启动：http://{bind}:{port}/ （Ctrl+C 停止）")

    def _stop(signum, frame):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    code = gunicorn.wait()
    _stop(None, None)
    for child in children:
        child.wait()
    sys.exit(code)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """运行定时任务进程（生产环境中全局只运行一个）。"""

    app = current_app._get_current_object()
    sched = scheduler.build(app)

    start_renderer()  # the first briefing is laid out by a warm process too
    click.echo(f"定时任务进程已启动（时区 {app.config['TIMEZONE']}，任务 {len(sched.get_jobs())} 个）")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass


# -- plugins --------------------------------------------------------------------------------

STATE_TITLES = {"enabled": "已启用", "disabled": "已停用", "failed": "加载失败"}


@click.group("plugins")
def plugins_group():
    """查看、启用、停用插件。"""


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    """列出已安装的插件及其状态。"""

    rows = plugins.info_rows()
    if not rows:
        click.echo("没有安装任何插件")
    for row in rows:
        requires = "、".join(row["requires"]) or "无"
        click.echo(f"{row['name']:<14}{row['title']}  版本 {row['version']}  "
                   f"{STATE_TITLES[row['state']]}  依赖：{requires}")
        click.echo(f"{'':<14}功能：{'、'.join(row['hooks'])}")
        if row["error"]:
            click.echo(f"{'':<14}错误：{row['error'].strip().splitlines()[-1]}")


def _switch(name: str, enabled: bool) -> None:
    _as_cli_actor()
    try:
        plugins.set_enabled(name, enabled)
    except plugins.PluginError as exc:
        _fail(exc.message)
    click.echo(f"已{'启用' if enabled else '停用'}插件 {name}")


@plugins_group.command("enable")
@click.argument("name")
@with_appcontext
def plugins_enable(name):
    """启用插件 NAME。"""
    _switch(name, True)


@plugins_group.command("disable")
@click.argument("name")
@with_appcontext
def plugins_disable(name):
    """停用插件 NAME（数据保留）。"""
    _switch(name, False)


# -- audit ----------------------------------------------------------------------------------


@click.group("audit")
def audit_group():
    """核验、归档审计日志（哈希链）。"""


@audit_group.command("verify")
@click.option("--archive", "archives", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="一并核验的归档文件（可多次给出，从最早的起）")
@with_appcontext
def audit_verify_command(archives):
    """沿哈希链核验审计日志，指出被改动、删除或绕过控制台插入的记录。"""

    report = audit_verify.verify(db.session, archives)
    db.session.rollback()  # read only: let go of the snapshot
    if report.archived_rows:
        click.echo(f"归档文件：核验 {report.archived_rows} 条")
    elif report.base_seq:
        click.echo(f"序号 1–{report.base_seq} 已归档（未给出归档文件，只核对了归档基点）")
    if report.rows:
        click.echo(f"数据库：核验 {report.rows} 条（序号 {report.first_seq}–{report.last_seq}）")
    if report.legacy:
        click.echo(f"另有 {report.legacy} 条启用哈希链之前写入的记录，无法证明其未被改动")
    if report.ok:
        click.secho("审计日志完整：哈希链未断，与外部链头记录一致", fg="green")
        return
    click.secho(f"审计日志被破坏，首个问题：{report.problems[0]}", fg="red", err=True)
    for problem in report.problems[1:20]:
        click.echo(f"  另：{problem}", err=True)
    if len(report.problems) > 20:
        click.echo(f"  …… 共 {len(report.problems)} 处问题", err=True)
    sys.exit(1)


@audit_group.command("archive")
@click.option("--before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="归档此日期（本地时间零点）之前的记录，须早于保留期（默认 180 天）")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="归档文件路径（默认 instance/audit-archive/audit-起-止.jsonl）")
@with_appcontext
def audit_archive_command(before, out):
    """把超过保留期的审计记录移入带签名的归档文件，哈希链跨归档仍可核验。"""

    _as_cli_actor()
    try:
        done = audit_archive.archive(before.date(), out)
    except ConsoleError as exc:
        _fail(exc.message)
    click.echo(f"已归档 {done.rows + done.legacy} 条记录（序号 {done.first_seq}–{done.last_seq}）到 "
               f"{done.name}")
    click.echo("请把归档文件另行备份；核验：jiceng audit verify --archive 归档文件")


# -- crypto ---------------------------------------------------------------------------------


@click.group("crypto")
def crypto_group():
    """受保护数据的加密模式与数据密钥：查看、迁移、轮换。"""


def _echo_columns(columns, done_word: str) -> None:
    for c in columns:
        click.echo(f"  {c.title}（{c.plugin}）：共 {c.rows} 条，{done_word} {c.rewritten} 条")


@crypto_group.command("status")
@with_appcontext
def crypto_status_command():
    """显示当前加密模式、数据密钥版本，以及尚未改用它们加密的数据条数。"""

    ring = crypto.keyring()
    click.echo(f"加密模式：{'国密（SM4-GCM、HMAC-SM3）' if ring.mode == 'sm' else '标准（AES-256-GCM、HMAC-SHA-256）'}"
               f"；数据密钥第 {ring.version} 版（可读版本：{'、'.join(map(str, sorted(ring.keys)))}）")
    columns = rekey.pending(db.session)
    db.session.rollback()
    _echo_columns(columns, "待迁移")
    if any(c.rewritten for c in columns):
        click.secho("有数据尚未按当前模式和密钥加密：请运行 jiceng crypto migrate", fg="yellow")
        sys.exit(1)


@crypto_group.command("migrate")
@with_appcontext
def crypto_migrate_command():
    """把受保护数据改用当前加密模式和最新数据密钥重新加密（一个事务，可重复运行）。"""

    _as_cli_actor()
    try:
        report = rekey.migrate()
    except ConsoleError as exc:
        _fail(exc.message)
    _echo_columns(report.columns, "重新加密")
    click.echo(f"完成：共重新加密 {report.rewritten} 条，均已解密核对")


@crypto_group.command("rotate")
@with_appcontext
def crypto_rotate_command():
    """生成新版本数据密钥（旧版本保留用于读取），并把受保护数据改用新密钥加密。"""

    _as_cli_actor()
    try:
        version, report = rekey.rotate()
    except ConsoleError as exc:
        _fail(exc.message)
    click.echo(f"已生成第 {version} 版数据密钥并写入 instance/data_key（旧版本保留，勿删除）")
    _echo_columns(report.columns, "重新加密")
    click.echo(f"完成：共重新加密 {report.rewritten} 条；请立即另行备份 instance/data_key")


# -- import ---------------------------------------------------------------------------------


@click.command("import")
@click.argument("plugin")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--skip-bad-rows", is_flag=True,
              help="跳过不合格的行、导入其余的行（默认：有一行不合格则不写入任何数据）")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="把不合格行报告（.xlsx：行号、列、原因、原始数据）写到此文件")
@with_appcontext
def import_command(plugin, kind, file, skip_bad_rows, report_path):
    """从 .xlsx 或 .csv 文件 FILE 导入插件 PLUGIN 的 KIND 数据（区划：console regions）。"""

    _as_cli_actor()
    if not os.path.isfile(file):
        _fail(f"文件不存在：{file}")
    try:
        importer = catalog.find(plugin, kind)
        click.echo(f"导入“{importer.title}”：{file} ...")
        result = imports.run(importer, file, plugin=plugin, all_or_nothing=not skip_bad_rows)
    except ConsoleError as exc:
        _fail(exc.message)
    for problem in result.problems[:20]:
        column = f"“{problem.column}”" if problem.column else ""
        click.echo(f"  第 {problem.row} 行{column}：{problem.reason}")
    if result.rows_rejected and len(result.problems) > 20:
        click.echo("  ……（完整列表见不合格行报告）")
    if report_path and result.report:
        with open(report_path, "wb") as fh:
            fh.write(result.report)
        click.echo(f"不合格行报告已写入 {report_path}")
    if result.state in ("rejected", "failed"):
        _fail(result.message)
    click.echo(result.message)


# -- briefing -------------------------------------------------------------------------------


@click.group("briefing")
def briefing_group():
    """生成工作简报（PDF）。"""


@briefing_group.command("run")
@click.option("--schedule", "schedule_id", type=int, help="立即按简报计划 ID 生成并发送给其收件人")
@click.option("--scope", "scope_text", help="简报范围：区划名称（昭通市、镇雄县）或区划代码")
@click.option("--period", "period_text", help="期间：月 2025-12，季度 2025Q4，年 2025")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="把 PDF 写到此文件")
@click.option("--appendix", is_flag=True, help="附上各模块的明细附录（如全部村的挂牌台账）；按计划生成时以计划的设置为准")
@with_appcontext
def briefing_run(schedule_id, scope_text, period_text, out_path, appendix):
    """生成一份简报：按计划（--schedule）或按范围与期间（--scope --period --out）。"""

    _as_cli_actor()
    briefing_cli.run(schedule_id, scope_text, period_text, out_path, fail=_fail, appendix=appendix)


# -- backup and restore ---------------------------------------------------------------------


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file):
    """把整个控制台（数据库，含照片和附件）备份到新文件 FILE；控制台运行时也可备份。"""

    try:
        manifest = backup.backup(file)
    except backup.BackupError as exc:
        _fail(exc.message)
    size = os.path.getsize(file) / 1024 / 1024
    click.echo(f"已备份 {backup.KIND_TITLES[manifest.database]} 数据库到 {file}（{size:.1f} MB，"
               f"数据库版本 {', '.join(manifest.heads)}）")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="数据库正在被其他进程使用时也恢复（默认拒绝）")
@click.option("--yes", is_flag=True, help="不询问，直接恢复")
@with_appcontext
def restore_command(file, force, yes):
    """用备份文件 FILE 替换当前数据库的全部内容（先停止控制台和定时任务进程）。"""

    try:
        manifest = backup.read_manifest(file)
        backup.check(manifest)
    except backup.BackupError as exc:
        _fail(exc.message)
    click.echo(f"备份文件：{backup.KIND_TITLES[manifest.database]} 数据库，生成于 {manifest.created_at}，"
               f"控制台 {manifest.console_version}")
    if not yes and not click.confirm("当前数据库的全部内容将被备份替换，确定恢复？"):
        _fail("已取消，未做任何修改")
    try:
        backup.restore(file, force=force)
    except backup.BackupError as exc:
        _fail(exc.message)

    click.echo(f"已从 {file} 恢复数据库")
    if not schema.is_current():
        click.echo("备份的数据库结构比本控制台旧：请运行 jiceng init 升级")


# -- doctor ---------------------------------------------------------------------------------


@click.command("doctor")
@with_appcontext
def doctor_command():
    """检查本机运行控制台所需的条件（Python、Pango、中文字体、数据库、密钥、时区、磁盘），缺少时给出修复方法。"""

    findings = doctor.run()
    for finding in findings:
        click.secho(finding.line(), fg=None if finding.ok else "red")
    missing = [f for f in findings if not f.ok]
    if missing:
        click.secho(f"有 {len(missing)} 项需要修复", fg="red", err=True)
        sys.exit(1)
    click.echo("全部正常")

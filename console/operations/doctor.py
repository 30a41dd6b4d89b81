"""``jiceng doctor``: what this host has and lacks for running the console, one finding per part.

Each finding says what was found and, when something is wrong, how to fix it on a Debian 12
host without internet (the offline bundle carries the Debian packages and the font).  It reads
and reports; it never changes the host or the database.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import warnings
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from console.database import schema
from console.foundation import crypto, fonts, settings
from console.foundation.extensions import db
from console.operations import rekey

PYTHON_MIN = (3, 11)
# WeasyPrint 70 refuses to lay out with an older Pango.
PANGO_MIN = (1, 44)
DISK_MIN_MB = 1024
SECRET_MIN_LENGTH = 32


@dataclass(frozen=True)
class Finding:
    title: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "正常" if self.ok else "缺少"
        text = f"[{mark}] {self.title}：{self.detail}"
        return text if self.ok else f"{text}。修复：{self.fix}"


def python_version(version_info=sys.version_info) -> Finding:
    found = ".".join(str(part) for part in version_info[:3])
    if tuple(version_info[:2]) >= PYTHON_MIN:
        return Finding("Python", True, f"{found}（{sys.executable}）")
    wanted = ".".join(map(str, PYTHON_MIN))
    return Finding("Python", False, f"{found}，低于要求的 {wanted}",
                   f"安装 Python {wanted} 或更新版本（Debian 12：apt-get install python3 python3-venv），"
                   "再用它重新运行 install.sh")


def pango_version() -> Finding:
    fix = ("安装 Pango：apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b；"
           "无网络时在离线包目录运行 dpkg -i debs/*.deb")
    try:
        with warnings.catch_warnings():
            # Its warning about HarfBuzz-Subset is reported as a finding of its own.
            warnings.simplefilter("ignore", DeprecationWarning)
            from weasyprint.text.ffi import pango
    except (ImportError, OSError) as exc:
        return Finding("Pango（PDF 排版）", False, f"WeasyPrint 无法加载 Pango（{_first_line(exc)}）", fix)
    number = pango.pango_version()  # major * 10000 + minor * 100 + micro
    parts = (number // 10000, number // 100 % 100)
    found = f"{parts[0]}.{parts[1]}.{number % 100}"
    if parts < PANGO_MIN:
        wanted = ".".join(map(str, PANGO_MIN))
        return Finding("Pango（PDF 排版）", False, f"版本 {found}，低于 WeasyPrint 要求的 {wanted}", fix)
    return Finding("Pango（PDF 排版）", True, f"版本 {found}")


def harfbuzz_subset() -> Finding:
    """Optional today: without it WeasyPrint subsets fonts with fontTools (slower), and says
    future versions will require it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from weasyprint.text.ffi import harfbuzz_subset
    except (ImportError, OSError):
        harfbuzz_subset = None
    if harfbuzz_subset is None:
        return Finding("HarfBuzz-Subset（字体子集）", True,
                       "未安装，可选：PDF 仍可生成，字体子集由 fontTools 完成（较慢）；"
                       "需要时 apt-get install libharfbuzz-subset0 或 dpkg -i 离线包 debs/ 中的同名包")
    return Finding("HarfBuzz-Subset（字体子集）", True, "已安装")


def cjk_font() -> Finding:
    title = f"简体中文字体（{fonts.CJK_FONT}）"
    shipped = fonts.shipped_font()
    if shipped:
        return Finding(title, True, f"随控制台安装：{shipped}")
    system = fonts.cjk_font()
    if system:
        return Finding(title, True, f"使用本机字体：{system}（未找到随控制台安装的字体，目录 {fonts.font_dir()}）")
    return Finding(title, False, "未找到：简报 PDF 中的中文会显示为空白方框",
                   f"重新运行离线包的 install.sh（字体装到 {fonts.font_dir()}），"
                   "或 apt-get install fonts-noto-cjk")


def database() -> Finding:
    url = db.engine.url.render_as_string(hide_password=True)
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # whatever the driver raises, the host cannot reach its database
        db.session.rollback()
        return Finding("数据库", False, f"{url} 无法连接（{_first_line(exc)}）",
                       "检查 JICENG_DATABASE_URL（地址、端口、用户、密码）与数据库服务是否在运行")
    try:
        current = schema.is_current()
    except Exception as exc:
        db.session.rollback()
        return Finding("数据库", False, f"{url} 可连接，但无法读取数据库版本（{_first_line(exc)}）",
                       "运行 jiceng init")
    if not current:
        return Finding("数据库", False, f"{url} 可连接，数据库结构不是最新", "运行 jiceng init")
    return Finding("数据库", True, f"{url} 可连接，数据库结构是最新的")


def secret_key(config=None, instance_path: str | None = None) -> Finding:
    config = current_app.config if config is None else config
    instance = Path(instance_path or current_app.instance_path)
    key = config.get("SECRET_KEY") or ""
    path = instance / "secret_key"
    fix_missing = (f"设置 JICENG_SECRET_KEY（至少 {SECRET_MIN_LENGTH} 个字符，各主机相同），"
                   f"或从备份恢复 {path}")
    if len(key) < SECRET_MIN_LENGTH:
        return Finding("会话密钥（SECRET_KEY）", False, f"长度 {len(key)}，太短" if key else "没有设置",
                       fix_missing)
    if "JICENG_SECRET_KEY" in os.environ:
        return Finding("会话密钥（SECRET_KEY）", True, "来自环境变量 JICENG_SECRET_KEY")
    if path.is_file() and path.read_text().strip() == key:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            return Finding("会话密钥（SECRET_KEY）", False, f"{path} 其他用户可读（权限 {mode:o}）",
                           f"chmod 600 {path}")
        return Finding("会话密钥（SECRET_KEY）", True, f"保存在 {path}（请与备份一起保管）")
    return Finding("会话密钥（SECRET_KEY）", True, "来自配置文件")


def data_key(config=None, instance: str | None = None) -> Finding:
    """The data key (console.foundation.crypto) is the audit chain's and the protected personal
    data's, apart from the session secret: present, well formed, readable by the console alone."""
    config = current_app.config if config is None else config
    path = Path(instance or current_app.instance_path) / "data_key"
    if config.get("DATA_KEY"):
        text, where = config["DATA_KEY"], "来自环境变量 JICENG_DATA_KEY"
    elif path.is_file():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            return Finding("数据加密密钥", False, f"{path} 其他用户可读（权限 {mode:o}）", f"chmod 600 {path}")
        text, where = path.read_text(), f"保存在 {path}"
    else:
        return Finding("数据加密密钥", False, f"没有设置 JICENG_DATA_KEY，也没有 {path}",
                       "运行 jiceng init 生成；从备份恢复时把原来的 data_key 放回该位置")
    try:
        keys = crypto.parse_keys(text)
    except crypto.DataKeyError as exc:
        return Finding("数据加密密钥", False, str(exc),
                       "恢复原来的密钥（不可另生成：已加密的数据与审计链都要用它）")
    return Finding("数据加密密钥", True,
                   f"{where}，当前版本 {max(keys)}（请与备份分开保管）")


def protected_data() -> Finding:
    """Every protected value is under the current mode and key: after a change of
    JICENG_CRYPTO or a new key version, ``jiceng crypto migrate`` has been run."""
    title = "受保护数据加密"
    try:
        columns = rekey.pending(db.session)
    except Exception as exc:  # no database or no tables yet: the database finding says why
        return Finding(title, False, f"无法读取（{_first_line(exc)}）", "先按“数据库”一项修复")
    finally:
        db.session.rollback()
    ring = crypto.keyring()
    where = f"{'国密' if ring.mode == 'sm' else '标准'}模式、第 {ring.version} 版数据密钥"
    left = sum(c.rewritten for c in columns)
    if left:
        return Finding(title, False, f"{left} 条数据不是按{where}加密的", "运行 jiceng crypto migrate")
    return Finding(title, True, f"{sum(c.rows for c in columns)} 条均按{where}加密")


def time_zone(config=None) -> Finding:
    config = current_app.config if config is None else config
    name = config.get("TIMEZONE") or ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return Finding("时区", False, f"无法识别“{name}”",
                       "安装 tzdata（apt-get install tzdata），或把 JICENG_TIMEZONE 设为如 Asia/Shanghai")
    return Finding("时区", True, f"{name}（定时任务与简报按此时区）")


def base_url(config=None) -> Finding:
    config = current_app.config if config is None else config
    title = "对外访问地址（BASE_URL）"
    if (config.get("BASE_URL") or "").strip():
        return Finding(title, True, f"{settings.base_url(config)}（简报、邮件与二维码中的链接）")
    if settings.serves_other_hosts(config):
        # create_app refuses this already; kept for a configuration checked on its own.
        return Finding(title, False, "没有设置，而控制台对外提供服务：简报中的链接会指向本机",
                       "设置 JICENG_BASE_URL，如 https://jiceng.example.gov.cn")
    return Finding(title, True, f"没有设置，使用本机地址 {settings.base_url(config)}"
                   "（仅本机访问时可用；对外提供服务前请设置 JICENG_BASE_URL）")


def free_disk(path: str | None = None, minimum_mb: int = DISK_MIN_MB) -> Finding:
    path = path or current_app.instance_path
    free = shutil.disk_usage(path).free // (1024 * 1024)
    if free < minimum_mb:
        return Finding("磁盘空间", False, f"{path} 所在磁盘只剩 {free} MB，少于 {minimum_mb} MB",
                       "清理该磁盘（旧备份、日志）或把实例目录（JICENG_INSTANCE_PATH）移到更大的磁盘")
    return Finding("磁盘空间", True, f"{path} 所在磁盘剩余 {free} MB")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def run() -> list[Finding]:
    """Every check, in the order a deployer fixes them (in an app context)."""
    return [python_version(), pango_version(), harfbuzz_subset(), cjk_font(), database(), secret_key(), data_key(),
            protected_data(), time_zone(), base_url(), free_disk()]

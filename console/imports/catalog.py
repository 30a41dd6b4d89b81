"""Which importers exist: the core's own and those of the enabled plugins."""

from __future__ import annotations

from console.foundation.errors import NotFound
from console.imports.pipeline import CORE, Importer
from console.imports.regions import region_importer
from console.plugins import manager as plugins


def available() -> dict[tuple[str, str], Importer]:
    """Every importer of the core and of the enabled plugins: ``{(plugin, kind): importer}``."""
    found: dict[tuple[str, str], Importer] = {(CORE, i.kind): i for i in core_importers()}
    for name, importers in plugins.call("importers"):
        for importer in importers or ():
            found[(name, importer.kind)] = importer
    return found


def find(plugin: str, kind: str) -> Importer:
    """The importer ``kind`` of ``plugin``, or a Chinese refusal naming what exists."""
    known = available()
    if (plugin, kind) in known:
        return known[(plugin, kind)]
    kinds = [k for p, k in known if p == plugin]
    if kinds:
        raise NotFound(f"“{plugin}”没有名为“{kind}”的导入类型。可用：{'、'.join(sorted(kinds))}")
    plugins_ = sorted({p for p, _ in known})
    raise NotFound(f"没有可导入数据的插件“{plugin}”（插件未安装或未启用）。可用：{'、'.join(plugins_)}")


def plugin_title(plugin: str) -> str:
    if plugin == CORE:
        return "系统"
    info = plugins.registry().infos.get(plugin)
    return info.title if info else plugin


def title_of(plugin: str, kind: str) -> str:
    """“村名牌 · 挂牌白名单”: what a user reads for the importer a job or a log row names."""
    importer = available().get((plugin, kind))
    return f"{plugin_title(plugin)} · {importer.title if importer else '已停用的导入类型'}"


def audit_title(entity: str | None, entity_id: str | None) -> tuple[str, str] | None:
    """An import's log row names its importer as "plugin.kind"."""
    plugin, dot, kind = (entity or "").partition(".")
    if not dot:
        return None
    return f"导入 · {title_of(plugin, kind)}", f"#{entity_id}" if entity_id else ""


def core_importers() -> list[Importer]:
    return [region_importer()]

"""Per-plugin settings: declared by the plugin (``PluginInfo.settings``), kept in the database,
edited on the plugins page by the plugin's module owner."""

from __future__ import annotations

import copy
import json
from typing import Any

from console.audit import log as audit
from console.database import copies as worker_cache
from console.foundation.extensions import db
from console.plugins.manager import PluginError, registry, require_known
from console.plugins.models import PluginSetting


def _declared(plugin: str, key: str):
    for setting in registry().infos[plugin].settings:
        if setting.key == key:
            return setting
    raise KeyError(f"{plugin} declares no setting {key!r}")


def get(plugin: str, key: str) -> Any:
    """The stored value, or the declared default."""
    _declared(plugin, key)
    # A copy: "lines" settings are lists, which the caller may change.
    return copy.deepcopy(_current(plugin)[key])


def values(plugin: str) -> dict[str, Any]:
    """Every setting of ``plugin``."""
    return copy.deepcopy(_current(plugin))


def _current(plugin: str) -> dict[str, Any]:
    # From this worker's copy of every plugin's stored values (see worker_cache): a page may
    # read a setting once per row it shows.
    info = registry().infos[plugin]
    stored = worker_cache.cached("plugin_settings", _read_stored).get(plugin, {})
    return {s.key: stored.get(s.key, s.default) for s in info.settings}


def _read_stored() -> dict[str, dict[str, Any]]:
    stored: dict[str, dict[str, Any]] = {}
    for plugin, key, value in db.session.query(PluginSetting.plugin, PluginSetting.key, PluginSetting.value):
        stored.setdefault(plugin, {})[key] = json.loads(value)
    return stored


def save(plugin: str, submitted: dict[str, Any]) -> dict[str, str]:
    """Validate every declared setting; save all or none.  Returns ``{key: message}`` errors."""
    info = require_known(plugin)
    errors, parsed = {}, {}
    for setting in info.settings:
        try:
            parsed[setting.key] = setting.parse(submitted.get(setting.key))
        except PluginError as exc:
            errors[setting.key] = exc.message
    if errors:
        return errors
    before = values(plugin)
    for key, value in parsed.items():
        row = db.session.get(PluginSetting, (plugin, key)) or PluginSetting(plugin=plugin, key=key)
        row.value = json.dumps(value, ensure_ascii=False)
        db.session.add(row)
    changed = {k: [before.get(k), v] for k, v in parsed.items() if before.get(k) != v}
    if changed:
        audit.record("settings", entity="plugin", entity_id=plugin,
                     summary=f"修改插件“{info.title}”的设置", changes=changed)
    db.session.commit()
    return {}

"""Every plugin has the one skeleton of docs/plugins.md: the same file for the same job.

A reader who knows one plugin knows where everything is in all of them; these tests keep it so
for the built-ins (which have every part) and for the example plugin (which has the parts it
needs, each where the skeleton puts it).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
from pathlib import Path

import pytest

from console.plugins.manager import ENTRY_POINT_GROUP, registry

BUILT_INS = ("visits", "nameplates", "talent")
PLUGINS = (*BUILT_INS, "example")  # the built-ins and the example plugin

# The skeleton, as docs/plugins.md draws it: module or package -> its job.
SKELETON = {
    "__init__.py": "what the module is",
    "hooks.py": "every hook implementation",
    "settings.py": "the module owner's settings",
    "errors.py": "the module's refusals",
    "models.py": "tables",
    "services": "rules and transactions",
    "stats.py": "the counts the dashboard and the briefing share",
    "dashboard.py": "cards",
    "briefing.py": "briefing sections",
    "data_import.py": "importers",
    "jobs.py": "scheduled jobs",
    "demo.py": "demo rows",
    "views": "pages and REST APIs",
    "templates": "page templates",
    "migrations": "the module's Alembic branch",
}


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _folder(name: str) -> Path:
    return Path(importlib.import_module(_entry_points()[name].value).__file__).parent


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name != "__pycache__" and not p.name.startswith(".")}


def _defines_hooks(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef) and any(ast.unparse(d) == "hookimpl" for d in node.decorator_list)
        for node in ast.walk(tree)
    )


@pytest.mark.parametrize("name", BUILT_INS)
def test_every_built_in_has_every_part_of_the_skeleton(name):
    folder = _folder(name)
    missing = sorted(part for part in SKELETON if not (folder / part).exists())
    assert not missing, f"{name} lacks {missing}"
    assert (folder / "services" / "__init__.py").is_file()
    assert (folder / "views" / "__init__.py").is_file()
    assert (folder / "templates" / name).is_dir(), "templates live in templates/<plugin>/"
    assert (folder / "migrations" / "versions").is_dir()


@pytest.mark.parametrize("name", PLUGINS)
def test_a_plugin_has_nothing_beside_the_skeleton(name):
    """A rule module at the package's root would be a second place for rules: it goes in
    services/, a page helper in views/."""
    extra = sorted(_entries(_folder(name)) - set(SKELETON))
    assert not extra, f"{name} has {extra} outside the skeleton"


@pytest.mark.parametrize("name", PLUGINS)
def test_the_entry_point_names_the_hooks_module_and_only_it_implements_hooks(name):
    ep = _entry_points()[name]
    assert ep.value.endswith(".hooks"), ep.value
    folder = _folder(name)
    package = importlib.import_module(ep.value.rsplit(".", 1)[0])
    assert package.NAME == name, "one name: the entry point, NAME, the URL prefix, the permissions"
    others = [p for p in folder.rglob("*.py") if p.name != "hooks.py" and "migrations" not in p.parts]
    assert [str(p.relative_to(folder)) for p in others if _defines_hooks(p)] == []


@pytest.mark.parametrize("name", PLUGINS)
def test_every_page_of_a_plugin_is_under_its_own_name(app, name):
    """/<plugin>/... for every page and API of the plugin (talent's old URLs only redirect)."""
    reg = registry(app)
    blueprints = {bp for bp, owner in reg.blueprints.items() if owner == name}
    assert blueprints, f"{name} registered no page"
    outside = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in blueprints
        and not (rule.rule.startswith(f"/{name}/") or rule.rule.startswith(f"/api/v1/{name}_"))
    )
    assert not outside, f"{name} serves {outside} outside /{name}/"


def _commits(path: Path) -> list[int]:
    """Lines of ``path`` that commit or roll back a session themselves."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in {"commit", "rollback"}]


@pytest.mark.parametrize("name", PLUGINS)
def test_views_jobs_and_importers_never_commit(name):
    """The unit of work is the service's (console.unit_of_work): a view, a job or an importer
    that committed would split one user action into several transactions."""
    folder = _folder(name)
    paths = [*(folder / "views").rglob("*.py")] if (folder / "views").exists() else []
    paths += [folder / f for f in ("views.py", "api.py", "jobs.py", "data_import.py", "hooks.py", "dashboard.py")
              if (folder / f).exists()]
    offenders = [f"{p.relative_to(folder)}:{line}" for p in paths for line in _commits(p)]
    assert offenders == []


def test_the_commit_check_finds_a_commit(tmp_path):
    view = tmp_path / "view.py"
    view.write_text("def post(self):\n    db.session.add(row)\n    db.session.commit()\n", encoding="utf-8")
    assert _commits(view) == [3]

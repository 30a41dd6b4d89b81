"""The shape of the code: the import contracts in .importlinter, the rule that models import
only models and the foundations, one clock, and the public API a plugin imports."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import console

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([LINT_IMPORTS, "--no-logo", "--no-cache", "--config", str(tree / ".importlinter")],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def tree_copy(tmp_path):
    """The console and the built-in plugins, copied, to be broken on purpose (the plugins where
    they are installed: jiceng/plugins)."""
    for name, target in (("console", "console"), ("plugins", "jiceng/plugins")):
        shutil.copytree(ROOT / name, tmp_path / target, ignore=shutil.ignore_patterns(
            "__pycache__", "static", "templates", "translations"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_import_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _add_import(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")


@pytest.mark.parametrize(("module", "bad", "contract"), [
    # upward: the foundation reaching for the dashboard
    ("console/foundation/errors.py", "from console.web import dashboard", "are layered"),
    # a cycle inside one package
    ("console/imports/pipeline.py", "from console.imports import catalog", "No import cycles"),
    # the core naming a plugin
    ("console/web/dashboard.py", "import jiceng.plugins.visits", "never imports a plugin"),
    # a plugin reaching past the public API
    ("jiceng/plugins/talent/stats.py", "from console.database import copies", "public API"),
    # one plugin importing another
    ("jiceng/plugins/talent/stats.py", "from jiceng.plugins.visits import models", "never import each other"),
    # a view module imported by something other than the app factory
    ("console/web/health.py", "from console.files import views", "Only the app factory"),
])
def test_the_contracts_fail_on_a_bad_import(tree_copy, module, bad, contract):
    _add_import(tree_copy / module, bad)
    result = _lint(tree_copy)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


def _models_imports(graph) -> dict[str, list[str]]:
    allowed = ("console.foundation", "console.database")
    found = {}
    for module in sorted(graph.modules):
        if module.rsplit(".", 1)[-1] == "models":
            bad = [m for m in graph.find_modules_directly_imported_by(module)
                   if m != "console" and not m.startswith(allowed) and m.rsplit(".", 1)[-1] != "models"]
            if bad:
                found[module] = bad
    return found


def test_models_import_only_models_and_the_foundations():
    assert _models_imports(grimp.build_graph("console", "jiceng.plugins")) == {}


def test_the_models_rule_fails_on_a_model_importing_rules(tree_copy, monkeypatch):
    _add_import(tree_copy / "jiceng/plugins/visits/models.py", "from jiceng.plugins.visits import stats")
    monkeypatch.syspath_prepend(str(tree_copy))
    for name in [m for m in sys.modules if m == "jiceng" or m.startswith("jiceng.")]:
        monkeypatch.delitem(sys.modules, name)
    graph = grimp.build_graph("console", "jiceng.plugins", cache_dir=None)
    assert _models_imports(graph) == {"jiceng.plugins.visits.models": ["jiceng.plugins.visits.stats"]}


# The server's clock is UTC on most servers, eight hours behind Zhaotong: a date or a time of day
# read from it is the wrong day for a third of every day.
SYSTEM_CLOCK = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|datetime\.today)\(")


def test_only_the_clock_module_reads_the_system_clock():
    clock = ROOT / "console/foundation/clock.py"
    offenders = []
    for folder in ("console", "plugins", "tests", "bench", "migrations"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == clock or path == Path(__file__):
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if SYSTEM_CLOCK.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_public_api_declares_what_it_exports():
    assert sorted(set(console.__all__)) == sorted(console.__all__)
    for name in console.__all__:
        assert hasattr(console, name), name


def test_the_public_api_is_documented():
    doc = (ROOT / "docs/plugins.md").read_text()
    missing = [name for name in console.__all__ if f"`{name}" not in doc]
    assert missing == []


def test_plugins_import_from_the_console_package_alone():
    """What a plugin imports from the core, spelled out: ``from console import ...``."""
    deeper = []
    trees = [ROOT / "plugins", ROOT / "tests/example_plugin/jiceng_example"]
    for tree in trees:
        for path in sorted(tree.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                        and node.module.startswith("console."):
                    deeper.append(f"{path.relative_to(ROOT)}: from {node.module}")
                elif isinstance(node, ast.Import):
                    deeper += [f"{path.relative_to(ROOT)}: import {a.name}" for a in node.names
                               if a.name.startswith("console.")]
    assert deeper == []


def _imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_nothing_imports_config_or_plugins_as_top_level_modules():
    """Installed, they are ``jiceng.config`` and ``jiceng.plugins``: a top-level ``config`` or
    ``plugins`` would be another distribution's, or the checkout's by accident of the path."""
    offenders = []
    for folder in ("console", "plugins", "tests", "bench", "migrations"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in _imported_modules(path)
                          if name.split(".")[0] in ("config", "plugins")]
    assert offenders == []


def test_the_installed_package_list_is_the_tree():
    """pyproject.toml lists its packages (the repository's top level maps onto ``jiceng``): a
    package added to the tree and not to the list would be missing from the wheel."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    folders = {name: ROOT / folder for name, folder in setuptools["package-dir"].items()}
    in_tree = {".".join(p.parent.relative_to(ROOT / "console").parts) for p in (ROOT / "console").rglob("__init__.py")}
    in_tree = {f"console.{name}".rstrip(".") for name in in_tree} | {"console"} - {"console."}
    for name in ("jiceng.plugins", "jiceng.migrations"):
        for init in folders[name].rglob("__init__.py"):
            in_tree.add(".".join([name, *init.parent.relative_to(folders[name]).parts]))
    in_tree.add("jiceng")
    assert listed == {n for n in in_tree if n}

"""The console's message catalogs (``console/translations``): Simplified Chinese first, English too.

Flask-AppBuilder's own zh catalog dates from 2015 and leaves Add/Show/Edit/Delete and many more
in English.  The console's catalog therefore carries every msgid Flask-AppBuilder uses, besides
the console's own ones.  FAB's BabelManager sets ``BABEL_TRANSLATION_DIRECTORIES`` to
``<fab>;<ours>`` and Flask-Babel 4 merges the catalogs in that order, a later one overriding an
earlier one (measured, see tests/test_i18n.py): so for any msgid both define, ours is shown.

The ``.mo`` files are build products (git-ignored).  ``compile_catalogs`` rebuilds any that is
missing or older than its ``.po``; ``make`` runs ``pybabel compile`` and the app factory and the
tests call ``ensure_compiled`` so a fresh checkout never serves English by accident.

Keeping the catalog complete after a Flask-AppBuilder upgrade or a new template::

    python -m console.i18n update     # add new msgids (FAB's and ours), keep translations
    python -m console.i18n missing    # list msgids still without a Chinese translation
    python -m console.i18n compile
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

log = logging.getLogger(__name__)

CONSOLE_DIR = Path(__file__).resolve().parent.parent
TRANSLATIONS = CONSOLE_DIR / "translations"
DOMAIN = "messages"
# Every name Flask-AppBuilder and the console call gettext by.
KEYWORDS = {
    "_": None, "gettext": None, "lazy_gettext": None, "__": None, "lazy_formatter_gettext": None,
    "ngettext": (1, 2),
}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def catalog_paths(directory: Path = TRANSLATIONS) -> list[Path]:
    return sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def stale_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """The ``.po`` files whose ``.mo`` is missing or older than they are."""
    stale = []
    for po in catalog_paths(directory):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalog(po: Path) -> Path:
    mo = po.with_suffix(".mo")
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name)
    # Written beside the target and renamed: workers starting together never read half a file.
    fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return mo


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every stale catalog; returns the ``.mo`` files written."""
    return [compile_catalog(po) for po in stale_catalogs(directory)]


def ensure_compiled(app=None) -> None:
    """Compile stale catalogs, but never stop the console over it (a read-only install)."""
    try:
        written = compile_catalogs()
    except OSError:
        log.warning("message catalogs in %s could not be compiled; run `pybabel compile -d %s`",
                    TRANSLATIONS, TRANSLATIONS, exc_info=True)
        return
    if written:
        log.info("compiled message catalogs: %s", ", ".join(str(p) for p in written))


def fab_dir() -> Path:
    import flask_appbuilder

    return Path(flask_appbuilder.__file__).resolve().parent


def extract(directory: Path, prefix: str) -> Catalog:
    """The msgids used in ``directory``'s Python code and Jinja templates."""
    catalog = Catalog()
    options = {"**/templates/**.html": {"encoding": "utf-8"}}
    for filename, lineno, message, comments, context in extract_from_dir(
        directory, METHODS, options, KEYWORDS,
        directory_filter=lambda d: not d.endswith(("__pycache__", "translations", "static")),
    ):
        catalog.add(message, None, [(f"{prefix}/{filename}", lineno)], context=context)
    return catalog


def fab_messages() -> Catalog:
    return extract(fab_dir(), "flask_appbuilder")


def template() -> Catalog:
    """Flask-AppBuilder's msgids followed by the console's own."""
    combined = Catalog(project="jiceng-console", charset="utf-8")
    for source in (fab_messages(), extract(CONSOLE_DIR, "console")):
        for message in source:
            if message.id:
                combined.add(message.id, None, message.locations, context=message.context)
    return combined


def update(directory: Path = TRANSLATIONS) -> None:
    """Add new msgids to every catalog, keeping translations and manual entries."""
    pot = template()
    for po in catalog_paths(directory):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        for message in pot:
            if message.id and message.id not in catalog:
                catalog.add(message.id, "", message.locations, context=message.context)
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=False, omit_header=False)


def missing(locale: str = "zh", directory: Path = TRANSLATIONS) -> list[str]:
    """msgids that Flask-AppBuilder or the console use and the catalog does not translate."""
    with (directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fh:
        catalog = read_po(fh)
    return [m.id for m in template() if m.id and not (catalog.get(m.id) and catalog.get(m.id).string)]


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "update":
        update()
    elif command == "compile":
        for po in catalog_paths():
            print(compile_catalog(po))
    elif command == "missing":
        ids = missing()
        print("\n".join(ids))
        return 1 if ids else 0
    else:
        print("用法: python -m console.i18n update|missing|compile", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

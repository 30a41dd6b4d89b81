"""三送三进: a module of the console, registered through the ``console.plugins`` entry point."""

from pathlib import Path

from console import PluginInfo, hookimpl

from . import models  # noqa: F401 - the metadata must know the tables at start-up

NAME = "visits"


@hookimpl
def plugin_info():
    return PluginInfo(
        name=NAME,
        title="三送三进",
        version="0.1.0",
        migrations=str(Path(__file__).parent / "migrations" / "versions"),
    )

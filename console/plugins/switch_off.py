"""What switching a module off stops, said to the person about to do it."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from console.plugins import manager as plugins


@dataclass
class Consequences:
    title: str
    pages: list[str] = field(default_factory=list)
    briefing: bool = False
    cards: bool = False
    jobs: list[str] = field(default_factory=list)
    importers: list[str] = field(default_factory=list)
    dependants: list[str] = field(default_factory=list)


def what_stops(name: str) -> Consequences:
    """Everything of module ``name`` that stops when it is switched off, in Chinese."""
    info = plugins.require_known(name)
    reg = plugins.registry()
    found = Consequences(title=info.title)
    for item in current_app.appbuilder.menu.get_list():
        for child in item.childs or ():
            if reg.menu_names.get(child.name) == name and child.label:
                found.pages.append(str(child.label))
    hooks = set(reg.hooks_of(name))
    found.briefing = "briefing_sections" in hooks
    found.cards = "dashboard_cards" in hooks
    for owner, jobs in plugins.call("scheduled_jobs", include_disabled=True):
        if owner == name:
            found.jobs = [job.title for job in jobs or ()]
    for owner, importers in plugins.call("importers", include_disabled=True):
        if owner == name:
            found.importers = [importer.title for importer in importers or ()]
    states = plugins.states()
    found.dependants = [other.title for other in reg.infos.values()
                        if name in other.requires and states.get(other.name, False)]
    return found

"""Turning the phone form's fields into an :class:`InspectionInput`, and back for re-display."""

from __future__ import annotations

import uuid

from console import clock

from ..models import Inspection
from ..services.inspections import InspectionInput, PlaqueInput


def new_client_id() -> str:
    return str(uuid.uuid4())


def _int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def from_form(form) -> InspectionInput:
    """Whitelist plaques are ticked (``found`` = "name|position"); the others come as rows of
    ``extra_name`` / ``extra_position`` / ``extra_action``."""
    plaques = []
    for value in form.getlist("found"):
        name, _, position = value.partition("|")
        plaques.append(PlaqueInput(name, position or "outside"))
    names = form.getlist("extra_name")
    positions = form.getlist("extra_position")
    actions = form.getlist("extra_action")
    for i, name in enumerate(names):
        if name.strip():
            plaques.append(PlaqueInput(name, positions[i] if i < len(positions) else "outside",
                                       actions[i] if i < len(actions) and actions[i] else None))
    certificates = [line for line in (form.get("certificates") or "").splitlines() if line.strip()]
    certificates += [c for c in form.getlist("certificate") if c.strip()]
    return InspectionInput(
        client_id=form.get("client_id", ""),
        village_id=_int(form.get("village_id"), None),
        level=form.get("level", ""),
        inspected_on=form.get("inspected_on", ""),
        plaques=plaques,
        certificates=certificates,
        wall_boards=form.get("wall_boards") or 0,
        wall_boards_ok=form.get("wall_boards_ok", "1") == "1",
        wall_boards_note=form.get("wall_boards_note"),
        latitude=form.get("latitude") or None,
        longitude=form.get("longitude") or None,
        responsible_person=form.get("responsible_person"),
        note=form.get("note"),
    )


def blank(level: str) -> dict:
    return {"client_id": new_client_id(), "village_id": None, "level": level,
            "inspected_on": clock.today().isoformat(), "found": set(), "extra": [],
            "certificates": "", "wall_boards": 0, "wall_boards_ok": True, "wall_boards_note": "",
            "latitude": "", "longitude": "", "responsible_person": "", "note": ""}


def values_of(data: InspectionInput, whitelist_keys: set[str]) -> dict:
    """What the user typed, to fill the form again after a refusal."""
    found, extra = set(), []
    for p in data.plaques:
        key = f"{p.name}|{p.position}"
        if key in whitelist_keys and p.action is None:
            found.add(key)
        else:
            extra.append({"name": p.name, "position": p.position, "action": p.action or "remove"})
    return {"client_id": data.client_id, "village_id": data.village_id, "level": data.level,
            "inspected_on": str(data.inspected_on), "found": found, "extra": extra,
            "certificates": "\n".join(data.certificates), "wall_boards": data.wall_boards,
            "wall_boards_ok": data.wall_boards_ok, "wall_boards_note": data.wall_boards_note or "",
            "latitude": data.latitude or "", "longitude": data.longitude or "",
            "responsible_person": data.responsible_person or "", "note": data.note or ""}


def values_from(inspection: Inspection) -> dict:
    found, extra = set(), []
    for p in inspection.plaques:
        if p.on_whitelist:
            found.add(f"{p.name}|{p.position}")
        else:
            extra.append({"name": p.name, "position": p.position, "action": p.action})
    return {"client_id": inspection.client_id, "village_id": inspection.region_id, "level": inspection.level,
            "inspected_on": inspection.inspected_on.isoformat(), "found": found, "extra": extra,
            "certificates": "\n".join(c.name for c in inspection.certificates),
            "wall_boards": inspection.wall_boards, "wall_boards_ok": inspection.wall_boards_ok,
            "wall_boards_note": inspection.wall_boards_note or "",
            "latitude": inspection.latitude or "", "longitude": inspection.longitude or "",
            "responsible_person": inspection.responsible_person or "", "note": inspection.note or ""}

"""The on-screen watermark of the signed-in user on pages that show personal information.

A view says it shows personal information (full identity or phone numbers, 个人信息保护法) with
``personal_data = True``; its pages then carry the reader's name, account and the time, tiled
faintly over the whole page (a screenshot or a photo of the screen names who took it).  The tile
is an SVG drawn here, sent as a data: URL, so nothing is fetched and clicks pass through it.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from flask import current_app, g, request

from console.foundation import clock

_KEY = "console.personal_blueprints"


def _personal_blueprints(app) -> frozenset[str]:
    found = app.extensions.get(_KEY)
    if found is None:
        found = app.extensions[_KEY] = frozenset(
            view.blueprint.name for view in app.appbuilder.baseviews
            if getattr(view, "personal_data", False) and getattr(view, "blueprint", None) is not None)
    return found


def text_for(user) -> str:
    name = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    who = f"{name} {user.username}" if name else user.username
    return f"{who} {clock.now():%Y-%m-%d %H:%M}"


def tile(text: str) -> str:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="360" height="220">'
           '<text x="30" y="130" transform="rotate(-22 180 110)" font-size="16" '
           'font-family="Noto Sans CJK SC, Source Han Sans SC, sans-serif" fill="rgba(0,0,0,0.10)">'
           f"{escape(text)}</text></svg>")
    return "data:image/svg+xml;charset=utf-8," + quote(svg)


def current() -> dict:
    user = getattr(g, "user", None)
    if (user is None or not getattr(user, "is_authenticated", False)
            or request.blueprint not in _personal_blueprints(current_app)):
        return {"personal_watermark": None}
    text = text_for(user)
    return {"personal_watermark": {"text": text, "tile": tile(text)}}


def install(app) -> None:
    app.context_processor(current)

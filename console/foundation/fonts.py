"""The Simplified-Chinese font the console draws with: WeasyPrint's briefings and the health
check.  Without one WeasyPrint draws empty boxes and says nothing, so it is looked up loudly.
Kept free of the app's imports: the briefing renderer's process starts with it."""

from __future__ import annotations

import functools
import subprocess

CJK_FONT = "Noto Sans CJK SC"


def _match(pattern: str, fmt: str) -> str:
    try:
        return subprocess.run(["fc-match", "-f", fmt, pattern], capture_output=True, text=True,
                              timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The file of the Simplified-Chinese font WeasyPrint will use, or None."""
    family, _, path = _match(f"{CJK_FONT}:lang=zh-cn", "%{family}|%{file}").partition("|")
    return path if CJK_FONT in family else None


def cjk_font_face(bold: bool = False) -> tuple[str, int]:
    """The font file and its index in a collection (.ttc) for the regular or bold face."""
    style = ":bold" if bold else ""
    path, _, index = _match(f"{CJK_FONT}:lang=zh-cn{style}", "%{file}|%{index}").partition("|")
    if not path:
        raise RuntimeError(f"fc-match found no font for {CJK_FONT}")
    return path, int(index or 0)

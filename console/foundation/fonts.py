"""The Simplified-Chinese font the console draws with: WeasyPrint's briefings and the health
check.  Without one WeasyPrint draws empty boxes and says nothing, so it is looked up loudly.
Kept free of the app's imports: the briefing renderer's process starts with it.

The offline bundle (deploy/) ships the face itself into ``<venv>/share/jiceng/fonts`` so that
briefings do not depend on what the host has installed; briefings load it through
``@font-face`` and the host's fontconfig family is the fallback when it is not there."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

CJK_FONT = "Noto Sans CJK SC"
# The single faces the bundle cuts out of Debian's NotoSansCJK-*.ttc collections.
SHIPPED_FILES = {False: "NotoSansCJKsc-Regular.otf", True: "NotoSansCJKsc-Bold.otf"}


def font_dir() -> str:
    """Where shipped font files are looked for: ``JICENG_FONT_DIR``, else the installation's
    own ``share/jiceng/fonts`` (beside the interpreter, so the renderer's process agrees)."""
    return os.environ.get("JICENG_FONT_DIR") or os.path.join(sys.prefix, "share", "jiceng", "fonts")


def shipped_font(bold: bool = False) -> str | None:
    """The shipped font file of the regular or bold face, or None when none is installed."""
    path = os.path.join(font_dir(), SHIPPED_FILES[bold])
    return path if os.path.isfile(path) else None


def shipped_faces() -> list[dict]:
    """The ``@font-face`` rules briefings declare: the file's URL and its weight."""
    return [{"url": Path(path).as_uri(), "weight": "bold" if bold else "normal"}
            for bold in (False, True) if (path := shipped_font(bold))]


def _match(pattern: str, fmt: str) -> str:
    try:
        return subprocess.run(["fc-match", "-f", fmt, pattern], capture_output=True, text=True,
                              timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The file of the Simplified-Chinese font WeasyPrint will use, or None."""
    shipped = shipped_font()
    if shipped:
        return shipped
    family, _, path = _match(f"{CJK_FONT}:lang=zh-cn", "%{family}|%{file}").partition("|")
    return path if CJK_FONT in family else None


def cjk_font_face(bold: bool = False) -> tuple[str, int]:
    """The font file and its index in a collection (.ttc) for the regular or bold face."""
    shipped = shipped_font(bold)
    if shipped:
        return shipped, 0
    style = ":bold" if bold else ""
    path, _, index = _match(f"{CJK_FONT}:lang=zh-cn{style}", "%{file}|%{index}").partition("|")
    if not path:
        raise RuntimeError(f"fc-match found no font for {CJK_FONT}")
    return path, int(index or 0)

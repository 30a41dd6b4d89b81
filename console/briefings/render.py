"""HTML to PDF with WeasyPrint, in a child process with a time and a memory budget.

A 28-page report peaked near 400 MiB (measured): a huge briefing must not take a web worker
or the scheduler down, so the layout runs in a process of its own (forked from a server that
has WeasyPrint loaded, see ``console.foundation.children``) which limits its own address space
(RLIMIT_AS) and is killed when it overruns its time.  ``render_html`` is one plain layout in the calling process,
for the benchmark.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable

from console.foundation import children
from console.foundation.errors import ConsoleError
from console.foundation.fonts import cjk_font

log = logging.getLogger(__name__)

FONT = "Noto Sans CJK SC"
EXIT_MEMORY = 3
EXIT_FAILED = 2
EXIT_NO_FONT = 4
NO_FONT = (f"本机没有安装简体中文字体“{FONT}”（Debian/Ubuntu：apt install fonts-noto-cjk），"
           "生成的简报会显示为空白方框，已停止生成")


class RenderError(ConsoleError):
    """The PDF could not be made; ``message`` says why, in Chinese."""


@dataclass(frozen=True)
class RenderResult:
    pdf: bytes
    pages: int
    peak_rss: int = 0  # bytes: the largest rendering process's peak resident memory
    cpu: float = 0.0  # seconds of user and system time in the rendering processes


def render_html(html: str, base_url: str | None = None, font_config=None) -> RenderResult:
    """Lay ``html`` out and write the PDF, here in this process: one plain WeasyPrint call."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render(font_config=font_config)
    return RenderResult(document.write_pdf(), len(document.pages), children.peak_rss())


def font_installed() -> bool:
    """Asked in the rendering process itself: the font must be where the layout happens."""

    return cjk_font() is not None


# -- the rendering processes -----------------------------------------------------------------


def render_pdf(html: str, *, base_url: str | None = None, timeout: float = 300,
               memory_mb: int = 1536, on_wait: Callable[[], None] | None = None,
               wait_step: float = 2.0) -> RenderResult:
    """Render in a child process; kill it after ``timeout`` seconds.  ``on_wait`` is called
    every ``wait_step`` seconds while it works (the run's heartbeat)."""
    with tempfile.TemporaryDirectory(prefix="briefing-") as tmp:
        job = {"source": os.path.join(tmp, "in.html"), "target": os.path.join(tmp, "out.pdf")}
        with open(job["source"], "w", encoding="utf-8") as fh:
            fh.write(html)
        report = _run(job, tmp, base_url, timeout, memory_mb, on_wait, wait_step)
        with open(job["target"], "rb") as fh:
            pdf = fh.read()
        return RenderResult(pdf, report["pages"], report["rss"], report["cpu"])


def _run(job: dict, tmp: str, base_url, timeout: float, memory_mb: int, on_wait, wait_step) -> dict:
    """Start the rendering process for ``job``, wait for it; its report."""
    # The caller's environment, not the fork server's: what the caller sees (a font
    # configuration among it) is what its briefing is laid out with.
    env = dict(os.environ)
    stem = os.path.join(tmp, "render")
    child = _start(target=_job, args=(job, stem, base_url, memory_mb, env),
                   name="briefing-render")
    deadline = time.monotonic() + timeout
    try:
        while True:
            child.join(max(min(wait_step, deadline - time.monotonic()), 0.01))
            if child.exitcode is not None:
                break
            if time.monotonic() >= deadline:
                raise RenderError(f"排版超过时限（{timeout:g} 秒）仍未完成，已终止排版进程")
            if on_wait:
                on_wait()
    finally:
        if child.exitcode is None:
            child.kill()
            child.join()
    _check(child.exitcode, _read(stem + ".err"), memory_mb)
    report = json.loads(_read(stem + ".json") or "{}")
    child.close()
    return report


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except FileNotFoundError:
        return ""


# The rendering processes are forked from the console's fork server (console.foundation.
# children), which has imported WeasyPrint once: a fresh interpreter importing it cost about
# 0.7 s of every briefing, half a summary briefing's layout (measured).  The scheduler starts
# it when it starts.
children.preload("weasyprint", __name__)


def _start(**process):
    return children.start(RenderError("无法启动排版进程，请稍后重试"), **process)


def start_renderer() -> None:
    """Start the fork server now rather than on the first briefing, and wait until it has
    loaded WeasyPrint (it forks a first, empty process only then)."""
    child = _start(target=_ready, name="briefing-render-ready")
    child.join()
    child.close()


def _ready() -> None:
    pass


def _check(returncode: int, stderr: str, memory_mb: int) -> None:
    if returncode == EXIT_NO_FONT:
        raise RenderError(NO_FONT)
    if returncode == EXIT_MEMORY or "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        raise RenderError(f"排版所需内存超过上限（{memory_mb} MB），已终止排版进程")
    if returncode < 0:
        # Native code (cairo, pango) that cannot allocate may abort instead of raising.
        raise RenderError(f"排版进程异常终止（信号 {-returncode}），可能是所需内存超过上限（{memory_mb} MB）")
    if returncode != 0:
        last = (stderr.strip().splitlines() or [f"退出码 {returncode}"])[-1]
        raise RenderError(f"排版进程失败：{last[:300]}")


def _job(job: dict, stem: str, base_url: str | None, memory_mb: int, env: dict) -> None:
    """In the rendering process: lay ``job`` out (its HTML file ``source`` to the PDF file
    ``target``) within ``memory_mb``; the report in ``stem``.json, a failure in ``stem``.err,
    the outcome in the exit code."""
    os.environ.clear()
    os.environ.update(env)
    try:
        code = _layout(job, stem, base_url, memory_mb)
    except BaseException as exc:  # the process's one answer is its exit code and its .err file
        # Out of address space, a failure is not always a MemoryError (see children.reached).
        code = EXIT_MEMORY if isinstance(exc, MemoryError) or children.reached(memory_mb) else EXIT_FAILED
        try:
            import traceback

            _write(stem + ".err", "".join(traceback.format_exception(exc)))
        except BaseException:
            pass
    sys.exit(code)


def _layout(job: dict, stem: str, base_url: str | None, memory_mb: int) -> int:
    if not font_installed():
        _write(stem + ".err", NO_FONT + "\n")
        return EXIT_NO_FONT
    # The font configuration is loaded before the budget: fontconfig that cannot map its
    # cache files takes them for stale, scans the fonts again and, run as root, writes the
    # machine's cache anew from what it managed to read under the limit, leaving every later
    # process without the Chinese font (seen: a 60 MB budget did that).
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    children.limit_memory(memory_mb)
    try:
        with open(job["source"], encoding="utf-8") as fh:
            html = fh.read()
        result = render_html(html, base_url, fonts)
        with open(job["target"], "wb") as fh:
            fh.write(result.pdf)
    except MemoryError:
        _write(stem + ".err", "MemoryError\n")
        return EXIT_MEMORY
    except OSError as exc:
        if exc.errno != errno.ENOMEM:
            raise
        _write(stem + ".err", "MemoryError\n")
        return EXIT_MEMORY
    _write(stem + ".json", json.dumps({"pages": result.pages, "rss": result.peak_rss, "cpu": children.cpu_seconds()}))
    return 0


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)

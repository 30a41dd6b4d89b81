"""HTML to PDF with WeasyPrint, in a child process with a time and a memory budget.

A 28-page report peaked near 400 MiB (measured): a huge briefing must not take a web worker
or the scheduler down, so the layout runs in a process of its own (forked from a server that
has WeasyPrint loaded, see ``_renderer``) which limits its own address space (RLIMIT_AS) and is
killed when it overruns its time.  ``render_html`` is one plain layout in the calling process,
for the benchmark.
"""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Callable

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
    return RenderResult(document.write_pdf(), len(document.pages), _peak_rss())


def _peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
    child = _start(_renderer(), target=_job, args=(job, stem, base_url, memory_mb, env),
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


def _start(context, **process):
    for attempt in range(3):
        child = context.Process(daemon=True, **process)
        try:
            child.start()
            return child
        except (OSError, EOFError) as exc:
            # The fork server died (killed, out of memory) and its end is not yet seen: the
            # next start finds it gone and starts a new one.
            log.warning("briefing renderer: could not fork (%s), retrying", exc)
            time.sleep(0.2 * (attempt + 1))
    raise RenderError("无法启动排版进程，请稍后重试")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except FileNotFoundError:
        return ""


# The rendering processes are forked from a server process that has imported WeasyPrint once
# (multiprocessing's fork server): a fresh interpreter importing it cost about 0.7 s of every
# briefing, half a summary briefing's layout (measured).  The server is a process of its own,
# started from a clean interpreter, so no web worker's threads or database connections are
# forked; it ends with the process that started it.  The scheduler starts it when it starts.
_context = None
_context_lock = threading.Lock()


def _renderer():
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["weasyprint", __name__, *_main_imports()])
            _context = context
        return _context


def _main_imports() -> list[str]:
    # multiprocessing runs the caller's main module again in each child (as "__mp_main__"):
    # what it imports is loaded in the server already, so that costs the child nothing.  The
    # `jiceng` script imports the console's command line; `python -m package.module` is run
    # by its name (a package's __main__ is skipped by multiprocessing, and would run here).
    main = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(main, "name", None)
    return ["console.operations.cli", *([name] if name and not name.endswith("__main__") else [])]


def start_renderer() -> None:
    """Start the fork server now rather than on the first briefing, and wait until it has
    loaded WeasyPrint (it forks a first, empty process only then)."""
    child = _start(_renderer(), target=_ready, name="briefing-render-ready")
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


def _limit_memory(megabytes: int) -> None:
    import resource

    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _job(job: dict, stem: str, base_url: str | None, memory_mb: int, env: dict) -> None:
    """In the rendering process: lay ``job`` out (its HTML file ``source`` to the PDF file
    ``target``) within ``memory_mb``; the report in ``stem``.json, a failure in ``stem``.err,
    the outcome in the exit code."""
    os.environ.clear()
    os.environ.update(env)
    try:
        code = _layout(job, stem, base_url, memory_mb)
    except BaseException as exc:  # the process's one answer is its exit code and its .err file
        # Out of address space, CPython and the C libraries fail in many ways besides
        # MemoryError (a SystemError, a NULL from cairo): a process that reached its budget
        # failed for want of memory.
        code = EXIT_MEMORY if isinstance(exc, MemoryError) or _reached(memory_mb) else EXIT_FAILED
        try:
            import traceback

            _write(stem + ".err", "".join(traceback.format_exception(exc)))
        except BaseException:
            pass
    sys.exit(code)


def _reached(megabytes: int) -> bool:
    """Whether this process's address space came within 5% of ``megabytes``."""
    try:
        with open("/proc/self/status") as fh:
            peak = next(int(line.split()[1]) for line in fh if line.startswith("VmPeak:"))
    except (OSError, StopIteration, ValueError):
        return False
    return peak >= megabytes * 1024 * 0.95


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
    _limit_memory(memory_mb)
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
    _write(stem + ".json", json.dumps({"pages": result.pages, "rss": result.peak_rss, "cpu": _cpu_seconds()}))
    return 0


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)

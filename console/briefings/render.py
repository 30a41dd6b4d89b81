"""HTML to PDF with WeasyPrint, in a child process with a time and a memory budget.

A 28-page report peaked near 400 MiB (measured): a huge briefing must not take a web worker
or the scheduler down, so the layout runs in a process of its own (forked from a server that
has WeasyPrint loaded, see ``_renderer``) which limits its own address space (RLIMIT_AS) and is
killed when it overruns its time; a long appendix can be shared with a second such process
(see ``split``).  ``render_html`` is one plain layout in the calling process, for the benchmark.
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
    from console.foundation.fonts import cjk_font

    return cjk_font() is not None


# -- a long appendix laid out in two processes ----------------------------------------------
#
# WeasyPrint lays a document out in one thread, and a 1,424-village ledger is most of a city
# briefing's time.  The template prints each appendix page as a block of fixed height that is
# exactly one page (marked PAGE_MARK), so page numbers are known without laying them out: the
# tail of the last appendix goes to a second process as a document of its own whose page
# counter starts where the first part ends, and the two PDFs are joined page by page.

PAGE_MARK = "<!--briefing:appendix-page-->"
END_MARK = "<!--briefing:appendix-end-->"
FIRST, TOTAL = "__BRIEFING_FIRST_PAGE__", "__BRIEFING_TOTAL_PAGES__"
MIN_SPLIT_PAGES = 6  # below this a second process costs more than it saves
# The tail's own page counter and the whole document's page total, filled in by the tail's
# process once it knows how many pages come before it.
_TAIL_STYLE = ('<style>@page { @bottom-center { content: "第 " counter(page) " 页 / 共 %s 页"; } }'
               " @page :first { counter-reset: page %s; }</style>" % (TOTAL, FIRST))


@dataclass(frozen=True)
class Split:
    head: str  # the document up to its appendix pages, for counting its pages
    first: str  # the document with the tail's pages left blank
    tail: str  # the tail's pages as a document of their own, FIRST and TOTAL to fill in
    blocks: int  # appendix pages in all
    tail_pages: int


def split(html: str) -> Split | None:
    """Cut the last appendix's tail off ``html``; None when it has too few pages for that."""
    if END_MARK not in html:
        return None
    before, _, after = html.partition(END_MARK)
    parts = before.split(PAGE_MARK)
    head, blocks = parts[0], parts[1:]
    # Only continuation pages of the last appendix: every heading and anchor stays in the first
    # part, so its table of contents and links need nothing from the tail.
    movable = 0
    for block in reversed(blocks):
        if 'class="apage more"' not in block:
            break
        movable += 1
    tail_pages = min(movable, len(blocks) // 2 + 1)
    if tail_pages < MIN_SPLIT_PAGES:
        return None
    kept, moved = blocks[:-tail_pages], blocks[-tail_pages:]
    closing = moved[-1][moved[-1].rindex("</div>") + len("</div>"):]  # the last section's end
    body = "".join(moved)[:-len(closing)] if closing else "".join(moved)
    blank = '\n<div class="apage more"></div>' * tail_pages
    page_head = html[:html.index("</head>")]
    return Split(
        head=head + closing + after,
        first=PAGE_MARK.join([head, *kept]) + blank + closing + END_MARK + after,
        tail=page_head + _TAIL_STYLE + "</head>\n<body>" + body + "\n</body>\n</html>\n",
        blocks=len(blocks), tail_pages=tail_pages)


def render_tail(tail: str, head: str, blocks: int, tail_pages: int, base_url: str | None,
                font_config=None) -> tuple[RenderResult, int]:
    """Lay out the document's head only to count its pages, then the tail numbered after all
    the pages before it.  Returns the tail and the number of its first page."""
    from weasyprint import HTML

    before = len(HTML(string=head, base_url=base_url).render(font_config=font_config).pages) + blocks - tail_pages
    html = tail.replace(FIRST, str(before + 1)).replace(TOTAL, str(before + tail_pages))
    return render_html(html, base_url, font_config), before + 1


def join(first: bytes, keep: int, tail: bytes) -> bytes:
    """The first ``keep`` pages of ``first`` (its outline, anchors and links intact), then every
    page of ``tail``."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(first))
    while len(writer.pages) > keep:
        del writer.pages[-1]
    for page in PdfReader(io.BytesIO(tail)).pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- the rendering processes -----------------------------------------------------------------


def render_pdf(html: str, *, base_url: str | None = None, timeout: float = 300,
               memory_mb: int = 1536, on_wait: Callable[[], None] | None = None,
               wait_step: float = 2.0, two_processes: bool = False) -> RenderResult:
    """Render in a child process; kill it after ``timeout`` seconds.  ``on_wait`` is called
    every ``wait_step`` seconds while it works (the run's heartbeat).  ``two_processes``: a long
    appendix's tail in a second process, each with ``memory_mb`` of its own.  Off by default:
    with ledgers printed as lines (``ledger.py``) the second process, which lays the document's
    head out again, cost more than it saved on this 2-core machine (bench/results/latest.txt)
    and its joined PDF embeds the fonts twice."""
    parts = split(html) if two_processes else None
    with tempfile.TemporaryDirectory(prefix="briefing-") as tmp:
        def write(name, text):
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            return path

        jobs = {"first": {"source": write("in.html", parts.first if parts else html),
                          "target": os.path.join(tmp, "out.pdf")}}
        if parts:
            jobs["tail"] = {"source": write("tail.html", parts.tail), "target": os.path.join(tmp, "tail.pdf"),
                            "head": write("head.html", parts.head), "blocks": parts.blocks,
                            "tail_pages": parts.tail_pages}
        outcome = _run(jobs, tmp, base_url, timeout, memory_mb, on_wait, wait_step)
        with open(jobs["first"]["target"], "rb") as fh:
            pdf = fh.read()
        first = outcome["first"]
        if not parts:
            return RenderResult(pdf, first["pages"], first["rss"], first["cpu"])
        tail = outcome["tail"]
        before = tail["first_page"] - 1
        if first["pages"] != before + parts.tail_pages or tail["pages"] != parts.tail_pages:
            # An appendix page overflowed its one page: the numbers would be wrong, so the
            # whole document is laid out again in one process.
            log.warning("briefing appendix split: expected %s + %s pages, got %s and %s; one process",
                        before, parts.tail_pages, first["pages"], tail["pages"])
            return render_pdf(html, base_url=base_url, timeout=timeout, memory_mb=memory_mb,
                              on_wait=on_wait, wait_step=wait_step)
        with open(jobs["tail"]["target"], "rb") as fh:
            joined = join(pdf, before, fh.read())
        return RenderResult(joined, first["pages"], max(first["rss"], tail["rss"]), first["cpu"] + tail["cpu"])


def _run(jobs: dict, tmp: str, base_url, timeout: float, memory_mb: int, on_wait, wait_step) -> dict:
    """Start one rendering process per job, wait for all; their reports by job name."""
    context = _renderer()
    # The caller's environment, not the fork server's: what the caller sees (a font
    # configuration among it) is what its briefing is laid out with.
    env = dict(os.environ)
    children = {}
    for name, job in jobs.items():
        children[name] = _start(context, target=_job, args=(job, os.path.join(tmp, name), base_url, memory_mb, env),
                                name=f"briefing-render-{name}")
    deadline = time.monotonic() + timeout
    try:
        for child in children.values():
            while True:
                child.join(max(min(wait_step, deadline - time.monotonic()), 0.01))
                if child.exitcode is not None:
                    break
                if time.monotonic() >= deadline:
                    raise RenderError(f"排版超过时限（{timeout:g} 秒）仍未完成，已终止排版进程")
                if on_wait:
                    on_wait()
    finally:
        for child in children.values():
            if child.exitcode is None:
                child.kill()
                child.join()
    reports = {}
    for name, child in children.items():
        stem = os.path.join(tmp, name)
        _check(child.exitcode, _read(stem + ".err"), memory_mb)
        reports[name] = json.loads(_read(stem + ".json") or "{}")
        child.close()
    return reports


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
    ``target``; for the tail of a split document also ``head``, ``blocks`` and ``tail_pages``,
    see ``render_tail``) within ``memory_mb``; the report in ``stem``.json, a failure in
    ``stem``.err, the outcome in the exit code."""
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
    report = {}
    try:
        with open(job["source"], encoding="utf-8") as fh:
            html = fh.read()
        if "head" in job:
            with open(job["head"], encoding="utf-8") as fh:
                result, report["first_page"] = render_tail(html, fh.read(), job["blocks"], job["tail_pages"],
                                                           base_url, fonts)
        else:
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
    _write(stem + ".json", json.dumps({"pages": result.pages, "rss": result.peak_rss, "cpu": _cpu_seconds(),
                                       **report}))
    return 0


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)

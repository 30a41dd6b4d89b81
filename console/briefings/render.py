"""HTML to PDF with WeasyPrint, in a child process with a time and a memory budget.

A 28-page report peaked near 400 MiB (measured): a huge briefing must not take a web worker
or the scheduler down, so the layout runs in ``python -m console.briefings.render`` which
limits its own address space (RLIMIT_AS) and is killed when it overruns its time.
``render_html`` is the same layout in the calling process, for the benchmark.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable

from ..errors import ConsoleError

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


def render_html(html: str, base_url: str | None = None) -> RenderResult:
    """Lay ``html`` out and write the PDF, here in this process."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render()
    return RenderResult(document.write_pdf(), len(document.pages))


def font_installed() -> bool:
    """Asked in the rendering process itself: the font must be where the layout happens."""
    from ..health import cjk_font

    return cjk_font() is not None


def render_pdf(html: str, *, base_url: str | None = None, timeout: float = 300,
               memory_mb: int = 1536, on_wait: Callable[[], None] | None = None,
               wait_step: float = 2.0) -> RenderResult:
    """Render in a child process; kill it after ``timeout`` seconds.  ``on_wait`` is called
    every ``wait_step`` seconds while the child works (the run's heartbeat)."""
    with tempfile.TemporaryDirectory(prefix="briefing-") as tmp:
        source, target = os.path.join(tmp, "in.html"), os.path.join(tmp, "out.pdf")
        with open(source, "w", encoding="utf-8") as fh:
            fh.write(html)
        cmd = [sys.executable, "-m", "console.briefings.render", source, target,
               "--memory-mb", str(int(memory_mb))]
        if base_url:
            cmd += ["--base-url", base_url]
        err_path = os.path.join(tmp, "stderr")
        with open(err_path, "wb") as err:
            child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    out, _ = child.communicate(timeout=max(min(wait_step, deadline - time.monotonic()), 0.01))
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= deadline:
                        child.kill()
                        child.communicate()
                        raise RenderError(f"排版超过时限（{timeout:g} 秒）仍未完成，已终止排版进程") from None
                    if on_wait:
                        on_wait()
        with open(err_path, encoding="utf-8", errors="replace") as fh:
            stderr = fh.read()
        if child.returncode == EXIT_NO_FONT:
            raise RenderError(NO_FONT)
        if child.returncode == EXIT_MEMORY or "MemoryError" in stderr or "Cannot allocate memory" in stderr:
            raise RenderError(f"排版所需内存超过上限（{memory_mb} MB），已终止排版进程")
        if child.returncode < 0:
            # Native code (cairo, pango) that cannot allocate may abort instead of raising.
            raise RenderError(f"排版进程异常终止（信号 {-child.returncode}），可能是所需内存超过上限"
                              f"（{memory_mb} MB）")
        if child.returncode != 0:
            last = (stderr.strip().splitlines() or [f"退出码 {child.returncode}"])[-1]
            raise RenderError(f"排版进程失败：{last[:300]}")
        pages = json.loads(out.decode() or "{}").get("pages", 0)
        with open(target, "rb") as fh:
            return RenderResult(fh.read(), pages)


def _limit_memory(megabytes: int) -> None:
    import resource

    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m console.briefings.render")
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--memory-mb", type=int, default=1536)
    parser.add_argument("--base-url")
    args = parser.parse_args(argv)
    if not font_installed():
        sys.stderr.write(NO_FONT + "\n")
        return EXIT_NO_FONT
    _limit_memory(args.memory_mb)
    try:
        with open(args.source, encoding="utf-8") as fh:
            result = render_html(fh.read(), args.base_url)
        with open(args.target, "wb") as fh:
            fh.write(result.pdf)
    except MemoryError:
        sys.stderr.write("MemoryError\n")
        return EXIT_MEMORY
    except OSError as exc:
        if exc.errno != errno.ENOMEM:
            raise
        sys.stderr.write("MemoryError\n")
        return EXIT_MEMORY
    sys.stdout.write(json.dumps({"pages": result.pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

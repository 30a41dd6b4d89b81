"""The renderer: WeasyPrint in a process forked from a server that has it loaded."""

from __future__ import annotations

from console.briefings import render

BASE = "https://jiceng.example.cn/"


def _fork_servers() -> list[int]:
    import os
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and b"console.briefings.render" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_the_renderer_comes_back_after_its_fork_server_died(app):
    """The rendering processes are forked from a server that has WeasyPrint loaded; when that
    server dies (killed, out of memory) the next briefing starts a new one."""
    import os
    import signal

    render.start_renderer()
    servers = _fork_servers()
    assert len(servers) == 1
    for pid in servers:
        os.kill(pid, signal.SIGKILL)
    result = render.render_pdf("<p>简报</p>", base_url=BASE)
    assert result.pdf.startswith(b"%PDF") and result.pages == 1 and result.cpu > 0
    assert _fork_servers() and _fork_servers() != servers

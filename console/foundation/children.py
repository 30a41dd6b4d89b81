"""Short-lived child processes with a memory and a CPU budget, for work a hostile input could
make unbounded (a briefing's layout, a spreadsheet's parsing): the child limits itself with
``resource.setrlimit`` so that what overruns is the child, never the web worker or the
scheduler that started it.

The children are forked from one server process per parent (multiprocessing's fork server):
a fresh interpreter importing WeasyPrint or the console cost about 0.7 s of every child
(measured).  The server is a process of its own, started from a clean interpreter, so no web
worker's threads or database connections are forked; it ends with the process that started
it.  multiprocessing has one fork server per process, so the modules it preloads are gathered
here: each user names its own (``preload``) when it is imported, before any child starts.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import threading
import time

from console.foundation.errors import ConsoleError

log = logging.getLogger(__name__)

_preloaded: list[str] = []
_context = None
_lock = threading.Lock()


def preload(*modules: str) -> None:
    """Have the fork server import ``modules`` once, so each child starts with them loaded.
    Named before the server starts (a module calls this when it is imported); later names are
    imported by the server started after the present one dies."""
    with _lock:
        for name in modules:
            if name not in _preloaded:
                _preloaded.append(name)
        if _context is not None:
            _context.set_forkserver_preload([*_preloaded, *_main_imports()])


def context():
    """The fork server's multiprocessing context, its preload list set."""
    global _context
    with _lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload([*_preloaded, *_main_imports()])
        return _context


def _main_imports() -> list[str]:
    # multiprocessing runs the caller's main module again in each child (as "__mp_main__"):
    # what it imports is loaded in the server already, so that costs the child nothing.  The
    # `jiceng` script imports the console's command line; `python -m package.module` is run
    # by its name (a package's __main__ is skipped by multiprocessing, and would run here).
    main = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(main, "name", None)
    return ["console.operations.cli", *([name] if name and not name.endswith("__main__") else [])]


def start(refusal: ConsoleError, **process):
    """Start a daemon child of the fork server (``process``: multiprocessing.Process's
    arguments); ``refusal`` (its message in Chinese) is raised when it cannot be started."""
    for attempt in range(3):
        child = context().Process(daemon=True, **process)
        try:
            child.start()
            return child
        except (OSError, EOFError) as exc:
            # The fork server died (killed, out of memory) and its end is not yet seen: the
            # next start finds it gone and starts a new one.
            log.warning("could not fork %s (%s), retrying", process.get("name"), exc)
            time.sleep(0.2 * (attempt + 1))
    raise refusal


# -- in the child ---------------------------------------------------------------------------


def limit_memory(megabytes: int) -> None:
    """Limit this process's address space (RLIMIT_AS) to ``megabytes``; past it an allocation
    fails (MemoryError in Python) rather than the machine swapping."""
    import resource

    limit = int(megabytes * 1024 * 1024)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def limit_cpu(seconds: int) -> None:
    """Limit this process's CPU time (RLIMIT_CPU): past ``seconds`` the kernel sends SIGXCPU,
    which ends it; a second later SIGKILL, should SIGXCPU be caught."""
    import resource

    seconds = max(int(seconds), 1)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    wanted_hard = seconds + 1 if hard == resource.RLIM_INFINITY else min(seconds + 1, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (min(seconds, wanted_hard), wanted_hard))


def reached(megabytes: int) -> bool:
    """Whether this process's address space came within 5% of ``megabytes``: out of address
    space, CPython and C libraries fail in many ways besides MemoryError (a SystemError, a
    NULL from cairo), and a process that reached its budget failed for want of memory."""
    try:
        with open("/proc/self/status") as fh:
            peak = next(int(line.split()[1]) for line in fh if line.startswith("VmPeak:"))
    except (OSError, StopIteration, ValueError):
        return False
    return peak >= megabytes * 1024 * 0.95


def peak_rss() -> int:
    """This process's peak resident memory, in bytes."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds() -> float:
    """User and system CPU time this process has used."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

"""A spreadsheet parsed in a short-lived child process, its rows streamed back over a pipe.

The limits of :class:`SheetLimits` refuse the files known to be costly from what they declare;
what a file costs to read beyond that (a parser's own appetite, a shape nobody foresaw) falls
on the child, which limits its own address space and CPU time (``console.foundation.children``)
and is the one to die when a file needs more.  The parent holds one batch of rows at a time,
so its memory stays bounded whatever the file; a child that reached a limit or died is a
refused file naming the limit (:class:`ImportRefused`), before anything was written.
"""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import dataclass

from console.files.spreadsheets import Sheet, SheetLimits, open_sheet
from console.foundation import children
from console.foundation.errors import ImportRefused

log = logging.getLogger(__name__)

# A batch goes back when it holds this many rows or this many characters, whichever first: a
# few hundred ordinary rows, or one row of a CSV line's 1 MB.
BATCH_ROWS = 500
BATCH_CHARS = 1 << 20
EXIT_MEMORY = 3

children.preload(__name__)


@dataclass(frozen=True)
class ParseBudget:
    """What the parsing child may use; config.py's ``IMPORTS_PARSE_*``."""

    memory_mb: int = 512
    cpu_seconds: int = 600

    @classmethod
    def from_config(cls, config) -> ParseBudget:
        return cls(int(config.get("IMPORTS_PARSE_MEMORY_MB", cls.memory_mb)),
                   int(config.get("IMPORTS_PARSE_CPU_SECONDS", cls.cpu_seconds)))

    def memory_refusal(self) -> str:
        return (f"文件解析超过内存上限 {self.memory_mb} MB，已终止解析，未写入任何数据；"
                "请拆分为几个较小的文件，或清除格式后另存为新文件再导入")

    def cpu_refusal(self) -> str:
        return (f"文件解析超过 CPU 时间上限 {self.cpu_seconds} 秒，已终止解析，未写入任何数据；"
                "请拆分为几个较小的文件后再导入")


@dataclass
class ChildUsage:
    """What the last parsing child used, as it reported it (for the benchmark)."""

    peak_rss: int = 0  # bytes
    cpu: float = 0.0  # seconds


def open_isolated(path: str, filename: str, limits: SheetLimits, budget: ParseBudget,
                  usage: ChildUsage | None = None) -> Sheet:
    """``open_sheet`` in a child process: the same :class:`Sheet`, its rows read from the
    child's pipe.  Refusals (the file's, the child's limits) are raised as the child meets
    them, the first one (an unreadable file) here already."""
    ctx = children.context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = children.start(ImportRefused("无法启动解析文件的进程，请稍后重试"), target=_parse,
                           args=(sender, path, filename, limits, budget), name="import-parse")
    sender.close()  # the child's end: when the child dies, the parent's reading ends too
    parsing = _Parsing(child, receiver, budget, filename,
                       usage if usage is not None else ChildUsage())
    try:
        first = parsing.receive()
    except BaseException:
        parsing.finish()
        raise
    return Sheet(parsing.rows(), first[1], parsing.finish)


class _Parsing:
    """The parent's side of one child: its messages, and its end."""

    def __init__(self, child, receiver, budget: ParseBudget, filename: str, usage: ChildUsage):
        self.child, self.receiver, self.budget = child, receiver, budget
        self.filename, self.usage = filename, usage
        self.exitcode: int | None = None
        self.done = False

    def receive(self):
        try:
            message = self.receiver.recv()
        except (EOFError, OSError):
            self.finish(wait=5)
            raise _death(self.exitcode, self.budget) from None
        kind = message[0]
        if kind in ("refused", "end"):
            self.usage.peak_rss, self.usage.cpu = message[-2], message[-1]
        if kind in ("rows", "start", "end"):
            return message
        self.finish()
        if kind == "refused":
            raise ImportRefused(message[1])
        if kind == "memory":
            raise ImportRefused(self.budget.memory_refusal())
        log.warning("parsing %s failed in its child:\n%s", self.filename, message[1])
        raise ImportRefused("表格文件内容有误，无法读取（可能已损坏）；请在 Excel 中打开后另存为新文件再导入")

    def rows(self):
        while True:
            message = self.receive()
            if message[0] == "end":
                self.finish()
                return
            yield from message[1]

    def finish(self, wait: float = 0.5) -> None:
        """End the child (done, or no longer wanted) and release its pipe and process."""
        if self.done:
            return
        self.done = True
        self.receiver.close()
        self.child.join(wait)
        if self.child.exitcode is None:
            self.child.kill()
            self.child.join()
        self.exitcode = self.child.exitcode
        self.child.close()


def _death(code: int | None, budget: ParseBudget) -> ImportRefused:
    """The refusal for a child whose pipe ended before its last message."""
    if code == EXIT_MEMORY:
        return ImportRefused(budget.memory_refusal())
    if code == -signal.SIGXCPU:
        return ImportRefused(budget.cpu_refusal())
    if code is not None and code < 0:
        # A SIGKILL is the kernel's answer to a process over its hard CPU limit, or out of
        # memory (the OOM killer); native code that cannot allocate may abort (SIGABRT).
        return ImportRefused(f"解析文件的进程异常终止（信号 {-code}），可能超过了内存上限 "
                             f"{budget.memory_mb} MB 或 CPU 时间上限 {budget.cpu_seconds} 秒，未写入任何数据")
    return ImportRefused(f"解析文件的进程意外退出（退出码 {code}），未写入任何数据；请稍后重试")


# -- in the child ---------------------------------------------------------------------------


def _parse(sender, path: str, filename: str, limits: SheetLimits, budget: ParseBudget) -> None:
    children.limit_cpu(budget.cpu_seconds)
    children.limit_memory(budget.memory_mb)
    code = 0
    batch: list = []
    try:
        sheet = open_sheet(path, filename, limits)
        try:
            sender.send(("start", sheet.estimated_rows))
            chars = 0
            for number, cells in sheet.rows:
                batch.append((number, cells))
                chars += sum(map(len, cells))
                if len(batch) >= BATCH_ROWS or chars >= BATCH_CHARS:
                    sender.send(("rows", batch))
                    batch, chars = [], 0
            if batch:
                sender.send(("rows", batch))
                batch = []
        finally:
            sheet.close()
        sender.send(("end", children.peak_rss(), children.cpu_seconds()))
    except ImportRefused as exc:
        # The rows before the refusal first: the parent checks the header before it reads
        # further, and refuses a file without one as such, whatever comes below it.
        if batch:
            _tell(sender, ("rows", batch))
        _tell(sender, ("refused", exc.message, children.peak_rss(), children.cpu_seconds()))
    except (BrokenPipeError, EOFError):
        pass  # the parent stopped reading: it needs no more rows (a refused header)
    except BaseException as exc:  # the parent's one answer is a message or the exit code
        if isinstance(exc, MemoryError) or children.reached(budget.memory_mb) or _enomem(exc):
            code = EXIT_MEMORY
            batch = []  # what may free enough to tell the parent
            _tell(sender, ("memory",))
        else:
            import traceback

            _tell(sender, ("failed", "".join(traceback.format_exception(exc))[-4000:]))
    sys.exit(code)


def _enomem(exc: BaseException) -> bool:
    import errno

    return isinstance(exc, OSError) and exc.errno == errno.ENOMEM


def _tell(sender, message) -> None:
    try:
        sender.send(message)
    except BaseException:
        pass


"""Periods a briefing covers: a day, an ISO week, a month, a quarter or a year.

A period is ``[start, end)`` in dates, the convention of the modules' counting functions.
Written the way people type them: ``2025-12-03``, ``2025-W49``, ``2025-12``, ``2025Q4``, ``2025``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from console.foundation.errors import ConsoleError

KINDS = ("day", "week", "month", "quarter", "year")
QUARTER_NAMES = "一二三四"


class PeriodError(ConsoleError):
    """A period that cannot be read or that has not begun."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def key(self) -> str:
        s = self.start
        if self.kind == "day":
            return s.isoformat()
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{s.year}-{s.month:02d}"
        if self.kind == "quarter":
            return f"{s.year}Q{(s.month - 1) // 3 + 1}"
        return str(s.year)

    @property
    def title(self) -> str:
        s, last = self.start, self.end - dt.timedelta(days=1)
        if self.kind == "day":
            return f"{s.year}年{s.month}月{s.day}日"
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{year}年第{week}周（{s.month}月{s.day}日—{last.month}月{last.day}日）"
        if self.kind == "month":
            return f"{s.year}年{s.month}月"
        if self.kind == "quarter":
            return f"{s.year}年第{QUARTER_NAMES[(s.month - 1) // 3]}季度"
        return f"{s.year}年"

    @property
    def comparison_title(self) -> str:
        return {"day": "较前一天", "week": "较上周", "month": "较上月", "quarter": "较上季度",
                "year": "较上年"}[self.kind]

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return containing(self.kind, self.start - dt.timedelta(days=1))

    def as_dict(self) -> dict:
        return {"kind": self.kind, "key": self.key, "title": self.title,
                "start": self.start.isoformat(), "end": self.end.isoformat()}


def containing(kind: str, day: dt.date) -> Period:
    """The period of ``kind`` that ``day`` falls in."""
    if kind == "day":
        return Period(kind, day, day + dt.timedelta(days=1))
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=7))
    if kind == "month":
        start = day.replace(day=1)
        return Period(kind, start, _add_months(start, 1))
    if kind == "quarter":
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, start, _add_months(start, 3))
    if kind == "year":
        return Period(kind, dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1))
    raise PeriodError(f"没有“{kind}”这种期间")


def last_complete(kind: str, today: dt.date) -> Period:
    """The previous day, week, month, quarter or year as seen on ``today``."""
    return containing(kind, today).previous()


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


_FORMS = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "day"),
    (re.compile(r"^(\d{4})-?W(\d{1,2})$", re.I), "week"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})-?Q([1-4])$", re.I), "quarter"),
    (re.compile(r"^(\d{4})$"), "year"),
]
HELP = "期间的写法：月 2025-12，季度 2025Q4，年 2025，周 2025-W49，日 2025-12-03"


def parse(text: str, today: dt.date | None = None) -> Period:
    """Read a period; refuse one that cannot be read or that starts after ``today``."""
    raw = (text or "").strip()
    for pattern, kind in _FORMS:
        match = pattern.match(raw)
        if not match:
            continue
        numbers = [int(g) for g in match.groups()]
        try:
            period = _build(kind, numbers)
        except ValueError:
            raise PeriodError(f"期间“{raw}”不存在。{HELP}") from None
        if today is not None and period.start > today:
            raise PeriodError(f"期间“{raw}”尚未开始，不能生成简报")
        return period
    raise PeriodError(f"无法识别期间“{raw}”。{HELP}")


def _build(kind: str, n: list[int]) -> Period:
    if kind == "day":
        return containing("day", dt.date(n[0], n[1], n[2]))
    if kind == "week":
        return containing("week", dt.date.fromisocalendar(n[0], n[1], 1))
    if kind == "month":
        return containing("month", dt.date(n[0], n[1], 1))
    if kind == "quarter":
        return containing("quarter", dt.date(n[0], (n[1] - 1) * 3 + 1, 1))
    return containing("year", dt.date(n[0], 1, 1))

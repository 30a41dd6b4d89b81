"""Periods as people type them, and the previous period a briefing compares with."""

import datetime as dt

import pytest

from console.briefings.periods import PeriodError, containing, last_complete, parse


@pytest.mark.parametrize("text, kind, start, end, title", [
    ("2025-12", "month", dt.date(2025, 12, 1), dt.date(2026, 1, 1), "2025年12月"),
    ("2025Q4", "quarter", dt.date(2025, 10, 1), dt.date(2026, 1, 1), "2025年第四季度"),
    ("2025q1", "quarter", dt.date(2025, 1, 1), dt.date(2025, 4, 1), "2025年第一季度"),
    ("2025", "year", dt.date(2025, 1, 1), dt.date(2026, 1, 1), "2025年"),
    ("2025-12-03", "day", dt.date(2025, 12, 3), dt.date(2025, 12, 4), "2025年12月3日"),
    ("2025-W49", "week", dt.date(2025, 12, 1), dt.date(2025, 12, 8), "2025年第49周（12月1日—12月7日）"),
])
def test_period_forms_are_read(text, kind, start, end, title):
    period = parse(text)
    assert (period.kind, period.start, period.end, period.title) == (kind, start, end, title)
    assert parse(period.key) == period


def test_previous_period_of_each_kind():
    assert parse("2025-01").previous().key == "2024-12"
    assert parse("2025Q1").previous().key == "2024Q4"
    assert parse("2025").previous().key == "2024"
    assert parse("2025-03-01").previous().key == "2025-02-28"
    assert parse("2026-W01").previous().key == "2025-W52"


def test_last_complete_period_seen_on_a_day():
    wed = dt.date(2025, 12, 3)
    assert last_complete("day", wed).key == "2025-12-02"
    assert last_complete("week", wed).key == "2025-W48"
    assert last_complete("month", wed).key == "2025-11"
    assert last_complete("quarter", wed).key == "2025Q3"
    assert last_complete("year", wed).key == "2024"
    assert containing("month", wed).end == dt.date(2026, 1, 1)


@pytest.mark.parametrize("text, words", [
    ("2025-13", "不存在"), ("2025Q5", "无法识别"), ("12/2025", "无法识别"), ("", "无法识别"),
    ("2025-02-30", "不存在"),
])
def test_bad_periods_are_refused_in_chinese(text, words):
    with pytest.raises(PeriodError, match=words):
        parse(text)


def test_a_period_in_the_future_is_refused():
    with pytest.raises(PeriodError, match="尚未开始"):
        parse("2031-01", today=dt.date(2030, 12, 31))
    assert parse("2030-12", today=dt.date(2030, 12, 31)).key == "2030-12"

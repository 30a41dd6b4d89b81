"""Scheduled PDF briefings (工作简报): schedules, runs claimed once per slot, the document
gathered from each enabled plugin's ``briefing_sections`` and rendered by WeasyPrint in a
child process.  The tables are defined here so the metadata knows them at start-up."""

from . import models  # noqa: F401
from .sections import Cell, Chart, Figure, Section, Table

__all__ = ["Cell", "Chart", "Figure", "Section", "Table"]

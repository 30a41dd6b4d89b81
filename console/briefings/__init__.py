"""Scheduled PDF briefings (工作简报): schedules, runs claimed once per slot, the document
gathered from each enabled plugin's ``briefing_sections`` and rendered by WeasyPrint in a
child process.  The tables (``models``) are loaded with the views at start-up, not here: the
rendering process imports this package and needs none of the app."""

from console.briefings.sections import Cell, Chart, Figure, Section, Table

__all__ = ["Cell", "Chart", "Figure", "Section", "Table"]

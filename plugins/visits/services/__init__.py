"""The rules of 三送三进.  Views, the REST API, jobs, imports and demo data all call these.

- :mod:`.enterprises`: the registry (credit code, uniqueness, region) and its search;
- :mod:`.visits`: logging visits with their photos;
- :mod:`.problems`: problems and their workflow, satisfaction and close-off;
- :mod:`.stats`: the counts behind cards and briefings;
- :mod:`.reminders`: the daily notices to responsible departments.
"""

from .common import StaleEdit, VisitsError, today

__all__ = ["StaleEdit", "VisitsError", "today"]

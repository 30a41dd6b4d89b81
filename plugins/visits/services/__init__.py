"""The rules of 三送三进.  Views, the REST API, jobs, imports and demo data all call these.

- :mod:`.enterprises`: the registry (credit code, uniqueness, region) and its search;
- :mod:`.visits`: logging visits with their photos;
- :mod:`.problems`: problems and their workflow, satisfaction and close-off;
- :mod:`.creditcode`: the unified social credit code (GB 32100-2015);
- :mod:`.reminders`: the daily notices to responsible departments.
"""


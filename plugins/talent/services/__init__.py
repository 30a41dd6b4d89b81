"""The rules of 社会工作人才.  Views, the REST API, jobs, imports and demo data all call these.

- :mod:`.common`: settings, today's date, dates a period away, submitted text, scoped lookups;
- :mod:`.idnumber`: resident identity numbers (check digit, masking, encryption at rest);
- :mod:`.people`: people of the register and the audited look at a whole identity number;
- :mod:`.certificates`: certificates and their revocation;
- :mod:`.registrations`: the registration workflow, periods, renewal windows and hours due;
- :mod:`.education`: the continuing-education ledger and its proofs;
- :mod:`.supervision`: supervision relations and sessions;
- :mod:`.reminders`: the daily expiry reminders;
- :mod:`.public`: what the public verification page and its QR code show.

Functions that check or build rows flush and leave the commit to the caller (an import or a form
writes everything or nothing); those a page calls on its own are ``@unit_of_work``.
"""

"""社会工作人才: a module of the console, registered through the ``console.plugins`` entry point.

People holding a social-work qualification, their certificates, registrations (登记) and their
renewals, continuing education, supervision, expiry reminders and a public verification page.
"""

NAME = "talent"
TITLE = "社会工作人才"

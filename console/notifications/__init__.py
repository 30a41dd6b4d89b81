"""The in-app inbox, and e-mail when SMTP is configured."""

from console.notifications.service import notify, users_with_role

__all__ = ["notify", "users_with_role"]

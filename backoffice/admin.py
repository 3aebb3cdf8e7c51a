"""Registers the admin of the ``backoffice`` app: the platform's pages (users and roles,
background jobs, locked-out logins, the notification inbox) and the desk's domains."""

from backoffice.care import admin as care_admin  # noqa: F401
from backoffice.desk import admin as desk_admin  # noqa: F401
from backoffice.incidents import admin as incidents_admin  # noqa: F401
from backoffice.knowledge import admin as knowledge_admin  # noqa: F401
from backoffice.platform.admin import jobs, notifications, security, users  # noqa: F401
from backoffice.reports import admin as reports_admin  # noqa: F401

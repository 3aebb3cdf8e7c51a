"""Admin of emergencies (plans, incidents) and problem records, and their panel and
buttons on the ticket page (``TicketIncidentMixin``)."""

from backoffice.incidents.admin import incidents, plans, problems  # noqa: F401
from backoffice.incidents.admin.tickets import TicketIncidentMixin

__all__ = ["TicketIncidentMixin"]

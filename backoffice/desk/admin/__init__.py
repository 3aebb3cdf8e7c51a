"""Admin of the service desk: customers and tickets (``tickets``), the support mailbox
(``mailbox``), time entries and the ticket's cost (``costs``), service-record reviews (``review``)."""

from backoffice.desk.admin import costs, mailbox, review, tickets  # noqa: F401
from backoffice.desk.admin.tickets import TicketAdmin  # noqa: F401

"""Admin of the service desk: customers and tickets (``tickets``), the support mailbox
(``mailbox``), time entries and the ticket's cost (``costs``), the manager's call spot
checks (``spotchecks``), service-record reviews (``review``)."""

from backoffice.desk.admin import costs, mailbox, review, spotchecks, tickets  # noqa: F401
from backoffice.desk.admin.tickets import TicketAdmin  # noqa: F401

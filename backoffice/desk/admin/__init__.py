"""Admin of the service desk: customers and tickets (``tickets``), the support mailbox
(``mailbox``)."""

from backoffice.desk.admin import mailbox, tickets  # noqa: F401
from backoffice.desk.admin.tickets import TicketAdmin  # noqa: F401

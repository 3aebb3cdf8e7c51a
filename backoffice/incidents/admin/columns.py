"""The ticket columns of the incident's and the problem's linked-ticket tables."""

from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.platform.admin.base import admin_link


class LinkedTicketColumns:
    """Columns of an inline over a ticket link row (``link.ticket``): the ticket, its
    customer and its state (the queryset selects ``ticket__customer``)."""

    @display(description=_("ticket"))
    def ticket_link(self, link):
        return admin_link(link.ticket, f"{link.ticket.number} {link.ticket.subject}")

    @display(description=_("customer"))
    def customer(self, link):
        return link.ticket.customer

    @display(description=_("state"))
    def ticket_state(self, link):
        return link.ticket.get_state_display()

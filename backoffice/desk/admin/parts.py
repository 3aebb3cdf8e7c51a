"""The ticket page's spare parts: its requisitions (a panel and a "Request parts" button),
and pickers that know the ticket's context (ticket, contact, product, version)."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from backoffice.desk import workflows as wf
from backoffice.desk.forms import TicketForm
from backoffice.desk.models import Ticket
from backoffice.desk.selectors import customer_choices
from backoffice.platform.admin.autocomplete import forwarded_id

#: the ticket form's pickers and the fields whose values they send with the term
TICKET_FORWARDS = {"contact": ["customer"], "product": ["customer"],
                   "product_version": ["customer", "product"]}


class TicketPartsMixin:
    """Mixed into the ticket admin: the requisitions panel, the "Request parts" button,
    the ticket's label in every ticket picker, and its form's context-aware pickers."""

    form = TicketForm
    parts_actions = ["request_parts_action"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = [a for a in self.actions_detail if a not in self.parts_actions]
        self.actions_detail = [*others, *self.parts_actions]

    # -- the requisitions of the ticket ---------------------------------------------------
    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "ticket_requisitions"]

    @display(description=_("requisitions"))
    def ticket_requisitions(self, obj):
        """Number (link), state, parts, engineer and date of each requisition (one query,
        whatever their number)."""
        try:
            from inventory.selectors import ticket_requisitions
            from inventory.workflows import STATE_COLOURS
        except ImportError:  # the parts app is not installed
            return "-"
        rows = ticket_requisitions(obj)
        if not rows:
            return _("No requisition yet.")

        def state(requisition):
            return render_to_string("unfold/helpers/label.html", {
                "text": requisition["state_label"],
                "type": STATE_COLOURS.get(requisition["state"], "default")})

        body = format_html_join("", (
            '<tr data-requisition="{}"><td class="pr-4"><a class="text-primary-600" href="{}">'
            '{}</a></td><td class="pr-4" data-state="{}">{}</td><td class="pr-4">{}</td>'
            '<td class="pr-4">{}</td><td>{}</td></tr>'), (
            (r["number"], reverse("admin:inventory_requisition_change", args=[r["pk"]]),
             r["number"], r["state"], state(r),
             ", ".join(f"{line['code']} {line['name']} × {line['quantity']}"
                       for line in r["lines"]) or "-",
             r["requester"], timezone.localtime(r["created_at"]).strftime("%Y-%m-%d"))
            for r in rows))
        return format_html('<table class="text-sm" data-ticket-requisitions>{}</table>', body)

    # -- "Request parts" ------------------------------------------------------------------
    @action(description=_("Request parts"), url_path="request-parts", icon="inventory_2",
            permissions=["request_parts"])
    def request_parts_action(self, request, object_id):
        """A link (GET, changes nothing): the requisition's add page with the ticket; the
        page fills in the engineer and the default warehouse, and refuses a closed ticket."""
        url = reverse("admin:inventory_requisition_add")
        return HttpResponseRedirect(f"{url}?{urlencode({'ticket': object_id})}")

    def has_request_parts_permission(self, request, object_id=None):
        ticket = self.get_object(request, object_id) if object_id else None
        return (ticket is not None and ticket.is_open
                and request.user.has_perm("inventory.add_requisition"))

    # -- the ticket in every ticket picker -------------------------------------------------
    def autocomplete_label(self, ticket):
        """"SR202612-00020 · subject · customer" (platform.admin.autocomplete)."""
        return " · ".join(filter(None, [ticket.number, ticket.subject,
                                        ticket.customer.name if ticket.customer_id else ""]))

    def narrow_autocomplete(self, request, queryset, source_field):
        """A requisition asks parts for an open ticket only."""
        queryset = queryset.select_related("customer")
        if source_field.model._meta.label_lower == "inventory.requisition":
            queryset = queryset.filter(state__in=wf.OPEN_STATES)
        return queryset

    # -- the ticket form's pickers ---------------------------------------------------------
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in TICKET_FORWARDS:
            field.widget.attrs["data-forward"] = " ".join(TICKET_FORWARDS[db_field.name])
        return field


class TicketContextMixin:
    """Mixed into the contact, product and version admins: on the ticket's form their
    pickers offer the chosen customer's contacts and installed products (and the chosen
    product's versions)."""

    def narrow_autocomplete(self, request, queryset, source_field):
        if source_field.model is not Ticket or source_field.name not in TICKET_FORWARDS:
            return queryset
        return customer_choices(queryset, customer_id=forwarded_id(request, "customer"),
                                product_id=forwarded_id(request, "product"))
